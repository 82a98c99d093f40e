import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AnalysesResult, analysesSection } from './analyses.ts';
import { formatsSection } from './formats-page.ts';
import type { FormatsResult } from './formats-result.ts';
import type { HuntResult } from './hunt.ts';
import type { MatcherResult } from './matcher.ts';
import { sigmaSection } from './sigma-page.ts';

/** One benchmark run as stored in `bench/results/investigate-<date>.json`. */
export interface BenchResult {
  date: string;
  command: string;
  machine: { cpu: string; cores: number; memory_bytes: number; platform: string; release: string };
  node: string;
  events: number;
  generation: { seconds: number; files: number; bytes: number };
  investigate: {
    exit_code: number | null;
    wall_seconds: number;
    events_per_second: number;
    records_read: number;
    records_stored: number;
    /** Peak RSS the child reported in its run summary. */
    max_rss_bytes: number | null;
    /** Peak RSS the parent sampled from `/proc/<pid>/status` VmHWM. */
    vmhwm_bytes: number;
    /** CPU time of the child, all threads, sampled from `/proc/<pid>/stat`; absent in older runs. */
    cpu_seconds?: number;
    /** One-minute load average of the machine at the child's start and exit; absent in older runs. */
    load_average?: [number, number];
  };
}

const MIB = 1024 * 1024;

