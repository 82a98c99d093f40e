/** What the gap analysis returns: missing or tampered logs and retention warnings. */

/** Kinds of finding, from a silent source to a modified log file. */
export type GapKind =
  | 'silence'
  | 'no_audit_logs'
  | 'logging_stopped'
  | 'logging_deleted'
  | 'logging_narrowed'
  | 'retention_shortened'
  | 'logs_deleted'
  | 'log_file_modified'
  | 'log_file_missing'
  | 'log_file_unlisted'
  | 'digest_modified'
  | 'digest_missing'
  | 'digest_signature_invalid'
  | 'digest_chain_broken';

/** One window in which logs are missing, were not written, or cannot be trusted. */
export interface GapFinding {
  kind: GapKind;
  severity: 'high' | 'medium' | 'low';
  /** Format id of the events concerned, such as `aws.cloudtrail`. */
  source: string;
  account: string | null;
  region: string | null;
  /** The trail, bucket, log group, sink or file concerned, when there is one. */
  resource: string | null;
  /** Start of the window, ISO 8601 UTC. */
  start: string;
  /** End of the window; `null` when it is still open at the end of the evidence. */
  end: string | null;
  /** Uids of the events that show the window (its opening and closing calls). */
  event_uids: string[];
  /** What happened, in one sentence. */
  summary: string;
  /** What the evidence cannot show because of it. */
  cannot_see: string;
}

/** A warning that evidence covers, or is kept for, less than the recommended 90 days. */
export interface RetentionWarning {
  source: string;
  /** `setting` for a retention setting seen in the events, `coverage` for the evidence span. */
  kind: 'setting' | 'coverage';
  message: string;
  /** Days kept or covered. */
  days: number;
  event_uids: string[];
}

/** How one stream's usual spacing between events was measured, for the silence findings. */
export interface SpacingStat {
  source: string;
  account: string | null;
  region: string | null;
  events: number;
  first_time: string;
  last_time: string;
  /** The percentile of the intervals between consecutive events that counts as usual, in s. */
  usual_seconds: number;
  /** Silence longer than this is reported, in seconds. */
  threshold_seconds: number;
}

/** The result of checking CloudTrail digest files, see `validateDigests`. */
export interface IntegrityResult {
  digests: number;
  digests_valid: number;
  /** Digests whose signature could not be checked, with the reason. */
  digests_unverified: number;
  log_files_listed: number;
  log_files_valid: number;
  log_files_modified: number;
  /** Listed in a digest, not in the evidence: deleted, or not collected. */
  log_files_missing: number;
  /** Whether public keys were given; without them signatures are not checked. */
  signatures_checked: boolean;
  /** Problems reading digest files or keys, each with the file concerned. */
  problems: { file: string; code: string; message: string }[];
}

/** Everything `cloudcase gaps` and the report section show. */
export interface GapReport {
  generated_at: string;
  /** End of the evidence: the time of the latest event in the case. */
  evidence_end: string | null;
  discovered_at: string | null;
  findings: GapFinding[];
  retention: RetentionWarning[];
  spacing: SpacingStat[];
  integrity: IntegrityResult | null;
  /** How the usual spacing is measured, in words, for the reader of the report. */
  method: string;
}
