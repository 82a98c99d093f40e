import type { BenchResult } from './results-page.ts';

/** The parse stage of one format, as stored in `bench/results/formats-<date>.json`. */
export interface ParseRun {
  format: string;
  /** Name the generated file was read under; some formats take fields from it. */
  file_name: string;
  records_generated: number;
  file_bytes: number;
  generation_seconds: number;
  records_read: number;
  events: number;
  rejected: number;
  /** Number of rejections by reason code. */
  rejection_codes: Record<string, number>;
  wall_seconds: number;
  /** CPU time of the benchmark process, all threads, while it read the file. */
  cpu_seconds: number;
  events_per_second: number;
  events_per_cpu_second: number;
  /** Heap in use after a full garbage collection, before reading. */
  heap_before_bytes: number;
  /** Highest heap in use while reading, sampled every 4,096 records, less `heap_before_bytes`. */
  heap_peak_growth_bytes: number;
  /** Heap in use after a full garbage collection after reading, less `heap_before_bytes`. */
  heap_retained_growth_bytes: number;
  /** One-minute load average at the start and end of reading. */
  load_average: [number, number];
}

/** One `investigate` run on generated VPC flow log files. */
export interface InvestigateRun {
  lines: number;
  files: number;
  compressed_bytes: number;
  generation_seconds: number;
  command: string;
  exit_code: number | null;
  wall_seconds: number;
  /** CPU time of the child, all threads, sampled from `/proc/<pid>/stat`. */
  cpu_seconds: number;
  records_read: number;
  records_stored: number;
  /** Records read divided by the child's wall-clock time, start-up included. */
  events_per_second: number;
  events_per_cpu_second: number | null;
  /** Peak RSS the child reported in its run summary. */
  max_rss_bytes: number | null;
  /** Peak RSS the parent sampled from `/proc/<pid>/status` VmHWM. */
  vmhwm_bytes: number;
  load_average: [number, number];
}

/** One run of the per-format benchmark, as stored in `bench/results/formats-<date>.json`. */
export interface FormatsResult {
  date: string;
  command: string;
  machine: BenchResult['machine'];
  node: string;
  seed: number;
  /** One-, five- and fifteen-minute load averages at the start and end of the whole run. */
  load_average: { start: number[]; end: number[] };
  parse: ParseRun[];
  investigate: InvestigateRun[];
}
