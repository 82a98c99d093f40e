/**
 * The `hunt` figure: times `cloudcase hunt --json` with the real CLI on a case of generated
 * benign CloudTrail events, once per rule tree (the built-in pack, then the SigmaHQ cloud rules),
 * and samples each child's peak RSS. `npm run bench` runs it on the case its investigate part
 * ingested; `--only hunt` generates and ingests a case first, which is set-up and not measured.
 * Results go to `bench/results/hunt-<date>.json`.
 *
 * Run alone: `node --import tsx bench/hunt.ts [--events N] [--seed N] [--case DIR] [--keep]`.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBenignDeliveryFiles } from '../src/demo/index.ts';
import { machine, ROOT, runCliChild } from './child-run.ts';
import { type BenchResult, writeResultsPage } from './results-page.ts';

/** The rule trees a hunt is timed with. */
export const HUNT_RULES: { name: string; dir: string }[] = [
  { name: 'built-in pack', dir: join(ROOT, 'rules') },
  { name: 'SigmaHQ cloud rules', dir: join(ROOT, '../shared/data/sigma/rules-cloud') },
];

/** One hunt of one rule tree. */
export interface HuntRun {
  rules_name: string;
  exit_code: number | null;
  rules_run: number;
  detections_added: number;
  /** The hunt's own time from its JSON result, without process start-up. */
  hunt_seconds: number;
  wall_seconds: number;
  cpu_seconds: number;
  vmhwm_bytes: number;
  load_average: [number, number];
}

/** One benchmark of hunts, as stored in `bench/results/hunt-<date>.json`. */
export interface HuntResult {
  date: string;
  command: string;
  machine: BenchResult['machine'];
  node: string;
  events: number;
  runs: HuntRun[];
}

/**
 * Times a hunt of each rule tree on a copy of `caseDir` per tree, so every hunt starts from the
 * same case and adds its detections to no other hunt's.
 */
export async function benchHunts(
  caseDir: string,
  events: number,
  command: string,
): Promise<HuntResult> {
  const runs: HuntRun[] = [];
  for (const rules of HUNT_RULES) {
    const copy = `${caseDir}-hunt`;
    await rm(copy, { recursive: true, force: true });
    await cp(caseDir, copy, { recursive: true });
    try {
      console.log(`hunting ${events.toLocaleString('en-US')} events with the ${rules.name}`);
      runs.push(await huntOnce(copy, rules));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }
  return {
    date: new Date().toISOString(),
    command,
    machine: machine(),
    node: process.version,
    events,
    runs,
  };
}

async function huntOnce(caseDir: string, rules: { name: string; dir: string }): Promise<HuntRun> {
  const run = await runCliChild(['hunt', '--case', caseDir, '--rules', rules.dir, '--json']);
  let result = { rules: [] as unknown[], detections_added: 0, seconds: Number.NaN };
  try {
    result = JSON.parse(run.stdout);
  } catch {
    console.error(`hunt with the ${rules.name} printed no JSON result; see its stderr above`);
  }
  return {
    rules_name: rules.name,
    exit_code: run.exitCode,
    rules_run: result.rules.length,
    detections_added: result.detections_added,
    hunt_seconds: result.seconds,
    wall_seconds: run.wallSeconds,
    cpu_seconds: run.cpuSeconds,
    vmhwm_bytes: run.vmhwmBytes,
    load_average: run.loadAverage,
  };
}

/** Generates and ingests a case of `events` benign CloudTrail events, then times the hunts. */
export async function benchHuntOnNewCase(
  events: number,
  seed: number,
  keep: boolean,
  caseDir: string | null = null,
): Promise<HuntResult> {
  const work = await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-hunt-'));
  const target = caseDir ?? join(work, 'case');
  try {
    if (caseDir === null) {
      const logs = join(work, 'logs');
      console.log(`generating ${events.toLocaleString('en-US')} events in ${logs}`);
      await writeBenignDeliveryFiles(logs, { count: events, seed });
      console.log('ingesting (not measured)');
      const args = ['investigate', logs, '--case', target, '--no-builtin-rules', '--json'];
      const ingest = await runCliChild(args);
      if (ingest.exitCode !== 0) throw new Error(`investigate exited ${ingest.exitCode}`);
    }
    const command = `npm run bench -- --only hunt --events ${events} --seed ${seed}`;
    return await benchHunts(target, events, command);
  } finally {
    if (keep) console.log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

/** Stores a hunt result and rewrites the results page. */
export async function saveHunt(result: HuntResult): Promise<void> {
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const stamp = result.date.slice(0, 19).replace(/:/g, '-');
  const file = join(dir, `hunt-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  await writeResultsPage(dir, join(ROOT, 'bench', 'RESULTS.md'));
  console.log(`wrote ${file} and bench/RESULTS.md`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      case: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 1) {
    throw new Error(`invalid --events value: ${values.events}; expected a positive integer`);
  }
  const result = await benchHuntOnNewCase(
    events,
    Number(values.seed),
    values.keep,
    values.case ?? null,
  );
  await saveHunt(result);
  console.log(JSON.stringify(result.runs, null, 2));
}
