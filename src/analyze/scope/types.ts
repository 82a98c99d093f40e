/** Types of a scope: what one indicator did and touched, and how the intrusion began. */

/** Kinds of indicator that `scope` starts from. */
export type IndicatorKind = 'key' | 'identity' | 'ip' | 'resource';

/** An indicator of compromise: an access key id, an identity, an IP address or a resource. */
export interface Indicator {
  kind: IndicatorKind;
  value: string;
}

/** A source of the indicator's events, with counts: an IP address, `service:…` or `agent:…`. */
export interface SourceUse {
  source: string | null;
  events: number;
  first_seen: string;
  last_seen: string;
}

/**
 * How the indicator's own events were chosen. `all`: every event of the indicator. `suspicious`:
 * only events from sources with a sign of the intruder (a detection of medium severity or
 * above, a new-source anomaly or an intel match) that are not the indicator's usual sources,
 * and from sources first used after such a sign. Detections of a rule that also fires on a
 * usual source count as no sign. Flow records to or from a suspicious address join too. The
 * other sources are listed in `excluded`.
 */
export interface ScopeSplit {
  mode: 'all' | 'suspicious';
  suspicious_sources: SourceUse[];
  excluded: SourceUse[];
}

/** A credential or principal that in-scope activity created, followed into the scope. */
export interface CreatedGrant {
  kind: 'key' | 'principal';
  value: string;
  created_at: string;
  operation: string;
  event_uid: string;
}

/** Something the scope's events touched, counted. */
export interface Touched {
  value: string;
  events: number;
  first_seen: string;
  last_seen: string;
}

/** One object or secret read in the scope. */
export interface DataRead {
  resource: string;
  type: string;
  operation: string;
  events: number;
  /** Bytes sent to the reader where the log records them, else `null`. */
  bytes: number | null;
  /** Object size recorded by S3 access logs, else `null`. */
  object_size: number | null;
}

/**
 * Totals over every object and secret read in the scope. A sum is `null` when no read in the
 * scope has the value logged.
 */
export interface DataReadTotals {
  /** Distinct objects and secrets read. */
  resources: number;
  /** Successful reads, one per event and resource. */
  reads: number;
  /** Bytes sent to the reader, summed over the reads whose log records it. */
  bytes: number | null;
  reads_with_bytes: number;
  /** Object sizes that S3 access logs record, summed over the reads that have one. */
  object_size: number | null;
  reads_with_size: number;
}

/** Network flows between two addresses in the scope. */
export interface FlowTotal {
  src_ip: string;
  dst_ip: string;
  events: number;
  /** Bytes the source sent. */
  bytes: number;
  packets: number;
  first_seen: string;
  last_seen: string;
}

/** A change made in the scope, with what undoes it. */
export interface Change {
  time: string;
  operation: string;
  service: string | null;
  actor: string | null;
  resources: string[];
  event_uid: string;
  rollback: string;
}

/** One event of the scope, as listed. */
export interface ScopeEvent {
  uid: string;
  time: string;
  source: string;
  operation: string | null;
  actor: string | null;
  access_key: string | null;
  src_ip: string | null;
  dst_ip: string | null;
  status: string | null;
}

/** Verdicts on how a credential was first misused. */
export type VectorVerdict =
  | 'instance_credentials_used_outside'
  | 'leaked_long_term_key'
  | 'console_login_without_mfa'
  | 'federated_login_anomaly'
  | 'public_exposure'
  | 'undetermined';

/** The initial-access verdict for one compromised credential or identity. */
export interface AttackVector {
  verdict: VectorVerdict;
  /** The access key, when the identity used one. */
  access_key: string | null;
  identity: string | null;
  /** One sentence naming the credential, where it was used from and why it counts. */
  summary: string;
  /**
   * Earliest suspicious activity: the first in-scope event with a sign of the intruder (a
   * detection that is not a blanket rule, or a new-source anomaly), else the first event.
   */
  first_suspicious: {
    time: string;
    event_uid: string;
    operation: string | null;
    /** `success` or `failure` as the log records it; a failed sign-in can be the first sign. */
    status: string | null;
    source: string | null;
  };
  /** Uids of the events that support the verdict, the first suspicious one among them. */
  evidence: string[];
}

/** One step of the attack chain: a detection or key event, on an ATT&CK tactic. */
export interface ChainStep {
  time: string;
  last_time: string;
  tactic: string;
  title: string;
  kind: 'detection' | 'key_event';
  events: number;
  actor: string | null;
  source: string | null;
  event_uid: string;
}

/** The attack chain: steps by time and the narrative written from them. */
export interface AttackChain {
  steps: ChainStep[];
  narrative: string[];
}

/** Everything `scopeOf` found for an indicator. */
export interface ScopeResult {
  indicator: Indicator;
  split: ScopeSplit;
  events: number;
  first_activity: string | null;
  last_activity: string | null;
  dwell_seconds: number | null;
  by_source: { source: string; events: number }[];
  identities: Touched[];
  access_keys: Touched[];
  ips: Touched[];
  created: CreatedGrant[];
  data_read: DataRead[];
  data_read_totals: DataReadTotals;
  flows: FlowTotal[];
  /** Flow records of the scope and the bytes their sources sent, over all of them. */
  flow_totals: { flows: number; bytes: number };
  /** Changes in time order, at most the row limit. */
  changes: Change[];
  /** Changes in the scope in all, listed or not. */
  change_count: number;
  vector: AttackVector[];
  chain: AttackChain;
  /** The events of the scope in time order, at most `event_limit`. */
  event_list: ScopeEvent[];
  event_limit: number;
}
