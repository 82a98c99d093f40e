import type { BaselineSummary } from '../baseline/types.ts';
import type { IntelRunSummary } from '../intel/index.ts';
import type { RecordRejected } from '../sources/types.ts';

/** Record counts that must reconcile: `read = stored + rejected`. */
export interface RecordCounts {
  read: number;
  stored: number;
  rejected: number;
}

/** What happened to one log stream (a file, or one member of an archive). */
export interface StreamSummary extends RecordCounts {
  /** Original path as given by the analyst, with `!member` appended for archive members. */
  path: string;
  sha256: string;
  member: string | null;
  /** Format id, or `null` when the format was not recognised. */
  format: string | null;
  /** Set when the whole stream failed, such as an unrecognised format or a truncated gzip. */
  error: { code: string; reason: string } | null;
}

/** A rejected record with the stream it came from, as listed in reports. */
export interface RejectedRecord extends Omit<RecordRejected, 'kind'> {
  path: string;
  sha256: string;
  member: string | null;
}

/** An input path that could not be acquired at all, such as an unreadable file. */
export interface AcquireFailure {
  path: string;
  code: string;
  reason: string;
}

/** A rule file or rule that could not be loaded, or loaded with a warning. */
export interface RuleProblem {
  file: string;
  line: number | null;
  code: string;
  severity: 'error' | 'warning';
  message: string;
}

/** The outcome of one `investigate` run, printed as the terminal summary and as `--json`. */
export interface RunSummary {
  case_dir: string;
  started_at: string;
  finished_at: string;
  records: RecordCounts;
  /** Counts per format id. */
  sources: Record<string, RecordCounts>;
  streams: StreamSummary[];
  evidence: { new: number; already_present: number; failed: AcquireFailure[] };
  /** Rejected records of this run, in input order, capped; `records.rejected` has the total. */
  rejected: RejectedRecord[];
  /**
   * Stored events of the case that repeat an event read from another file (same source,
   * provider record id, time and operation), set aside from the timeline after this run; they
   * are counted in `stored`.
   */
  duplicates: number;
  detections: { events_matched: number; correlation_hits: number };
  /** Rules the run used, and every rule that failed to load (errors only; warnings are dropped). */
  rules: { loaded: number; problems: RuleProblem[] };
  /** Threat intel files matched in this run, when `--intel` named any. */
  intel?: IntelRunSummary;
  /** Peak resident set size of the process, in bytes. */
  max_rss_bytes: number;
  /** Anomalies of the behaviour baselines over the whole case, when they ran. */
  baselines?: BaselineSummary;
}
