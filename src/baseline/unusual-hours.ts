/**
 * Activity at unusual hours: a clock hour with events of an identity at an hour of the day
 * (UTC) in which at most `hourMaxShare` of its earlier events fell. Unlike the burst analytic,
 * a few events are enough, but the identity needs a longer history. Hours are UTC so the result
 * does not depend on the case's display time zone.
 */
import { type Detector, MEMBER_COLUMNS, minute, round, usualList } from './detector.ts';

// `prior_total` and `prior_same_hour` count the identity's events in earlier buckets, in all
// hours and in the same hour of the day; `prior_days` counts its earlier active UTC days.
const SQL = `WITH buckets AS (
  SELECT identity, date_trunc('hour', time) AS bucket, count(*) AS n
  FROM baseline_events GROUP BY identity, bucket
),
history AS (
  SELECT *,
    coalesce(sum(n) OVER (PARTITION BY identity ORDER BY bucket
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prior_total,
    coalesce(sum(n) OVER (PARTITION BY identity, hour(bucket) ORDER BY bucket
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prior_same_hour
  FROM buckets
),
days AS (
  SELECT identity, day,
    row_number() OVER (PARTITION BY identity ORDER BY day) - 1 AS prior_days
  FROM (SELECT DISTINCT identity, CAST(bucket AS DATE) AS day FROM buckets)
),
flagged AS (
  SELECT h.identity, h.bucket, h.n, h.prior_total, h.prior_same_hour
  FROM history h JOIN days d ON d.identity = h.identity AND d.day = CAST(h.bucket AS DATE)
  WHERE h.n >= $min_events AND h.prior_total >= $min_prior AND d.prior_days >= $min_days
    AND h.prior_same_hour <= $max_share * h.prior_total
  ORDER BY h.bucket, h.identity
  LIMIT $max_anomalies + 1
),
earlier_hours AS (
  SELECT f.identity, f.bucket, hour(b.bucket) AS hour_of_day, sum(b.n) AS n,
    min(b.bucket) AS from_time,
    row_number() OVER (PARTITION BY f.identity, f.bucket ORDER BY sum(b.n) DESC,
      hour(b.bucket)) AS hour_rank
  FROM flagged f JOIN buckets b ON b.identity = f.identity AND b.bucket < f.bucket
  GROUP BY f.identity, f.bucket, hour(b.bucket)
),
usual AS (
  SELECT identity, bucket, min(from_time) AS from_time,
    list({'value': lpad(hour_of_day::VARCHAR, 2, '0') || ':00', 'count': n} ORDER BY n DESC,
      hour_of_day) FILTER (WHERE hour_rank <= 5) AS usual
  FROM earlier_hours GROUP BY identity, bucket
),
members AS (
  SELECT f.identity, f.bucket, b.uid, b.time,
    row_number() OVER (PARTITION BY f.identity, f.bucket ORDER BY b.time, b.uid) AS member_rank
  FROM flagged f JOIN baseline_events b
    ON b.identity = f.identity AND date_trunc('hour', b.time) = f.bucket
),
grouped AS (SELECT identity, bucket, ${MEMBER_COLUMNS} FROM members GROUP BY identity, bucket)
SELECT g.identity, lpad(hour(f.bucket)::VARCHAR, 2, '0') || ':00 UTC' AS value, g.uids,
  g.event_count, g.first_ms, g.last_ms, coalesce(u.usual, []) AS usual,
  epoch_ms(u.from_time) AS baseline_from_ms, epoch_ms(f.bucket) AS baseline_to_ms,
  f.prior_total AS baseline_events,
  to_json({'hour': strftime(f.bucket, '%Y-%m-%dT%H:00Z'), 'events': f.n,
    'earlier_same_hour': f.prior_same_hour})::VARCHAR AS details
FROM grouped g
JOIN flagged f USING (identity, bucket)
LEFT JOIN usual u USING (identity, bucket)
ORDER BY g.first_ms, g.identity`;

/** Finds clock hours of an identity at an hour of the day it rarely or never used before. */
export const UNUSUAL_HOUR_DETECTOR: Detector = {
  kind: 'unusual_hour',
  severity: 'low',
  title: 'Activity at an unusual hour for an identity',
  sql: SQL,
  params: (options) => ({
    min_events: options.hourMinEvents,
    min_prior: options.hourMinBaselineEvents,
    min_days: options.hourMinBaselineDays,
    max_share: options.hourMaxShare,
    max_events: options.maxEventsPerAnomaly,
    max_anomalies: options.maxAnomaliesPerKind,
  }),
  explain: (row, options) =>
    `${row.details.events} events in the hour from ${row.details.hour}. Before it, from ` +
    `${minute(row.baseline_from_ms)}, this identity had ${row.baseline_events} events, ` +
    `${row.details.earlier_same_hour} of them at ${row.value} (at most ` +
    `${round(options.hourMaxShare * 100)}% counts as unusual). Its busiest hours (UTC): ` +
    `${usualList(row.usual)}.`,
};
