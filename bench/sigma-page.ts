/** The results page's section on the Sigma engine: matcher throughput and hunt times. */
import type { HuntResult } from './hunt.ts';
import type { MatcherResult } from './matcher.ts';

const MIB = 1024 * 1024;

/** Renders the matcher and hunt tables, newest first, with the notes written from profiles. */
export function sigmaSection(
  matchers: MatcherResult[],
  hunts: HuntResult[],
  notes: string[],
): string[] {
  const lines = [
    '## Sigma matcher and hunt',
    '',
    '`npm run bench -- --only matcher` (`bench/matcher.ts`) compiles every loadable SigmaHQ',
    'cloud rule and the built-in pack into one rule set and matches generated benign CloudTrail',
    'events on one thread. Events/s counts matching alone: generating and normalizing each',
    'batch of records is left out of the time. The target is 200,000 events/s on one core.',
    'Without correlations is events per CPU second of a second pass over each batch by the set',
    'without its correlation rules, whose base rules then report matches instead of feeding',
    'correlation state.',
    '',
    '| date | events | rules | CloudTrail rules | matches | match s | events/s | CPU s | events/CPU s | without correlations | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of matchers) {
    const cells = [
      r.date,
      r.events.toLocaleString('en-US'),
      r.rules,
      r.cloudtrail_rules,
      r.matches.toLocaleString('en-US'),
      r.match_seconds.toFixed(2),
      Math.round(r.events_per_second).toLocaleString('en-US'),
      r.match_cpu_seconds === undefined ? 'n/a' : r.match_cpu_seconds.toFixed(2),
      r.events_per_cpu_second === undefined
        ? 'n/a'
        : Math.round(r.events_per_cpu_second).toLocaleString('en-US'),
      r.events_per_cpu_second_without_correlations === undefined
        ? 'n/a'
        : Math.round(r.events_per_cpu_second_without_correlations).toLocaleString('en-US'),
      r.load_average.map((load) => load.toFixed(1)).join(' → '),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    '`npm run bench` then times `cloudcase hunt --json` (`bench/hunt.ts`) on the case its',
    'investigate part ingested, once with the built-in pack and once with the SigmaHQ cloud',
    "rules, each on a fresh copy of the case. Hunt s is the hunt's own time from its JSON",
    'result; wall s adds process start-up. The target is under 10 s for 1,000,000 events.',
    '',
    '| date | events | rules | rules run | detections | hunt s | wall s | CPU s | peak RSS | load |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const result of hunts) {
    for (const run of result.runs) {
      const cells = [
        result.date,
        result.events.toLocaleString('en-US'),
        run.rules_name,
        run.rules_run ?? 'n/a',
        run.detections_added?.toLocaleString('en-US') ?? 'n/a',
        run.hunt_seconds?.toFixed(1) ?? `failed (exit ${run.exit_code})`,
        run.wall_seconds.toFixed(1),
        run.cpu_seconds.toFixed(1),
        `${(run.vmhwm_bytes / MIB).toFixed(0)} MiB`,
        run.load_average.map((load) => load.toFixed(1)).join(' → '),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  lines.push('', ...notes);
  return lines;
}
