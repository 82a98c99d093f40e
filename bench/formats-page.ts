import type { FormatsResult, InvestigateRun, ParseRun } from './formats-result.ts';

const MIB = 1024 * 1024;

function mib(bytes: number | null): string {
  if (bytes === null) return 'n/a';
  // A retained growth a little below zero rounds to 0, not to -0.
  const rounded = Math.round(bytes / MIB);
  return `${rounded === 0 ? 0 : rounded} MiB`;
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function loads(pair: readonly number[]): string {
  return pair.map((value) => value.toFixed(1)).join(' → ');
}

/** One-minute load average at the start and end of a whole run. */
function loadOfRun(result: FormatsResult): string {
  return loads([result.load_average.start[0] ?? 0, result.load_average.end[0] ?? 0]);
}

function parseRow(run: ParseRun): string {
  const cells = [
    `\`${run.format}\``,
    count(run.events),
    (run.file_bytes / MIB).toFixed(1),
    count(run.events_per_second),
    count(run.events_per_cpu_second),
    run.cpu_seconds.toFixed(1),
    mib(run.heap_peak_growth_bytes),
    mib(run.heap_retained_growth_bytes),
    count(run.rejected),
    loads(run.load_average),
  ];
  return `| ${cells.join(' | ')} |`;
}

function investigateRow(date: string, run: InvestigateRun): string {
  const cells = [
    date,
    count(run.lines),
    String(run.files),
    count(run.events_per_second),
    run.wall_seconds.toFixed(1),
    run.cpu_seconds.toFixed(1),
    loads(run.load_average),
    mib(run.max_rss_bytes),
    mib(run.vmhwm_bytes),
  ];
  return `| ${cells.join(' | ')} |`;
}

/**
 * Renders the per-format section of the results page: the parse stage of the newest run, and
 * the `investigate` runs on VPC flow logs of every run, newest first.
 */
export function formatsSection(
  results: readonly FormatsResult[],
  notes: readonly string[],
): string[] {
  const newest = results.find((result) => result.parse.length > 0);
  const lines = [
    '## Per-format ingest',
    '',
    '`npm run bench -- --only formats` (`bench/formats.ts`) generates realistic logs of every',
    'format (`bench/generate/`) and measures two things. First the parse stage: one file of N',
    "records per format, read from disk through the format's `records()` and `normalize()` in",
    'a fresh Node.js process per format, with nothing stored and no rules run. Events/s is',
    'events over wall-clock time, and CPU s is the CPU time of that process during the read.',
    'Heap growth is heap in use above that after a full garbage collection before the read. The',
    'peak is sampled every 4,096 records, and the retained figure is taken after another full',
    'collection. Then the real CLI, `investigate --json`, runs on gzip VPC flow log files',
    '(default fields, 100,000 lines a file) of 200,000 and 1,000,000 lines, with the columns of',
    'the table above.',
    '',
  ];
  if (newest !== undefined) {
    lines.push(
      `Parse stage of the run of ${newest.date} (\`${newest.command}\`, node ${newest.node}, ${newest.machine.cpu} × ${newest.machine.cores}; load ${loadOfRun(newest)}):`,
      '',
      '| format | events | file MiB | events/s | events per CPU s | CPU s | heap peak growth | heap retained | rejected | load |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...newest.parse.map(parseRow),
      '',
    );
  }
  lines.push(
    '`investigate` on generated VPC flow logs:',
    '',
    '| date | flow lines | files | events/s | investigate s | CPU s | load | peak RSS (summary) | peak RSS (VmHWM) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const result of results) {
    for (const run of result.investigate) lines.push(investigateRow(result.date, run));
  }
  lines.push('', ...notes);
  return lines;
}
