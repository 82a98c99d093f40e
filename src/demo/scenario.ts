/**
 * The demo scenario: several days of benign activity in one AWS account with an intrusion inside
 * it, written as CloudTrail delivery files, with the ground truth a test or a demo can check
 * detections against.
 */
import { attackSteps } from './attack.ts';
import { benignActivity } from './benign.ts';
import { startOfDay } from './dates.ts';
import { type DeliveryFile, DeliveryWriter } from './delivery.ts';
import {
  ACCOUNT_ID,
  ATTACKER_IP,
  ATTACKER_IP_2,
  COMPROMISED_USER,
  userArn,
} from './environment.ts';
import { Random } from './random.ts';
import { buildRecord, type CloudTrailRecord } from './record.ts';

/** Options of `generateScenario`. */
export interface ScenarioOptions {
  /** PRNG seed; the same seed, start, days and scale give the same bytes. Default 1. */
  seed?: number;
  /** First day, as an ISO 8601 date or instant; the time of day is dropped. Default 2024-05-13. */
  start?: string;
  /** Days of activity, at least 1. Default 4; the intrusion happens in the last night. */
  days?: number;
  /** Multiplier of the benign volume; 1 gives about 3,000 records a day. Default 1. */
  scale?: number;
}

/** One intrusion step and the `eventID`s of its records. */
export interface AttackStepTruth {
  step: string;
  /** MITRE ATT&CK tactic, such as `persistence`. */
  tactic: string;
  eventIds: string[];
}

/** The files `generateScenario` wrote and the ground truth of the scenario. */
export interface ScenarioResult {
  outDir: string;
  account: string;
  /** The covered time range: `[start, end)`, ISO 8601 instants. */
  window: { start: string; end: string };
  files: DeliveryFile[];
  records: { total: number; benign: number; attack: number };
  attackSteps: AttackStepTruth[];
  attackerIps: string[];
  /** ARNs (or, for AWS services, the service name) that only ever acted benignly. */
  benignActors: string[];
  /** ARNs whose credentials the attacker used; they also acted benignly. */
  compromisedActors: string[];
  /** `eventID`s of all benign records, for checks that no benign event is flagged. */
  benignEventIds: string[];
}

export const DEFAULT_START = '2024-05-13';
const DAY = 86_400_000;
/** The intrusion starts at 01:47 UTC, outside office hours (08:00–18:00 UTC). */
const ATTACK_OFFSET = (1 * 60 + 47) * 60_000;

/** Writes the scenario's delivery files under `outDir` and returns its ground truth. */
export async function generateScenario(
  outDir: string,
  options: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const days = Math.max(1, Math.floor(options.days ?? 4));
  const scale = options.scale ?? 1;
  const start = startOfDay(options.start ?? DEFAULT_START);
  const root = new Random(options.seed ?? 1);
  const benignRng = root.fork();
  const attackRng = root.fork();
  const fileRng = root.fork();

  const benign = benignActivity(benignRng, start, days, scale).map((call) => ({ call, step: -1 }));
  const planned = attackSteps(attackRng, start + (days - 1) * DAY + ATTACK_OFFSET);
  const attack = planned.flatMap((step, index) =>
    step.calls.map((call) => ({ call, step: index })),
  );
  const end = start + days * DAY;
  const all = [...benign, ...attack].filter(({ call }) => call.time >= start && call.time < end);
  // A stable sort keeps equal-time calls in plan order, so the output does not depend on the engine.
  all.sort((a, b) => a.call.time - b.call.time);

  const truth = planned.map((step) => ({
    step: step.step,
    tactic: step.tactic,
    eventIds: [] as string[],
  }));
  const writer = new DeliveryWriter(outDir, ACCOUNT_ID, fileRng);
  const recordRng = root.fork();
  const actors = new Map<string, boolean>();
  const benignEventIds: string[] = [];
  for (const { call, step } of all) {
    const record = buildRecord(recordRng, call);
    noteActor(actors, record, step >= 0);
    if (step >= 0) truth[step]!.eventIds.push(record.eventID);
    else benignEventIds.push(record.eventID);
    await writer.add(record);
  }
  const files = await writer.close();
  const attackCount = truth.reduce((sum, step) => sum + step.eventIds.length, 0);

  return {
    outDir,
    account: ACCOUNT_ID,
    window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    files,
    records: { total: all.length, benign: all.length - attackCount, attack: attackCount },
    attackSteps: truth,
    attackerIps: [ATTACKER_IP, ATTACKER_IP_2],
    benignActors: [...actors]
      .filter(([, attacked]) => !attacked)
      .map(([actor]) => actor)
      .sort(),
    compromisedActors: [userArn(COMPROMISED_USER)],
    benignEventIds,
  };
}

/** Records the actor of a record; once an actor is seen in the intrusion it stays marked. */
function noteActor(actors: Map<string, boolean>, record: CloudTrailRecord, attack: boolean): void {
  const identity = record.userIdentity as Record<string, unknown>;
  const actor = String(identity.arn ?? identity.invokedBy ?? identity.principalId ?? '');
  actors.set(actor, (actors.get(actor) ?? false) || attack);
}
