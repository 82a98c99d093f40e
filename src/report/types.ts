import type { Level } from '../detect/types.ts';
import type { GapReport } from '../gaps/types.ts';
import type { IntelReport } from '../intel/index.ts';
import type { RecordCounts, RejectedRecord, RunSummary } from '../pipeline/types.ts';
import type { Finding, IngestRecord } from '../store/types.ts';
import type { AttackSection } from './attack-vector.ts';
import type { BaselineReport } from './baselines.ts';
import type { CoverageRow } from './coverage.ts';
import type { Deadline } from './deadlines.ts';
import type { ReportSection } from './sections.ts';

/** One source format in the report: record counts and the time range of its stored events. */
export interface SourceRow {
  source: string;
  /** Records read, stored and rejected by all completed ingests of the case. */
  records: RecordCounts;
  /** Events of this source in the case, from every run. */
  events: number;
  first_time: string | null;
  last_time: string | null;
}

/** One detected event in the attack timeline. */
export interface TimelineHighlight {
  /** Time of the first event of the entry. */
  time: string;
  /** Time of the last event of the entry; equals `time` for a single event. */
  last_time: string;
  /** Detected events the entry stands for. */
  count: number;
  /** First ATT&CK tactic of the rule, or `null` when the rule has none. */
  tactic: string | null;
  tactics: string[];
  rule_id: string;
  title: string;
  severity: Level;
  actor: string | null;
  src_ip: string | null;
  operation: string | null;
  source: string;
  /** Uid of the entry's first event. */
  event_uid: string;
  message: string;
}

/** Everything the reports show, gathered once by `buildReport` and rendered by each format. */
export interface ReportData {
  generated_at: string;
  case_dir: string;
  /** The run that produced the report; its own counts are shown apart from the case totals. */
  run: RunSummary | null;
  /** Records read, stored and rejected by all completed ingests of the case. */
  totals: RecordCounts;
  sources: SourceRow[];
  /** Every log category, present with its time range or missing with what it would show. */
  coverage: CoverageRow[];
  findings: Finding[];
  /** Number of findings (rules matched) per severity. */
  severity_counts: Record<Level, number>;
  /** Distinct events the rules of each severity detected; an event two rules detected counts once. */
  severity_events: Record<Level, number>;
  /** Compromised credentials, their initial-access verdicts and the attack chain. */
  attack?: AttackSection;
  /** Detected events in time order, capped at `ATTACK_TIMELINE_LIMIT`. */
  attack_timeline: TimelineHighlight[];
  /** Rejected records by file and index, capped at `REJECTED_LIMIT`. */
  rejected: RejectedRecord[];
  rejected_total: number;
  rejected_by_code: { code: string; count: number }[];
  /** Ingested evidence streams with their SHA-256 and original path. */
  evidence: IngestRecord[];
  /** Anomalies of the behaviour baselines. */
  baselines: BaselineReport;
  /** Reporting clocks of the case as of `generated_at`. */
  deadlines: Deadline[];
  /** Sections that analyses add, in `SECTION_BUILDERS` order. */
  sections: ReportSection[];
  /** The latest gap analysis of the case, or `null` when none ran. */
  gaps?: GapReport | null;
  /** Threat intel files loaded and the indicators they matched, or `null` when none. */
  intel?: IntelReport | null;
}

/**
 * Columns of the reports' severity table: the rules that matched (findings) and the distinct
 * events they detected, the units the workbench's Overview shows too.
 */
export const SEVERITY_COLUMNS = ['severity', 'rules matched', 'events detected'];
