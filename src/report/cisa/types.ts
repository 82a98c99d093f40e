import type { Deadline } from '../deadlines.ts';

/** Origin of a CISA report field's value. */
export type FieldSource = 'case.json' | 'case data' | 'not applicable';

/** One field of the CISA incident report. */
export interface CisaField {
  /** Stable id, such as `organisation.name`. */
  id: string;
  label: string;
  /** The value, or `null` while the field is missing. */
  value: string | null;
  /** Origin of the value; `null` while the field is missing. */
  source: FieldSource | null;
  /** The `case.json` key that sets or overrides the field; `null` for one read from events. */
  key: string | null;
}

/** One section of the CISA incident report. */
export interface CisaSection {
  id: string;
  title: string;
  fields: CisaField[];
}

/** A field still missing, with the `case.json` key that fills it. */
export interface MissingField {
  id: string;
  section: string;
  label: string;
  key: string | null;
}

/**
 * The CISA / US-CERT incident report of a case. `status` is `complete` only when no field is
 * missing.
 */
export interface CisaReport {
  template: 'cisa';
  /** Version number of this report; version 1 is the initial report, later ones supplemental. */
  version: number;
  /** The version this one supplements, with the SHA-256 of its file; `null` for version 1. */
  supersedes: { version: number; file: string; sha256: string } | null;
  generated_at: string;
  case_id: string | null;
  case_title: string | null;
  status: 'complete' | 'incomplete';
  missing: MissingField[];
  /** Contradictions between the report's dates, to resolve before filing. */
  warnings: string[];
  sections: CisaSection[];
  deadlines: Deadline[];
  /** Appendix: every command recorded on the case, oldest first, up to `AUDIT_LIMIT`. */
  audit_trail: AuditEntry[];
  /** Entries in the whole audit trail; more than `audit_trail` lists when it was cut. */
  audit_total: number;
}

/** A count of detected events per value, such as per source address. */
export interface ValueCount {
  value: string;
  events: number;
}

/** One resource touched by detected events of a data-related tactic. */
export interface AffectedResource {
  uid: string;
  type: string | null;
  operations: string[];
  events: number;
}

/** An ATT&CK tactic seen in the findings, with its techniques and rule titles. */
export interface TacticSummary {
  tactic: string;
  techniques: string[];
  titles: string[];
  first_seen: string;
}

/** One entry of the audit trail. */
export interface AuditEntry {
  time: string;
  actor: string;
  command: string;
  details: string;
}

/** Case data of the CISA report, gathered by `gatherCisaInputs`. */
export interface CisaInputs {
  findings: number;
  severity: Record<string, number>;
  /** Time of the first and last detected event; `null` without detections. */
  first_detected_event: string | null;
  last_detected_event: string | null;
  events_total: number;
  accounts: ValueCount[];
  regions: ValueCount[];
  services: ValueCount[];
  source_ips: ValueCount[];
  user_agents: ValueCount[];
  actors: ValueCount[];
  access_keys: ValueCount[];
  affected: AffectedResource[];
  tactics: TacticSummary[];
  audit: AuditEntry[];
  /** Entries in the audit trail, of which `audit` holds the first `AUDIT_LIMIT`. */
  audit_total: number;
  evidence_items: number;
  custody_entries: number;
  /** Log categories of which the case has no logs. */
  missing_categories: string[];
  rejected_total: number;
}