// Written from CPU profiles (`node --cpu-prof`, both threads) and phase timings
// (`investigate -v`) of 200,000-event runs, and from the million-event runs of the table, on
// the 2-core machine of the table, on 2026-12-04; the profiles ran while other work kept its
// load average near 8. The memory part is from runs of 2026-12-04 after 22:50 that sampled
// `/proc/<pid>/status` every 0.5 s and DuckDB's `duckdb_memory()` every 5 s during ingest, and
// from the bench rows and one `investigate -v` run of 2026-12-05 before and after the
// correlation spill. The after-ingest part is from runs of 2026-12-05 between 01:10 and 01:35,
// with per-query CPU times from `process.cpuUsage()` around DuckDB calls on copies of the
// million-event case. The part on what bounds memory is from runs of 2026-12-05 between 01:45
// and 02:15 under `/usr/bin/time -v`, on the same machine while other work shared it.
const LIMITS_SECTION = [
  '## What limits it',
  '',
  'The targets are 50,000 events/s and a peak RSS under 1 GiB for any input. Neither is met',
  'with margin. The investigate runs of 2026-12-05 from 01:58 to 02:15 (load 4.5 to 10) peaked',
  'at 773 MiB for 200,000 events, 932 MiB for a million and 1,003 MiB for three million, so',
  'CloudTrail memory still grows with input and three million events come within 21 MiB of',
  '1 GiB. Flow logs stay flat past a million lines (see the formats notes). Memory below says',
  'what bounds memory and what was measured.',
  'The two 17:50 and 16:22 rows ran while other work shared the machine (see the load column).',
  'At that load, a million events took the single-thread code 341 s and 144 CPU seconds (peak',
  'RSS 1469 MiB), and the two-thread code 176 s and 106 CPU seconds. On a quiet machine (the',
  '19:04 row) the two-thread code reads a million events in 64 s, 15,600 events/s, with a',
  'peak RSS of 1196 MiB.',
  '',
  'Ingest runs on two threads: a parser thread scans, parses, normalizes and matches, and the',
  'main thread stores rows in DuckDB. Profile of a 200,000-event run (about 21 s of ingest):',
  '',
  '- Parser thread, about 13 s busy: streaming JSON scan and `JSON.parse` about 4.5 s, Sigma',
  '  matching 2.3 s, normalization 1.5 s, building row values 0.7 s, and posting rows to the',
  '  main thread (structured clone) about 1.8 s.',
  '- Main thread, about 12 s busy: filling DuckDB data chunks about 3.5 s, most of it one call',
  "  into DuckDB's C API per string value (about 0.3 µs for a short string, 2 µs for a raw",
  '  record of 1.7 KB), garbage collection 2.8 s, and appender flushes 0.8 s. Commits run on',
  "  DuckDB's threads.",
  "- DuckDB's own cost of storing a row with its raw record: copying the 200,000 stored events",
  '  into a new table took 3.5 to 6 CPU seconds here, 17 to 30 µs per event, where 50,000',
  '  events/s on 2 cores leaves 40 µs of CPU per event for everything. With `threads` set to 1',
  '  the same copy of all columns took 2.5 CPU s (13 µs per event) against 5.2 CPU s with 2',
  '  threads, and the raw column alone about 7 µs, so most of the ingest cost is in JavaScript.',
  '- Each thread is idle about 40% of the ingest, waiting for the other or for a core.',
  '- Cost per event of each parser-thread stage, measured one stage at a time in one thread on',
  '  47,519 generated events (2026-12-05): scan and parse 7.1 µs, normalization 2.4 µs, row',
  '  values 1.1 µs, matching the built-in pack about 4 µs, and serializing the rows for the main',
  '  thread 3.4 µs, about 18 µs in all. Scan and parse took 9.6 µs until the scanner measured',
  '  each number outside strings itself, so that only records with a 16-digit integer, an',
  '  exponent or a number split across chunks run the search for numbers `JSON.parse` would',
  '  change. The main thread spends about as much per event on storing, and DuckDB about 13 µs',
  '  on compressing and writing. At about 55 µs of CPU per event, ingest on 2 cores cannot pass',
  '  about 36,000 events/s even with both cores busy all the time.',
  '- Two ways to store rows with less work were measured and not taken. Loading the same',
  '  200,000 rows from a CSV file with `read_csv` cost DuckDB 8.6 µs per row on one thread,',
  '  about half what the main thread spends per row now, but the parser thread would have to',
  '  write that file, 2.7 KB per event, which takes back much of the gain. Forcing a',
  '  compression method for the raw column changed the cost of writing by 10% at most while',
  '  the case grew from 195 MB to 350 MB.',
  '- Reaching 50,000 events/s end to end likely needs less work per event, not more threads:',
  '  for example DuckDB parsing the JSON natively and the rules running as SQL afterwards, as',
  '  `hunt` does.',
  '- Small files: each evidence file costs three fsync calls (the stored copy, the manifest and',
  '  the custody ledger). Acquisition runs ahead of parsing, and the ingest loop waited for it',
  '  about 1 s per 135 files.',
  '',
  'After ingest: since the 01:21 row of 2026-12-05, the steps after ingest take less than half',
  'the CPU they took. On one set of a million generated events, run back to back at load 6 to',
  '7 with `/usr/bin/time` and `investigate -v`, the code before took 117.6 CPU s in all (3 min',
  '22 s, peak RSS 957 MiB) and the changed code 83.7 CPU s (1 min 51 s, 881 MiB), 23 of them',
  'after ingest. The phase log of the code before had no CPU times; with an ingest of about the',
  'same cost, its steps after ingest took about 60 CPU s. The ledger entries, `timeline.csv` and',
  '`findings.json` of the two runs were byte for byte the same, and `verify` passed. CPU seconds',
  'of each phase (all threads), for that run at 01:13 and for one at 01:33 that also had the',
  'change to gaps below (88.3 CPU s, 1 min 44 s, peak RSS 873 MiB, load 5 to 6):',
  '',
  '| run | ingest | correlations | entities | baselines | gaps | reports |',
  '|---|---|---|---|---|---|---|',
  '| 01:13 | 58.7 | 1.8 | 4.3 | 2.5 | 1.9 | 12.2 |',
  '| 01:33 | 64.4 | 1.8 | 4.2 | 2.8 | 1.2 | 11.4 |',
  '',
  '- Ingest is 70% of the CPU and is what limits the run now; its costs are listed above.',
  '- The stored-events digests of the custody ledger no longer read every event back, which',
  '  took 8 to 20 s at a million events, depending on load. The main thread folds them from the',
  '  rows it appends, in time it spent idle.',
  '- Reports: the timeline CSV takes about 9 CPU s of the 12. Planning each slice',
  '  took 0.3 CPU s when the escape of control characters nested 64 `replace()` calls, and the',
  '  72 slices of a million events cost 20 CPU s; a lambda over the code points now plans in',
  '  milliseconds. What remains is the per-cell escaping (about 4 CPU s: the search for',
  '  control characters 1.3 s, the formula check 0.4 s), sorting the slices (1.2 s) and writing',
  '  (2.5 s). The findings digests take about 2 CPU s, most of it the 961,000 resource entities.',
  '- Entities: 2.7 of the 4.3 CPU s store the resource entities, 961,000 from 2.1 million',
  "  resource references. Baselines: ranking each identity's events over the row ids alone and",
  '  joining the other columns back cut their first step from 3.3 to 0.9 CPU s.',
  '- Gaps: the search for calls that name a region read the raw record of every event, 0.6 to',
  '  1.3 CPU s, because DuckDB 1.5 turns its IN list into a join the scan cannot filter by.',
  '  Since 01:30 it uses list_contains(), which the scan applies (0.02 s). Entity extraction',
  '  still reads every raw record once (0.9 CPU s).',
  '- Peak RSS: sampled every 0.25 s, the 01:13 run reached about 825 MiB at the end of ingest',
  '  and 873 MiB during entities. The bench run at 01:21 peaked at 951 MiB; what made that',
  '  peak was not sampled.',
  '',
  'Memory: since the 23:25 row, a case opened for writing uses row groups of 16,384 rows instead',
  "of DuckDB's 122,880, DuckDB may use 128 MB during ingest and 256 MB after it, the baselines no",
  'longer raise that to 1 GB, and the parser thread ends before the post-ingest steps. The',
  'appender holds up to 8,192 rows, the parser thread is sent at most four 256 KB pieces of input',
  'ahead of what is stored, and rows appended while a commit runs wait in at most four chunks of',
  '2,048. Peak RSS was 782 MiB at 200,000 events and 842 and 901 MiB in two runs of a million',
  '(load 7 to 17); 2 million were not run. Measured on one set of a million generated events',
  'with `/usr/bin/time` and `-v` (load 5 to 11), one change at a time:',
  '',
  '| code | peak RSS | CPU s | where the peak was |',
  '|---|---|---|---|',
  '| before | 1,257 MiB | 121.6 | baselines (about 1,040 MiB sampled during ingest) |',
  '| row groups of 16,384, baselines at 256 MB | 978 MiB | 130.6 | ingest |',
  '| and 128 MB during ingest | 931 MiB | 124.6 | duplicates and stored-events digest |',
  '| and the parser thread ended first (bench row 23:35) | 901 MiB | 119.7 | not sampled |',
  '| and correlation occurrences spilled to disk (2026-12-05 01:08) | 855 MiB | 109.6 | entities or baselines (RSS read at phase ends) |',
  '',
  'The 23:25 row may have started before the last change. The CPU figures differ by less than',
  'the load makes them vary between runs. What made each peak:',
  '',
  '- Baselines: their window queries ran with a 1 GB DuckDB limit. Run alone on the million-event',
  '  case, that step peaked at 980 MiB of RSS in 2.4 CPU s, and at 509 MiB in 3.9 CPU s within 256 MB.',
  "- Ingest: DuckDB's `duckdb_memory()` sampled every 5 s showed the buffer pool keeping the blocks",
  '  each commit wrote (`BASE_TABLE`): 188 MiB after 200,000 events with 256 MB, about 70 MiB',
  "  throughout a million with 128 MB. The transaction's row group being filled",
  '  (`IN_MEMORY_TABLE`) stayed at 29 to 53 MiB with 16,384-row groups. The case file was 1%',
  '  larger (1.03 GB against 1.02 GB). A 128 MB limit for the whole run ran out of memory when',
  "  setting duplicates aside after ingest, so the case's 256 MB return then.",
  "- The main thread's V8 heap swung between 53 and 213 MiB during ingest, and was 61 MiB after",
  '  it: mostly garbage from building row values, collected in large steps.',
  '- Correlation state no longer grows with input. Until 2026-12-04 the parser thread kept the',
  "  time, uid and rule index of every event that matched a correlation's base rule until the",
  '  run ended (164 MB of its heap after a million events). Since 2026-12-05 it writes each such',
  "  occurrence as one line of about 110 bytes to a file beside the case's DuckDB spill folder",
  '  (`src/detect/sigma-sql/correlation-spill.ts`), in batches of 512 lines. After ingest it',
  '  loads the file into a DuckDB database of its own (64 MB limit, one thread), reads each',
  "  correlation's occurrences sorted by group and time in chunks, and evaluates one group at a",
  '  time. The window scans are streaming: a group keeps the occurrences of one timespan and',
  '  its hits, each with at most 100 event uids, so one identity with 500,000 downloads holds',
  '  no more than its busiest ten minutes. `hunt` evaluates correlations the same way. The',
  "  parser thread's heap after evaluating a million events' correlations was 56 MB, and",
  '  evaluating 400,000 generated occurrences of one value_count rule took 1.7 CPU s.',
  '- Runs of `npm run bench -- --only investigate --events N --no-analyses --no-hunt` before',
  '  the spill (00:40 and 00:44 rows, load 6.8 to 8.6) and after it (01:01 and 01:03 rows, load',
  '  4.5 to 6.3): 200,000 events peaked at 864 MiB in 28.7 CPU s before and 749 MiB in 25.0 CPU s',
  '  after; a million at 891 MiB in 123.1 CPU s before and 834 MiB in 108.1 CPU s after. Peak',
  '  RSS still rises with input, but the peak is no longer in ingest: in a run of a million',
  '  events with `-v` (01:08, not a bench row) RSS was 637 MiB at the end of ingest, 517 MiB',
  '  after the correlations, and 794 to 801 MiB at the ends of the entity and baseline steps;',
  '  the peak of that run was 855 MiB.',
  '- RSS sampled every 5 s rose from about 650 MiB at 200,000 events to about 810 to 870 MiB at a',
  "  million during ingest while DuckDB's tracked memory stayed flat; the parser heap accounts",
  '  for part of that. The rest is not attributed; memory freed but kept by the C allocator is a',
  '  likely cause, not a measured one.',
  '',
  'Peak RSS also varied by 100 to 200 MB between runs of the same input.',
  '',
  'What bounds memory since 02:00 on 2026-12-05:',
  '',
  "- DuckDB's memory limit: 128 MB while an ingest appends, 256 MB for the rest of a write open,",
  '  and 256 MB for read-only opens too, which had 2 GB. Each read-only open spills to a folder',
  '  of its own under the system temporary folder, which DuckDB deletes when it closes;',
  '  `src/store/open-database.test.ts` runs a sort there that fails at 256 MB without it.',
  '- `cloudcase verify --case` on a million-event case (`/usr/bin/time -v`, load 4 to 7):',
  '  1,952 MiB peak RSS in 14.3 CPU s with 2 GB, and 651 and 542 MiB in 17.5 and 17.7 CPU s',
  '  with 256 MB (the second run at load 12).',
  '  `cloudcase timeline --format csv` of the same case (582 MB of CSV): 1,844 MiB in 62.5',
  '  CPU s with 2 GB, 870 MiB in 63.2 CPU s with 256 MB.',
  '- Entities: a list aggregate keeps its state in memory, so the resource step built one list',
  '  per resource and failed once a case named enough resources. It now builds lists only for',
  '  resources seen in three or more sources, and takes min and max of the sources for the',
  '  rest. On 1,000,000 generated events naming 500,000 resources, the old query ran out of',
  '  memory at 128 MB and the new one ran at 96 MB; `extract-memory.test.ts` checks 250,000',
  '  resources at 80 MB, where the old query failed at 96 MB. Below that, storing the entity',
  '  rows of one transaction is the limit: inserting 500,000 of them failed at 64 MB.',
  '- Ingest at 200,000 events, one run each (load 4 to 7): the code as it is peaked at 742 to',
  '  800 MiB in three runs. `MALLOC_ARENA_MAX=2` gave 755 MiB, `--max-semi-space-size` of 2, 32',
  '  and 64 MB gave 852, 868 and 868 MiB, one DuckDB thread during ingest 766 and 806 MiB, and',
  "  `--max-old-space-size=160` 684 MiB in 1 CPU s more. Only the last differs from the runs'",
  "  spread. It is not adopted: it caps the main thread's heap, which a process cannot set for",
  '  itself once started, and a run that needs more heap would fail. The ingest code is',
  '  unchanged, and what makes the peaks at one and three million events was not sampled.',
  '- Where the peaks are, sampled every 0.1 s with the phase log of `investigate -v` on',
  '  2026-12-05 (load 2 to 6): since 02:25 the main thread runs a full garbage collection when',
  '  the ingest ends, and two runs of a million events then peaked at 885 and 854 MiB against',
  '  935 MiB without it, during the entities, baselines and report steps. At three million',
  '  events the same code peaked at 965 MiB in that sampling and 1,003 MiB in the bench run of',
  '  02:28. There RSS was 879 MiB at most during ingest, fell to 539 MiB after the',
  '  correlations, and rose step by step after that: 878 in entities, 892 in baselines, 934 in',
  '  gaps and 965 in the reports, while the JavaScript heap stayed near 50 MB. What the steps',
  "  after ingest leave behind is likely outside DuckDB's limit and the heap; lowering",
  "  DuckDB's allocator flush thresholds (16 MB and 64 MB) did not change the peak at a million.",
  '',
];

