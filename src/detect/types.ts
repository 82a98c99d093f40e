/** Severity levels of Sigma, lowest first. */
export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

export type Level = (typeof LEVELS)[number];

/** What the report and the store need to know about a rule, independent of its detection logic. */
export interface RuleMeta {
  /** The rule's `id` (a UUID in Sigma), or a path-derived id when the rule has none. */
  id: string;
  title: string;
  level: Level;
  description: string;
  /** ATT&CK tactic tags without the prefix, such as `initial-access`, `stealth`. */
  tactics: string[];
  /** ATT&CK technique ids, upper case, such as `T1078.004`. */
  techniques: string[];
  /** Every tag as written in the rule. */
  tags: string[];
  falsepositives: string[];
  /** File the rule was loaded from, relative to the rule root. */
  file: string;
}

/** One field and value that satisfied a rule, as stored with its detection. */
export interface DetectionReason {
  /** Search identifier (such as `selection`) of the rule. */
  search: string;
  /** Field name as written in the rule; `null` for a keyword search over the whole record. */
  field: string | null;
  modifiers: string[];
  /** The record's value as matchers read it (objects as JSON text), shortened; null if missing. */
  value: string | null;
  /** The rule's value it satisfied, as text (pattern, regex, network, `gt 5`, `exists`, …). */
  expected: string;
}

/** The reasons a single-event rule matched one event, bounded in size. */
export interface DetectionExplanation {
  reasons: DetectionReason[];
  /** Reasons left out past the maximum number kept. */
  omitted: number;
}

/** One event matched by a single-event rule. */
export interface EventMatch {
  rule_id: string;
  event_uid: string;
  time: string;
  /** The fields and values that matched; absent or null when none was computed. */
  explanation?: DetectionExplanation | null;
}

/** A correlation rule that fired: the group of base-rule events that crossed its condition. */
export interface CorrelationHit {
  rule_id: string;
  event_uids: string[];
  first_seen: string;
  last_seen: string;
  /** Values of the correlation's `group-by` fields for this hit. */
  group: Record<string, string>;
}
