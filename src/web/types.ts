/** Shapes of the server's responses, as the app reads them. */

export interface TimelineRow {
  uid: string;
  time: string;
  source: string;
  category: string;
  activity: string | null;
  status: string | null;
  actor_uid: string | null;
  actor_name: string | null;
  src_ip: string | null;
  api_operation: string | null;
  message: string | null;
  tags: string[];
  starred: boolean;
}

export interface TimelinePage {
  /** Events selected; sent with the first page only. */
  total: number | null;
  offset: number;
  events: TimelineRow[];
}

export interface Histogram {
  bucket_ms: number;
  buckets: [number, number][];
}

export interface Mark {
  kind: 'tag' | 'star' | 'comment';
  value: string;
  actor: string;
  time: string;
}

export interface EventDetail extends Record<string, unknown> {
  uid: string;
  time: string;
  /** The original record as stored, or null for an event stored without one. */
  raw: string | null;
  evidence_sha256: string;
  evidence_member: string | null;
  evidence_record: number;
  evidence_offset: number | null;
  evidence_path: string | null;
  marks: Mark[];
  detections: {
    rule_id: string;
    title: string | null;
    level: string | null;
    explanation: DetectionExplanation | null;
  }[];
}

/** One field and value that satisfied a rule (the server's `DetectionReason`). */
export interface DetectionReason {
  search: string;
  field: string | null;
  modifiers: string[];
  value: string | null;
  expected: string;
}

/** The reasons a rule detected an event; `omitted` counts reasons left out past the maximum. */
export interface DetectionExplanation {
  reasons: DetectionReason[];
  omitted: number;
}

export interface FieldHelp {
  name: string;
  kind: string;
  help: string;
}

export interface CoverageRow {
  category: string;
  present: boolean;
  events: number;
  sources: string[];
  first_time: string | null;
  last_time: string | null;
  blind_spot: string;
}

/** A reporting deadline of the case: the 72-hour incident report or the 24-hour ransom one. */
export interface ReportingClock {
  id: 'incident_report' | 'ransom_payment_report';
  label: string;
  hours: number;
  started_at: string;
  due_at: string;
  reported_at: string | null;
  state: 'open' | 'overdue' | 'met' | 'late';
  remaining_ms: number | null;
}

export interface Overview {
  case: { id: string; title: string; phase: string; discovered_at: string };
  /** Reporting clocks, as `reportingDeadlines` computes them; none without a discovery time. */
  reporting: { deadlines: ReportingClock[] };
  events: number;
  time_range: { first: string | null; last: string | null };
  sources: { source: string; events: number; first_time: string; last_time: string }[];
  coverage: CoverageRow[];
  rejected_total: number;
  /** Per severity, the rules that matched and the distinct events they detected. */
  detections_by_severity: Record<string, { rules: number; events: number }>;
  rules_matched: number;
}

export interface RuleFinding {
  rule_id: string;
  title: string;
  severity: string;
  tactics: string[];
  techniques: string[];
  events: number;
  first_seen: string;
  last_seen: string;
  /** The first actors of the rule's events; `actor_count` counts them all. */
  actors: string[];
  actor_count: number;
  correlation_hits: number;
}

export interface Detections {
  rules: RuleFinding[];
  /** Per tactic and technique, the rules tagged with both and the distinct events they detected. */
  matrix: { tactic: string; technique: string; rules: number; events: number }[];
}

export interface GraphNode {
  id: string;
  kind: string;
  label: string;
  events: number;
  query: string;
}

export interface GraphData {
  nodes: GraphNode[];
  edges: { source: string; target: string; events: number }[];
}

export interface ReportFile {
  name: string;
  bytes: number;
  modified: string;
  preview: 'text' | 'html' | 'none';
  /** Name the download is saved under: without `.enc`, because it is sent decrypted. */
  download_name: string;
}

export interface SavedSearch {
  name: string;
  query: string;
  actor: string;
  time: string;
}

export interface MarkedEvent {
  event_uid: string;
  kind: string;
  value: string;
  actor: string;
  time: string;
  event_time: string | null;
  message: string | null;
}

/** `/api/scope`: what one node did and touched, through the credentials it created. */
export interface ScopeSummary {
  split: {
    mode: 'all' | 'suspicious';
    suspicious_sources: { source: string | null; events: number }[];
    excluded: { source: string | null; events: number }[];
  };
  events: number;
  first_activity: string | null;
  last_activity: string | null;
  dwell_seconds: number | null;
  by_source: { source: string; events: number }[];
  verdicts: {
    verdict: string;
    summary: string;
    first_suspicious: {
      time: string;
      operation: string | null;
      status: string | null;
      source: string | null;
    };
  }[];
  change_count: number;
  changes: { time: string; operation: string; resources: string[]; rollback: string }[];
  data_read_text: string;
  flow_text: string | null;
  narrative: string[];
}
