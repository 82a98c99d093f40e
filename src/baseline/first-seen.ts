/**
 * Values an identity had never used: a source address, network, country, user agent family,
 * region or API operation first seen after the identity's baseline window, the first
 * `baselineMs` of its events in the case.
 */
import type { Level } from '../detect/types.ts';
import {
  type AnomalyRow,
  count,
  type Detector,
  duration,
  MEMBER_COLUMNS,
  minute,
  usualList,
} from './detector.ts';
import type { BaselineOptions } from './options.ts';
import type { AnomalyKind } from './types.ts';

interface Dimension {
  kind: AnomalyKind;
  severity: Level;
  title: string;
  /** What the value is, for the explanation, such as `source address`. */
  noun: string;
  /** SQL expression over `baseline_events` for the value. */
  value: string;
  /** SQL condition for the events whose value counts. */
  filter: string;
}

// AWS services with one global endpoint, whose calls CloudTrail records in us-east-1 wherever
// the caller works; a region seen only through them says nothing about where resources are.
const GLOBAL_SERVICES = [
  'iam',
  'organizations',
  'cloudfront',
  'route53',
  'support',
  'account',
  'ce',
  'budgets',
  'health',
  'globalaccelerator',
  'shield',
  'waf',
]
  .map((name) => `'${name}.amazonaws.com'`)
  .join(', ');

const DIMENSIONS: Dimension[] = [
  {
    kind: 'new_source_ip',
    severity: 'low',
    title: 'New source address for an identity',
    noun: 'source address',
    value: 'ip',
    filter: 'ip IS NOT NULL',
  },
  {
    kind: 'new_network',
    severity: 'medium',
    title: 'New network (autonomous system) for an identity',
    noun: 'network',
    value: `'AS' || asn || coalesce(' ' || as_org, '')`,
    filter: 'asn IS NOT NULL',
  },
  {
    // Cloud-provider, private and special addresses have no country that says where a person is.
    kind: 'new_country',
    severity: 'medium',
    title: 'New country for an identity',
    noun: 'country',
    value: 'country',
    filter: `scope = 'public' AND cloud IS NULL AND country IS NOT NULL`,
  },
  {
    kind: 'new_user_agent',
    severity: 'low',
    title: 'New user agent family for an identity',
    noun: 'user agent family',
    value: 'agent_family',
    filter: 'agent_family IS NOT NULL',
  },
  {
    kind: 'new_region',
    severity: 'medium',
    title: 'New cloud region for an identity',
    noun: 'region',
    value: 'region',
    filter: `region IS NOT NULL AND coalesce(service, '') NOT IN (${GLOBAL_SERVICES})`,
  },
  {
    kind: 'new_api',
    severity: 'low',
    title: 'New API operation for an identity',
    noun: 'API operation',
    value: 'api',
    filter: 'api IS NOT NULL',
  },
];

// `firsts` has one row per identity and value: the value's first time and how many events the
// identity had before it (`seq` of that first event). Usual values are counted in the baseline
// window of the identities flagged only.
function firstSeenSql(dimension: Dimension): string {
  return `WITH base AS (
  SELECT identity, uid, time, seq, identity_first, ${dimension.value} AS value
  FROM baseline_events WHERE ${dimension.filter}
),
firsts AS (
  SELECT identity, value, min(time) AS value_first, min(seq) AS prior_events,
    any_value(identity_first) AS identity_first
  FROM base GROUP BY identity, value
),
flagged AS (
  SELECT * FROM firsts
  WHERE prior_events >= $min_events
    AND epoch_ms(value_first) - epoch_ms(identity_first) >= $baseline_ms
  ORDER BY value_first, identity, value
  LIMIT $max_anomalies + 1
),
members AS (
  SELECT f.identity, f.value, b.uid, b.time,
    row_number() OVER (PARTITION BY f.identity, f.value ORDER BY b.time, b.uid) AS member_rank
  FROM flagged f JOIN base b ON b.identity = f.identity AND b.value = f.value
  WHERE epoch_ms(b.time) - epoch_ms(f.value_first) <= $follow_up_ms
),
grouped AS (
  SELECT identity, value, ${MEMBER_COLUMNS} FROM members GROUP BY identity, value
),
flagged_identities AS (SELECT DISTINCT identity FROM flagged),
window_values AS (
  SELECT b.identity, b.value, count(*) AS n,
    row_number() OVER (PARTITION BY b.identity ORDER BY count(*) DESC, b.value) AS value_rank
  FROM base b JOIN flagged_identities USING (identity)
  WHERE epoch_ms(b.time) - epoch_ms(b.identity_first) < $baseline_ms
  GROUP BY b.identity, b.value
),
usual AS (
  SELECT identity, list({'value': value, 'count': n} ORDER BY n DESC, value) AS usual
  FROM window_values WHERE value_rank <= 5 GROUP BY identity
),
window_events AS (
  SELECT identity, count(*) AS n
  FROM baseline_events JOIN flagged_identities USING (identity)
  WHERE epoch_ms(time) - epoch_ms(identity_first) < $baseline_ms
  GROUP BY identity
)
SELECT g.identity, g.value, g.uids, g.event_count, g.first_ms, g.last_ms,
  coalesce(u.usual, []) AS usual,
  epoch_ms(f.identity_first) AS baseline_from_ms,
  epoch_ms(f.identity_first) + $baseline_ms AS baseline_to_ms,
  coalesce(w.n, 0) AS baseline_events,
  to_json({'prior_events': f.prior_events})::VARCHAR AS details
FROM grouped g
JOIN flagged f USING (identity, value)
LEFT JOIN usual u USING (identity)
LEFT JOIN window_events w USING (identity)
ORDER BY g.first_ms, g.identity, g.value`;
}

function firstSeenDetector(dimension: Dimension): Detector {
  return {
    kind: dimension.kind,
    severity: dimension.severity,
    title: dimension.title,
    sql: firstSeenSql(dimension),
    params: (options: BaselineOptions) => ({
      min_events: options.minBaselineEvents,
      baseline_ms: options.baselineMs,
      follow_up_ms: options.followUpMs,
      max_events: options.maxEventsPerAnomaly,
      max_anomalies: options.maxAnomaliesPerKind,
    }),
    explain: (row: AnomalyRow, options: BaselineOptions) =>
      `First use of ${dimension.noun} ${row.value} at ${minute(row.first_ms)}, after ` +
      `${count(row.details.prior_events ?? 0, 'earlier event')} of this identity. In its baseline ` +
      `window, ` +
      `the first ${duration(options.baselineMs)} of its events (${minute(row.baseline_from_ms)} ` +
      `to ${minute(row.baseline_to_ms)}, ${count(row.baseline_events, 'event')}), it used: ` +
      `${usualList(row.usual)}.`,
  };
}

/** The detectors of first-seen values, one per dimension. */
export const FIRST_SEEN_DETECTORS: Detector[] = DIMENSIONS.map(firstSeenDetector);
