/**
 * An endless-feeling stream of benign CloudTrail records for load tests: the same kinds of calls
 * as the scenario's background, drawn by weight at a steady rate, in time order, never held in
 * memory beyond one delivery window per region.
 */
import { startOfDay } from './dates.ts';
import { type DeliveryFile, DeliveryWriter } from './delivery.ts';
import { ACCOUNT_ID, HOME_REGIONS, HUMANS } from './environment.ts';
import {
  type ConsoleSession,
  consoleRead,
  consoleSignIn,
  developerCliRead,
} from './human-actions.ts';
import { Random } from './random.ts';
import { type ApiCall, buildRecord, type CloudTrailRecord } from './record.ts';
import {
  type AppInstance,
  appRequest,
  appStart,
  ciDeployment,
  configSweep,
} from './workload-actions.ts';

/** Options of the benign stream. */
export interface BenignStreamOptions {
  /** Number of records to produce. */
  count: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /** First day, as an ISO 8601 date. Default 2024-05-13. */
  start?: string;
  /** Mean gap between records, in milliseconds. Default 200, so 1,000,000 records span ~56 h. */
  meanGapMs?: number;
}

interface StreamState {
  rng: Random;
  fleet: AppInstance[];
  sessions: ConsoleSession[];
  /** Calls of multi-call activities still to emit, sorted by time. */
  pending: ApiCall[];
}

/** Yields `count` benign records in time order. */
export function* generateBenignRecords(options: BenignStreamOptions): Generator<CloudTrailRecord> {
  const rng = new Random(options.seed ?? 1);
  let time = startOfDay(options.start ?? '2024-05-13');
  const meanGap = options.meanGapMs ?? 200;
  const state: StreamState = { rng, fleet: [], sessions: [], pending: [] };
  seed(state, time);

  let emitted = 0;
  while (emitted < options.count) {
    time += rng.int(0, 2 * meanGap);
    if (state.pending.length === 0 || state.pending[0]!.time > time) schedule(state, time);
    const call = state.pending.shift()!;
    yield buildRecord(rng, call);
    emitted++;
  }
}

/** Opens the application fleet and the console sessions the stream draws from. */
function seed(state: StreamState, time: number): void {
  for (const region of HOME_REGIONS) {
    for (let i = 0; i < 4; i++) {
      const started = appStart(state.rng, region, time);
      state.fleet.push(started.instance);
      enqueue(state, started.calls);
    }
  }
  for (const user of HUMANS) {
    const { call, session } = consoleSignIn(state.rng, user, time);
    state.sessions.push(session);
    enqueue(state, [call]);
  }
}

/** Draws the next activity at `time` and queues its calls. */
function schedule(state: StreamState, time: number): void {
  const { rng } = state;
  const roll = rng.next();
  if (roll < 0.78) enqueue(state, [appRequest(rng, rng.pick(state.fleet), time)]);
  else if (roll < 0.93) enqueue(state, [consoleRead(rng, rng.pick(state.sessions), time)]);
  else if (roll < 0.96) enqueue(state, [developerCliRead(rng, HUMANS[2]!, time)]);
  else if (roll < 0.995) enqueue(state, configSweep(rng, rng.pick(HOME_REGIONS), time));
  else enqueue(state, ciDeployment(rng, time, false));
}

function enqueue(state: StreamState, calls: ApiCall[]): void {
  state.pending.push(...calls);
  // The queue stays a few dozen calls long, so sorting it each time costs little.
  state.pending.sort((a, b) => a.time - b.time);
}

/** Writes `count` benign records as CloudTrail delivery files under `outDir`. */
export async function writeBenignDeliveryFiles(
  outDir: string,
  options: BenignStreamOptions,
): Promise<{ files: DeliveryFile[]; records: number; bytes: number }> {
  const writer = new DeliveryWriter(outDir, ACCOUNT_ID, new Random((options.seed ?? 1) ^ 0x5eed));
  let records = 0;
  for (const record of generateBenignRecords(options)) {
    await writer.add(record);
    records++;
  }
  const files = await writer.close();
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);

  return { files, records, bytes };
}
