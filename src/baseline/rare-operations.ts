/**
 * Rare operations: API operations that an identity with a long history in the case called only
 * once or twice, such as a `PutBucketPolicy` among thousands of `GetObject` calls.
 */
import { count, type Detector, MEMBER_COLUMNS, minute, usualList } from './detector.ts';

const SQL = `WITH totals AS (
  SELECT identity, count(*) AS total, min(time) AS from_time, max(time) AS to_time
  FROM baseline_events GROUP BY identity HAVING count(*) >= $min_events
),
operations AS (
  SELECT b.identity, b.api AS value, count(*) AS n,
    row_number() OVER (PARTITION BY b.identity ORDER BY count(*) DESC, b.api) AS value_rank
  FROM baseline_events b JOIN totals USING (identity)
  WHERE b.api IS NOT NULL
  GROUP BY b.identity, b.api
),
flagged AS (
  SELECT o.identity, o.value, o.n, min(b.time) AS value_first
  FROM operations o JOIN baseline_events b ON b.identity = o.identity AND b.api = o.value
  WHERE o.n <= $max_count
  GROUP BY o.identity, o.value, o.n
  ORDER BY value_first, o.identity, o.value
  LIMIT $max_anomalies + 1
),
members AS (
  SELECT f.identity, f.value, b.uid, b.time,
    row_number() OVER (PARTITION BY f.identity, f.value ORDER BY b.time, b.uid) AS member_rank
  FROM flagged f JOIN baseline_events b ON b.identity = f.identity AND b.api = f.value
),
grouped AS (SELECT identity, value, ${MEMBER_COLUMNS} FROM members GROUP BY identity, value),
usual AS (
  SELECT identity, list({'value': value, 'count': n} ORDER BY n DESC, value) AS usual
  FROM operations WHERE value_rank <= 5 AND n > $max_count GROUP BY identity
)
SELECT g.identity, g.value, g.uids, g.event_count, g.first_ms, g.last_ms,
  coalesce(u.usual, []) AS usual,
  epoch_ms(t.from_time) AS baseline_from_ms, epoch_ms(t.to_time) AS baseline_to_ms,
  t.total AS baseline_events,
  to_json({'calls': f.n})::VARCHAR AS details
FROM grouped g
JOIN flagged f USING (identity, value)
JOIN totals t USING (identity)
LEFT JOIN usual u USING (identity)
ORDER BY g.first_ms, g.identity, g.value`;

/** Finds operations an identity called at most `rareMaxCount` times among many events. */
export const RARE_OPERATION_DETECTOR: Detector = {
  kind: 'rare_operation',
  severity: 'low',
  title: 'Rare operation for an identity',
  sql: SQL,
  params: (options) => ({
    min_events: options.rareMinEvents,
    max_count: options.rareMaxCount,
    max_events: options.maxEventsPerAnomaly,
    max_anomalies: options.maxAnomaliesPerKind,
  }),
  explain: (row) =>
    `${row.value} was called ${count(row.details.calls ?? 0, 'time')} by this identity, first at ` +
    `${minute(row.first_ms)}, among its ${row.baseline_events} events in the case ` +
    `(${minute(row.baseline_from_ms)} to ${minute(row.baseline_to_ms)}). Its usual ` +
    `operations: ${usualList(row.usual)}.`,
};
