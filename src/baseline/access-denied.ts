/**
 * Bursts of access-denied errors: many calls of one identity refused for lack of permission in
 * one fixed bucket of `deniedBucketMinutes`, far more than the identity's own usual count per
 * active bucket. Someone trying what stolen credentials may do produces this; automation that
 * always fails the same way has a high usual count and stays quiet.
 */
import { type Detector, MEMBER_COLUMNS, minute, round } from './detector.ts';

// Error codes of permission refusals: AWS (AccessDenied…, UnauthorizedOperation,
// Client.UnauthorizedOperation), Azure (AuthorizationFailed), Google Cloud (PERMISSION_DENIED,
// or its numeric gRPC code 7 in status.code), Kubernetes and HTTP logs (403, Forbidden).
const DENIED_PATTERN =
  '(accessdenied|unauthorizedoperation|unauthorized|authorizationfailed|permission_?denied|forbidden|^403$|^7$)';

const SQL = `WITH marked AS (
  SELECT identity, uid, time,
    time_bucket(to_minutes(CAST($bucket_minutes AS BIGINT)), time) AS bucket,
    coalesce(status = 'failure' AND regexp_matches(status_detail, '${DENIED_PATTERN}', 'i'), false)
      AS denied
  FROM baseline_events
),
buckets AS (
  SELECT identity, bucket, count(*) FILTER (WHERE denied) AS denied_count, count(*) AS n
  FROM marked GROUP BY identity, bucket
),
stats AS (
  SELECT identity, median(denied_count) AS med, count(*) AS active_buckets,
    sum(denied_count) AS denied_total, sum(n) AS total, min(bucket) AS from_time,
    max(bucket) AS to_time
  FROM buckets GROUP BY identity
),
flagged AS (
  SELECT b.identity, b.bucket, b.denied_count, b.n, s.med
  FROM buckets b JOIN stats s USING (identity)
  WHERE b.denied_count >= $min_count AND b.denied_count >= $min_ratio * s.med
  ORDER BY b.bucket, b.identity
  LIMIT $max_anomalies + 1
),
members AS (
  SELECT f.identity, f.bucket, m.uid, m.time,
    row_number() OVER (PARTITION BY f.identity, f.bucket ORDER BY m.time, m.uid) AS member_rank
  FROM flagged f JOIN marked m ON m.identity = f.identity AND m.bucket = f.bucket AND m.denied
),
grouped AS (SELECT identity, bucket, ${MEMBER_COLUMNS} FROM members GROUP BY identity, bucket)
SELECT g.identity, f.denied_count || ' denied calls' AS value, g.uids, g.event_count,
  g.first_ms, g.last_ms, [] AS usual,
  epoch_ms(s.from_time) AS baseline_from_ms,
  epoch_ms(s.to_time) + $bucket_minutes * 60000 AS baseline_to_ms,
  s.total AS baseline_events,
  to_json({'bucket_start': strftime(f.bucket, '%Y-%m-%dT%H:%MZ'), 'denied': f.denied_count,
    'calls': f.n, 'median_denied': f.med, 'active_buckets': s.active_buckets,
    'denied_total': s.denied_total})::VARCHAR AS details
FROM grouped g
JOIN flagged f USING (identity, bucket)
JOIN stats s USING (identity)
ORDER BY g.first_ms, g.identity`;

/** Finds buckets with many more denied calls than the identity's median per active bucket. */
export const ACCESS_DENIED_DETECTOR: Detector = {
  kind: 'access_denied_burst',
  severity: 'medium',
  title: 'Burst of access-denied errors for an identity',
  sql: SQL,
  params: (options) => ({
    bucket_minutes: options.deniedBucketMinutes,
    min_count: options.deniedMinCount,
    min_ratio: options.deniedMinRatio,
    max_events: options.maxEventsPerAnomaly,
    max_anomalies: options.maxAnomaliesPerKind,
  }),
  explain: (row, options) =>
    `${row.details.denied} of ${row.details.calls} calls denied in the ` +
    `${options.deniedBucketMinutes} minutes from ${row.details.bucket_start}. Usual for this ` +
    `identity: a median of ${round(Number(row.details.median_denied))} denied calls per ` +
    `active ${options.deniedBucketMinutes}-minute bucket over ${row.details.active_buckets} ` +
    `buckets from ${minute(row.baseline_from_ms)} to ${minute(row.baseline_to_ms)} ` +
    `(${row.details.denied_total} denied of ${row.baseline_events} calls).`,
};