// Written from the 20:41 per-format run of 2026-12-04 (2-core machine of the tables, one-minute
// load 3.6 to 4.4) and a CPU profile (`inspector` Profiler) of 100,000 Azure Monitor records.
const FORMATS_NOTES = [
  'What the 20:41 run shows (one-minute load 3.6 to 4.4 while other work shared the machine):',
  '',
  '- Every format read its 200,000 generated records with no rejections. All formats but one',
  '  parse 36,000 to 152,000 events/s on one core. Azure Monitor is the slowest, at 25,900 events/s,',
  '  and the slowest per byte too: 17 MiB of input per CPU second, against 45 to 69 MiB for',
  '  the CloudTrail, Kubernetes and GCP formats. In a CPU profile of 100,000 of its records,',
  '  about 45% of the samples fell in `field()` and `stringField()` of',
  '  `src/sources/record-fields.ts`. For every name a record lacks in the exact spelling,',
  '  `field()` folds the case and underscores of every key of the record. The Okta, GitHub and',
  '  Microsoft 365 formats call the same lookup.',
  '- The heap grew by 16 to 24 MiB at its peak while a format was read, except RDS (43 MiB)',
  '  and syslog (42 MiB), and no format kept memory after its stream ended.',
  '- `investigate` read VPC flow logs at 15,000 events/s for 200,000 lines and 15,800 events/s',
  '  for 1,000,000 lines, so throughput holds with input size. Memory is not flat: peak RSS',
  '  grew from 581 MiB to 781 MiB for five times the input, both under 1 GiB. What grows is',
  '  not measured here. The correlation state described above grows with input and is one',
  '  candidate.',
  '- After the memory changes of 23:25, the 23:39 run peaked at 703 MiB for 200,000 lines and',
  '  792 MiB for 1,000,000 (load 3.7 to 5.2), and the 23:42 run at 667 MiB for 200,000. On one',
  '  kept set of 200,000 lines at the same time, the code before those changes peaked at',
  '  777 MiB and the changed code at 645 MiB: the rise from 581 MiB at 20:41 is not theirs. In the',
  "  changed code the 200,000-line peak is the end of ingest, when the main thread's heap held",
  '  198 MB, mostly garbage not yet collected.',
  '- Flow logs feed no correlation rule (the correlations of the built-in pack read',
  '  CloudTrail), so spilling correlation state does not change their memory: the 00:44 run of',
  '  2026-12-05 peaked at 681 MiB for 200,000 lines and 776 MiB for 1,000,000, and the 01:03',
  '  run, after the spill, at 733 and 807 MiB (load 4.6 to 8.7). What grows is still not',
  '  measured.',
  '- The 02:05 run of 2026-12-05, after read-only opens got a 256 MB limit and entities stopped',
  '  building a list per resource, peaked at 679, 764 and 778 MiB for 200,000, 1,000,000 and',
  '  3,000,000 lines (load 6.9 to 11.7): three times the lines added 14 MiB.',
  '- The 20:36 run measured every parse stage in one shared process, where a format measured',
  '  after others ran slower: Okta parsed 15,500 events/s there and 57,800 events/s in its own',
  '  process. Its `investigate` rows are comparable with the others; its parse figures are not.',
  '',
];

