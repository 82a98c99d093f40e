/**
 * The in-memory Sigma matcher figure: every loadable SigmaHQ cloud rule plus the built-in pack,
 * compiled once into one `RuleSet`, matched against generated benign CloudTrail events on the
 * main thread (one core). Records are generated and normalized in batches outside the timed
 * part, so events per second is for matching alone. Correlation occurrences go to a spill
 * database as in a run, and are evaluated at the end, outside the timed part too. Each batch
 * is then matched a second time by a set without the correlation rules, whose base rules
 * report their matches instead of feeding state, to show what the correlation state costs.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { Event } from '../src/core/event.ts';
import { generateBenignRecords } from '../src/demo/benign-stream.ts';
import { loadRules, RuleSet } from '../src/detect/sigma/index.ts';
import { CorrelationSpill } from '../src/detect/sigma-sql/correlation-spill.ts';
import { BUILTIN_RULES } from '../src/pipeline/investigate.ts';
import { cloudTrail } from '../src/sources/cloudtrail.ts';
import { isNormalizeError } from '../src/sources/types.ts';
import { machine, ROOT } from './child-run.ts';
import type { BenchResult } from './results-page.ts';

const CLOUD_RULES = join(ROOT, '../shared/data/sigma/rules-cloud');

// Events normalized ahead of each timed pass; a batch keeps memory flat whatever the count.
const BATCH = 20_000;

/** One matcher run as stored in `bench/results/matcher-<date>.json`. */
export interface MatcherResult {
  date: string;
  command: string;
  machine: BenchResult['machine'];
  node: string;
  events: number;
  /** Rules compiled into the set: single-event and correlation. */
  rules: number;
  /** Rules routed to CloudTrail events, which the events are matched against. */
  cloudtrail_rules: number;
  matches: number;
  match_seconds: number;
  /** CPU time of the process during matching, user and system, all threads. */
  match_cpu_seconds?: number;
  events_per_second: number;
  /** Events per CPU second, which other work on the machine affects less than wall time. */
  events_per_cpu_second?: number;
  /** Events per CPU second of the set without correlation rules, matched after the full set. */
  events_per_cpu_second_without_correlations?: number;
  load_average: [number, number];
}

/** Times matching `events` generated CloudTrail events against the cloud rules and the pack. */
export async function benchMatcher(events: number, seed: number): Promise<MatcherResult> {
  const loadAtStart = os.loadavg()[0] ?? 0;
  const loaded = await loadRules([CLOUD_RULES, BUILTIN_RULES]);
  const spill = await CorrelationSpill.create(await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-')));
  const set = new RuleSet(loaded.rules, { occurrences: spill });
  const withoutCorrelations = new RuleSet(
    loaded.rules.filter((rule) => rule.kind !== 'correlation'),
  );
  const meta = set.meta();
  const cloudtrail = loaded.rules.filter(
    (rule) => rule.kind === 'detection' && rule.logsource.product?.toLowerCase() === 'aws',
  );
  const running = new Set(meta.map((rule) => rule.id));

  let matches = 0;
  let seconds = 0;
  let cpuSeconds = 0;
  let cpuSecondsWithoutCorrelations = 0;
  let index = 0;
  const batch: Event[] = [];
  const flush = () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (const event of batch) matches += set.match(event).length;
    const used = process.cpuUsage(cpu);
    seconds += (performance.now() - started) / 1000;
    cpuSeconds += (used.user + used.system) / 1e6;

    const cpuAgain = process.cpuUsage();
    for (const event of batch) withoutCorrelations.match(event);
    const usedAgain = process.cpuUsage(cpuAgain);
    cpuSecondsWithoutCorrelations += (usedAgain.user + usedAgain.system) / 1e6;
    batch.length = 0;
  };
  for (const record of generateBenignRecords({ count: events, seed })) {
    const ref = { sha256: 'b'.repeat(64), member: null, record: index++, offset: 0 };
    const event = cloudTrail.normalize(record, ref);
    if (isNormalizeError(event)) throw new Error(`generated record rejected: ${event.reason}`);
    batch.push(event);
    if (batch.length === BATCH) flush();
  }
  flush();
  await spill.evaluate(set.correlationPlan());
  await spill.close();

  return {
    date: new Date().toISOString(),
    command: `npm run bench -- --only matcher --events ${events} --seed ${seed}`,
    machine: machine(),
    node: process.version,
    events,
    rules: meta.length,
    cloudtrail_rules: cloudtrail.filter((rule) => running.has(rule.id)).length,
    matches,
    match_seconds: seconds,
    match_cpu_seconds: cpuSeconds,
    events_per_second: events / seconds,
    events_per_cpu_second: events / cpuSeconds,
    events_per_cpu_second_without_correlations: events / cpuSecondsWithoutCorrelations,
    load_average: [loadAtStart, os.loadavg()[0] ?? 0],
  };
}
