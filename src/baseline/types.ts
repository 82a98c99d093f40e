import type { Level } from '../detect/types.ts';

/** The kinds of departure from an identity's own baseline that `runBaselines` finds. */
export const ANOMALY_KINDS = [
  'new_source_ip',
  'new_network',
  'new_country',
  'new_user_agent',
  'new_region',
  'new_api',
  'rare_operation',
  'volume_spike',
  'access_denied_burst',
  'unusual_hour',
  'impossible_travel',
  'new_key_new_ip',
] as const;

export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** One value of a baseline with how often it occurred there. */
export interface UsualValue {
  value: string;
  count: number;
}

/**
 * A departure from what the case's own events show as normal for one identity, with what it
 * was compared against, so that it explains itself.
 */
export interface Anomaly {
  /** Stable id: a hash of kind, identity, value, first time and first event uid. */
  id: string;
  kind: AnomalyKind;
  severity: Level;
  /** The actor uid (ARN, principal, e-mail) whose behaviour departs from its baseline. */
  identity: string;
  first_seen: string;
  last_seen: string;
  /** The new or unusual value, such as an address, a country, an hour or an event count. */
  value: string;
  /** The identity's usual values in the baseline window, most frequent first, at most five. */
  usual: UsualValue[];
  baseline: {
    from: string;
    to: string;
    /** Events of the identity in the baseline window. */
    events: number;
  };
  /** Figures behind the decision, such as the median and MAD of a volume spike. */
  details: Record<string, string | number>;
  /** One or two sentences: the baseline window, the usual values and the new value. */
  explanation: string;
  /** The events that show the anomaly, the first ones in time order, at most 100. */
  event_uids: string[];
  /** Events that show the anomaly, all of them, also those not in `event_uids`. */
  event_count: number;
}

/** Anomaly counts of a case, for the run summary. */
export interface BaselineSummary {
  total: number;
  by_kind: Partial<Record<AnomalyKind, number>>;
  /** Kinds that had more anomalies than the per-kind limit; the earliest ones were kept. */
  truncated: AnomalyKind[];
  /** Distinct source addresses of identities that were looked up in the GeoIP data. */
  addresses_enriched: number;
  /** When the GeoIP country data was built, or `null` when no lookup was needed. */
  geoip_built_at: string | null;
  /** The most severe anomalies, then the earliest, at most `SUMMARY_ANOMALIES`. */
  top: AnomalyBrief[];
}

/** Anomalies listed in the run summary; the report and the `anomalies` table have all. */
export const SUMMARY_ANOMALIES = 20;

/** An anomaly as the run summary lists it. */
export type AnomalyBrief = Pick<
  Anomaly,
  'kind' | 'severity' | 'identity' | 'first_seen' | 'value' | 'explanation'
>;