// The first block is written from hunts of 2026-12-05 00:36 to 02:17 on the same machine, with
// the per-phase CPU times that `hunt -v` logs. The rest is written from the 22:23 to 23:37 runs
// of 2026-12-04 on the 2-core machine of the tables, with per-phase and per-scan timings of
// hunts on a kept 200,000-event case, at load 7 to 14. The matcher notes also draw on CPU
// profiles of matching 50,000 and 200,000 generated events and on the matcher runs of 01:30 to
// 02:07 on 2026-12-05.
const SIGMA_NOTES: string[] = [
  'Hunts with the SigmaHQ cloud rules before and after the changes of 2026-12-05, measured at',
  '00:36 to 01:36 with `/usr/bin/time -v cloudcase hunt --case CASE --rules',
  '../shared/data/sigma/rules-cloud --json -v` on copies of cases that `investigate',
  '--no-builtin-rules` ingested from `writeBenignDeliveryFiles` (seed 1). Before is commit',
  '82f9924. CPU s is user plus system time of the whole process; the exit code 3 of the runs',
  'that finished means that some SigmaHQ rules did not load, as in every run here.',
  '',
  '| events | code | load | CPU s | wall s | peak RSS | result |',
  '|---|---|---|---|---|---|---|',
  '| 200,000 | before | 2 to 9 | 24.2 | 51.5 | 981 MiB | 171,643 detections |',
  '| 200,000 | after | 6.4 | 12.7 | 24.4 | 738 MiB | 171,643 detections, the same rules and explanations |',
  "| 1,000,000 | before | 7 | 64.5 | 138.6 | 1721 MiB | failed: DuckDB ran out of the case's 256 MB |",
  '| 1,000,000 | after | n/a | 41.2 | 52.2 | 1707 MiB | 858,041 detections |',
  '| 1,000,000 | after | n/a | 41.9 | 59.1 | 1557 MiB | 858,041 detections |',
  '| 200,000 | after, scans by source | 6.0 | 9.0 | 11.2 | 710 MiB | 171,643 detections, the same rules and explanations |',
  '| 1,000,000 | after, scans by source | 5.2 | 33.4 | 37.6 | 1483 MiB | 858,041 detections |',
  '| 200,000 | scans by source, again | 4 to 8 | 9.0 | n/a | 761 MiB | 171,643 detections |',
  '| 200,000 | scans under 256 MB | 4 to 8 | 8.3 | 9.3 | 699 MiB | 171,643 detections, the same `findings.json` |',
  '| 1,000,000 | scans by source, again | 4 to 8 | 32.9 | n/a | 1395 MiB | 858,041 detections |',
  '| 1,000,000 | scans under 256 MB | 4 to 8 | 28.2 | 29.2 | 716 MiB | 858,041 detections, the same `findings.json` |',
  '',
  '- Matches no longer pass through JavaScript. The scans leave them in a DuckDB table, the hunt',
  '  counts them and stores them into `detections` with one statement each, and only the 20',
  '  earliest matches of each rule (the number `findings.json` shows) are read with their raw',
  '  records and explained: 40 records at 200,000 events instead of 171,643. Scans and storing',
  '  fell from 12 to 6.8 CPU s at 200,000 events. Since 01:55 a hunt explains the first 1,000',
  '  matches of each rule, read 2,000 events at a time: 2,000 records at 200,000 events, and',
  '  scans and storing took 4.0 CPU s in one run at load 7.',
  '- A hunt keeps `timeline.csv` when the file was written after the last ingest, because a',
  '  hunt adds no events. Writing the reports fell from 5.8 to 0.3 CPU s at 200,000 events.',
  "- `findings.json` is written by streaming each rule's event uids from DuckDB, and a finding",
  '  in memory holds a count instead of its uids. At 1,000,000 events the file is 26 MB and',
  '  lists all 839,817 events of "AWS STS AssumeRole Misuse".',
  '- Before the hunt began to checkpoint the case after storing its detections, two of four',
  '  runs at 1,000,000 events ran out of the 256 MB case limit in entity extraction; one of',
  '  them is the bench run of 01:19, whose cloud-rule row shows the failure. The index of the',
  '  858,000 new detections held 33 MiB of DuckDB memory until a checkpoint. The six runs',
  '  with the checkpoint (four timed with `time`, the bench runs of 01:27 and 01:38) finished,',
  '  which is too few to call the failure gone.',
  '- Rules of all sources shared scans, and a scan extracts the fields of all its rules from',
  '  every event it reads, so each CloudTrail event paid for the fields of Azure, GCP and Okta',
  '  rules. Scans now hold rules of one set of sources. At 200,000 events the scan of the',
  '  rules without a required literal fell from 30 rules and 3.5 CPU s to 5 rules and 1.1 CPU s,',
  '  the prefiltered scan from 98 rules and 2.2 CPU s to 53 rules and 1.3 CPU s, and scans and',
  '  storing from 6.8 to 3.4 CPU s. At 1,000,000 events they fell from 23.7 to 15.1 CPU s.',
  '- What limits a hunt of 1,000,000 events now, per phase of the 33 CPU s: the SQL scans and',
  '  storing, 15.1 CPU s. Three of the five rules that read every event (AWS Root Credentials,',
  '  AWS STS AssumeRole Misuse, IMDS credentials used outside AWS) require no top-level',
  '  literal. Their scan took 1.1 CPU s at 200,000 events, about 5.6 µs an event, and every',
  '  JSON function call in it parses the raw record again. The prefilter of the other scan',
  '  parses each record once more. Then the findings digests of the custody ledger, which hash',
  '  every detection: 2.7 CPU s before the scans and 4.6 to 5.6 after. Then entity extraction,',
  '  3.5 to 3.9 CPU s, repeated by every hunt',
  '  though a hunt adds no events. Then the report data, 3 to 3.4 CPU s, 2.1 of them in the',
  '  attack-timeline query that joins every detection with its event. Start-up and rule',
  '  loading take about 2.5 CPU s. The 10 s target is missed by about 23 CPU s, and the scans',
  '  alone exceed it. Prefiltering CloudTrail events on the stored `api_operation` and',
  '  `api_service` columns instead of the raw record, and one JSON parse per record, are the',
  '  next candidates.',
  '- The bench runs (`bench/hunt.ts --case`) agree. Before the scans were batched by source,',
  '  at 01:27 and 01:28 (load 5), the cloud rules took 39.9 CPU s at 1,000,000 events and 12.4',
  '  at 200,000 by the sampler of the bench, which reads slightly less than `time`; after, at',
  '  01:38 (load 5.5 to 6.5), 32.7 and 9.0 CPU s. The built-in pack stores no detection on',
  '  these events but took 34 to 38 CPU s and up to 1880 MiB at 1,000,000 events, which this',
  '  page does not break down: its correlation rules read their base matches in timeline',
  '  order with their records, and its rules are all CloudTrail rules, so batching by source',
  '  did not change it.',
  '- Peak RSS at 1,000,000 events was reached in the scans, whose DuckDB memory limit was 1 GB.',
  '  `duckdb_memory()` after the first scan showed 878 MiB, nearly all of it `BASE_TABLE`:',
  '  blocks of `events` that DuckDB keeps cached up to its limit. Scans now run under the',
  "  case's 256 MB (the 02:00 to 02:17 rows above, before on commit f8279ef). At 200,000 events",
  '  the cache stayed under 210 MiB even with 1 GB, so the peak there barely moved. Under',
  "  256 MB the read of the correlations' base-rule matches ran out of memory, because it",
  '  grouped every matched event before keeping those of base rules; it now groups only the',
  '  latter.',
  '- The built-in pack reads its base-rule matches in timeline order with their raw records,',
  '  and DuckDB sorts them with the records as payload. That read failed under 512 MB at',
  '  1,000,000 events, so it alone still runs under 1 GB. Built-in pack, before and after:',
  '  200,000 events 9.7 and 9.6 CPU s, 909 and 859 MiB; 1,000,000 events 36.2 and 36.6 CPU s,',
  '  1753 and 1561 MiB, with the same `findings.json`. The 1,000,000 before run already had',
  '  the narrower grouping. Sorting only the keys and reading the records afterwards would',
  '  bound this read too.',
  '',
  'What the 200,000-event runs of 2026-12-04 show (load 7 to 14 on 2 cores, so wall-clock',
  'figures are two to four times the CPU figures):',
  '',
  '- The matcher read 126,500 events per CPU second at 22:38 and 163,500 to 206,500 at 23:15.',
  '  Run back to back at load 11 to 13, the matcher before these changes read 107,500 and',
  '  134,500 events per CPU second and the changed one 210,000 and 214,000. Rules of a source now',
  '  share one lookup, text and lower-cased text per field and record, the prefilter indexes',
  '  each rule under a field that other rules require too (8 field lookups and 6.6 candidate',
  '  rules per event), and the children of an AND or OR run cheapest first.',
  '- Correlation occurrences, not matching, decide whether the figure clears the 200,000/s',
  '  target: without the correlation rules the same events run at 371,000 to 461,000 events',
  '  per CPU second. 37% of the generated events are successful S3 GetObject calls, each an',
  '  occurrence of the value_count correlation "AWS Many S3 Objects Downloaded By One',
  '  Identity", which the bench writes to a spill file as a run does.',
  '- Since the 01:50 row of 2026-12-05, correlation feeds read their group and value fields',
  '  from the record view the rules filled, the event time is read without `Date.parse`, and',
  '  each spill line is encoded into a 64 KiB write buffer as it is built instead of kept as a',
  '  string. Since the 02:05 row, a regex made of literals, `.*` and `.+` runs RE2 only on',
  '  texts that contain its longest literal (the IMDS rule ran RE2 on every event). Run back',
  '  to back with a million events, the matcher before these changes read 184,700, 198,000 and',
  '  192,000 events per CPU second at load 2.9 to 6.2 (01:49, 01:51 and 01:54 rows) and after',
  '  them 214,000, 207,700 and 193,600 (01:50, 01:51 and 01:55 rows): 7% more. At load 7.5',
  '  to 11 (02:04 to 02:07 rows) before read 185,500 and 175,000, after 149,100 and 196,000;',
  '  in the 149,100 run the pass without correlations fell to 351,900 too, so that run lost',
  '  CPU to the other processes. The 01:30 and 01:31 rows (before, with a profile running',
  '  beside them) read 181,300 and 218,200. The target is met at moderate load, not with a',
  '  margin, and not at load 10 on 2 cores.',
  '- What limits the matcher now, from a CPU profile of 200,000 events after the changes:',
  '  building and writing spill lines takes about 24% of the matching time, group keys,',
  '  values and times of occurrences 13%, field lookups on first use 18%, rule predicates',
  '  (mostly wildcards) 20%, candidate lookup 8% and the loop over candidates with its match',
  '  objects 14%. The bench normalizes 20,000 events before it matches them. Building a spill',
  '  line from the strings of those events took 1.1 to 1.2 µs per occurrence, from freshly',
  '  made strings of the same shape 0.5 µs, which points at memory reads more than at the code',
  '  that builds the line.',
  '  "AWS STS AssumeRole Misuse" still matches 84% of the events (6.6 candidate rules and',
  '  1.25 matches per event). The first 50,000 events run at about half the steady speed',
  '  while V8 optimizes the compiled rules.',
  '- A hunt with the SigmaHQ cloud rules took 19.8 CPU s, 15 of them in the SQL scans; the',
  '  rest is entity extraction (about 1 s) and writing the reports (2 to 4 s). One scan',
  '  reads every event for the rules without a required literal and returned 168,000',
  '  matches (about 4.5 CPU s); the prefiltered scan took about 6 CPU s for 3,700 matches.',
  "  Planning a scan's SQL costs about a second of CPU whatever the rows, because the",
  '  helper macros expand inline into 40 to 75 KB of SQL. The six scans of rules for',
  '  sources the case lacks cost 4.4 CPU s and are skipped since the 22:37 run.',
  '- Peak RSS fell from 1909 to 1134 MiB with the cloud rules (1447 to 914 MiB with the',
  '  built-in pack) when scans began to stream their rows instead of reading each result',
  '  whole, with the raw record of every match that explanations and correlations need.',
  '',
  'Hunts of the built-in pack and the SigmaHQ cloud rules together, measured at 23:00 to 23:37',
  'on 2026-12-04 with `/usr/bin/time -v cloudcase hunt --case CASE --rules rules',
  '../shared/data/sigma/rules-cloud --json` on copies of cases that `investigate',
  '--no-builtin-rules` ingested from `writeBenignDeliveryFiles` (seed 1), with per-phase CPU',
  'times read from `process.cpuUsage()`:',
  '',
  '| events | code | load | CPU s, whole run | CPU s, scans and storing | peak RSS | detections |',
  '|---|---|---|---|---|---|---|',
  '| 200,000 | before | 9.6 | 35.1 | 22.8 | 1250 MiB | 171,643 |',
  '| 200,000 | after | 5.7 | 26.7 | 18.2 | 1372 MiB | 171,643 |',
  '| 1,000,000 | after | 11 | failed | 75.4 | 2176 MiB | not printed |',
  '',
  '- The prefilter of a scan tested each rule requirement on its own, so a field was',
  '  extracted and lower-cased once per rule: about 100 times an event. It now tests each',
  '  field once against the literals of every rule. The prefilter alone fell from 4.9 to',
  '  1.2 CPU s at 200,000 events, and the prefiltered scan from 5.5 to 2.2 CPU s inside the',
  '  hunt. The three scans together fell from 20.5 to 9.6 CPU s.',
  '- Matched events are no longer kept in memory: the scans write their uids and rule ids to a',
  '  DuckDB table, and the hunt reads them back a chunk at a time, explains them and stores',
  '  them in batches of 10,000. Only the matches of rules that correlations count are read',
  '  again in timeline order, sorted by DuckDB with their records. In the 1,000,000-event',
  '  run, RSS read at the end of each phase was at most 950 MiB until the reports were built.',
  '  Peak RSS at 200,000 events did not fall (1061 to 1372 MiB over three runs), because the',
  '  1 GB DuckDB may use for the scans is most of it.',
  '- The 10 s target for 1,000,000 events is missed by at least 65 CPU s. Explaining every',
  '  match on the in-memory matcher (84% of the events match one rule) and',
  '  the scans that read every event are what remain. The 1,000,000-event run then failed',
  '  while building the reports: DuckDB ran out of its 256 MB case limit, after the hunt',
  '  had stored its detections. The peak RSS of that run most likely comes from the reports.',
  '- `node --import tsx bench/hunt.ts --events 1000000 --case CASE` at 23:33 (load 10 to 12):',
  '  the built-in pack alone took 58.8 CPU s with a peak RSS of 1820 MiB, and the cloud rules',
  '  alone failed the same way in the reports after 57.5 CPU s. That result file is not kept,',
  '  because this page cannot show a hunt that printed no result.',
  '',
];

