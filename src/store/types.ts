import type { Event } from '../core/event.ts';
import type { DetectionExplanation, Level } from '../detect/types.ts';

/** Which events `CaseDb.timeline` returns. Every field is optional and they combine with AND. */
export interface TimelineFilter {
  /** Earliest event time, inclusive, as an ISO 8601 instant. */
  since?: string;
  /** Latest event time, inclusive, as an ISO 8601 instant. */
  until?: string;
  /** Case-insensitive substring of `actor.uid` or `actor.name`. */
  actor?: string;
  /**
   * Events that `actor` selects although their actor columns do not contain it, because it
   * occurs past the start that a column keeps of a long actor (see `actorsPastCut`).
   */
  actorUids?: readonly string[];
  /** `src.ip` exactly, or an IPv4 CIDR block such as `203.0.113.0/24`. */
  ip?: string;
  /** `api.operation`, compared case-insensitively. */
  operation?: string;
  /** Format id (`Event.source`), such as `aws.cloudtrail`. */
  source?: string;
  /** Maximum number of events. */
  limit?: number;
  /** Leaves out the original records (`raw` becomes `{}`), for outputs that do not show them. */
  withoutRaw?: boolean;
}

/** One rule's detections, single-event matches and correlation hits together. */
export interface Finding {
  rule_id: string;
  /** The rule's title, or its id when the rule's metadata was never stored. */
  title: string;
  /** The rule's level; `informational` when the rule's metadata was never stored. */
  severity: Level;
  tactics: string[];
  techniques: string[];
  /**
   * Distinct events the rule matched. Their uids are not held here, because a rule can match
   * most events of a case; `findingEventUidsJson` streams them in time order.
   */
  event_count: number;
  first_seen: string;
  last_seen: string;
  /** Distinct `actor.uid` values of the matched events, sorted. */
  actors: string[];
  /** Number of correlation hits of the rule; 0 for a single-event rule. */
  correlation_hits: number;
  /**
   * Why the rule matched its first events (at most `MAX_FINDING_EXPLANATIONS`, in time order):
   * the fields and values of each match. Correlation hits have none.
   */
  explanations: EventExplanation[];
}

/** The explanation of one detection, with the event it belongs to. */
export interface EventExplanation extends DetectionExplanation {
  event_uid: string;
}

/** Events stored per source format. */
export interface SourceCount {
  source: string;
  events: number;
  first_time: string;
  last_time: string;
}

/**
 * Records read, stored and rejected by the completed ingests of one format, either all with
 * rejected records or all without.
 */
export interface IngestCount {
  format: string | null;
  read: number;
  stored: number;
  rejected: number;
  streams: number;
}

/** What a case holds, for summaries and reports. */
/** Stored events of one source and category. */
export interface CategoryCount {
  source: string;
  category: string;
  events: number;
  first_time: string;
  last_time: string;
}

export interface CaseCounts {
  events: number;
  sources: SourceCount[];
  categories: CategoryCount[];
  ingests: IngestCount[];
  rejected: { code: string; count: number }[];
  rejected_total: number;
}

/** One evidence stream the case has ingested. */
export interface IngestRecord {
  sha256: string;
  member: string | null;
  path: string;
  format: string | null;
  state: 'complete' | 'partial';
  started_at: string;
  finished_at: string | null;
}

/** A detected event with the rule that matched it, for the attack timeline. */
export interface DetectedEvent {
  rule_id: string;
  title: string;
  severity: Level;
  tactics: string[];
  /** Set when the event is part of a correlation hit. */
  hit_id: string | null;
  event: DetectedEventFields;
}

/** The fields of a detected event that the attack timeline shows. */
export interface DetectedEventFields {
  uid: string;
  time: string;
  source: string;
  message: string;
  actor: Pick<Event['actor'], 'uid' | 'name'>;
  src: Pick<Event['src'], 'ip'>;
  api: Pick<Event['api'], 'operation'>;
}