/** Rewrites the human results page from every stored result, newest first. */
export async function writeResultsPage(resultsDir: string, page: string): Promise<void> {
  const results = await readResults<BenchResult>(resultsDir, 'investigate-');
  const formats = await readResults<FormatsResult>(resultsDir, 'formats-');
  const [analyses] = await readResults<AnalysesResult>(resultsDir, 'analyses-');
  const matchers = await readResults<MatcherResult>(resultsDir, 'matcher-');
  const hunts = await readResults<HuntResult>(resultsDir, 'hunt-');

  const lines = [
    '# Benchmark results',
    '',
    'Throughput of `cloudcase investigate` on generated benign CloudTrail delivery files',
    '(`src/demo/benign-stream.ts`), measured by `npm run bench` (`bench/run.ts`). Events per',
    'second is records read divided by the wall-clock time of the investigate child process,',
    'including its start-up. Generation time is reported separately and not included.',
    '',
    'CPU s is the CPU time of the investigate process, all threads together; load is the',
    "machine's one-minute load average at its start and exit. Other work shares the machine,",
    'so a load well above the 2 cores means the wall-clock figures are slower than an idle',
    'machine would give.',
    '',
    '| date | events | events/s | investigate s | CPU s | load | peak RSS (summary) | peak RSS (VmHWM) | generation s | node | machine |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) lines.push(row(r));
  lines.push('', 'Command of each run is in its JSON file under `bench/results/`.', '');
  lines.push(...LIMITS_SECTION);
  if (analyses !== undefined) lines.push(...analysesSection(analyses));
  if (matchers.length > 0 || hunts.length > 0) {
    lines.push(...sigmaSection(matchers, hunts, SIGMA_NOTES));
  }
  if (formats.length > 0) lines.push(...formatsSection(formats, FORMATS_NOTES));
  await writeFile(page, lines.join('\n'));
}

/** Reads every stored result whose file name starts with `prefix`, newest first. */
async function readResults<T extends { date: string }>(dir: string, prefix: string): Promise<T[]> {
  const names = (await readdir(dir)).filter(
    (name) => name.startsWith(prefix) && name.endsWith('.json'),
  );
  const results: T[] = [];
  for (const name of names) results.push(JSON.parse(await readFile(join(dir, name), 'utf8')));
  return results.sort((a, b) => b.date.localeCompare(a.date));
}

function row(r: BenchResult): string {
  const run = r.investigate;
  const summaryRss =
    run.max_rss_bytes === null ? 'n/a' : `${(run.max_rss_bytes / MIB).toFixed(0)} MiB`;
  const machine = `${r.machine.cpu} × ${r.machine.cores}, ${(r.machine.memory_bytes / 1024 ** 3).toFixed(0)} GiB, ${r.machine.platform} ${r.machine.release}`;
  const cells = [
    r.date,
    r.events.toLocaleString('en-US'),
    Math.round(run.events_per_second).toLocaleString('en-US'),
    run.wall_seconds.toFixed(1),
    run.cpu_seconds === undefined ? 'n/a' : run.cpu_seconds.toFixed(1),
    run.load_average === undefined
      ? 'n/a'
      : run.load_average.map((load) => load.toFixed(1)).join(' → '),
    summaryRss,
    `${(run.vmhwm_bytes / MIB).toFixed(0)} MiB`,
    r.generation.seconds.toFixed(1),
    r.node,
    machine,
  ];
  return `| ${cells.join(' | ')} |`;
}
