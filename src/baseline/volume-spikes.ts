/**
 * Volume spikes: a clock hour in which an identity made far more calls than usual. "Usual" is
 * measured with robust statistics, so a few earlier spikes do not hide a new one: the median
 * and the median absolute deviation (MAD) of the identity's event counts per active hour (an
 * hour with at least one event). An hour is a spike when its modified z-score,
 * 0.6745 × (count − median) / MAD (Iglewicz and Hoaglin), exceeds `spikeMinScore`. A MAD of 0,
 * when most hours have the same count, is taken as 1.
 */
import { type Detector, MEMBER_COLUMNS, minute, round } from './detector.ts';

const SQL = `WITH hours AS (
  SELECT identity, date_trunc('hour', time) AS bucket, count(*) AS n
  FROM baseline_events GROUP BY identity, bucket
),
stats AS (
  SELECT identity, median(n) AS med, count(*) AS active_hours,
    min(bucket) AS from_time, max(bucket) AS to_time, sum(n) AS total
  FROM hours GROUP BY identity HAVING count(*) >= $min_hours
),
spread AS (
  SELECT h.identity, median(abs(h.n - s.med)) AS mad
  FROM hours h JOIN stats s USING (identity) GROUP BY h.identity
),
flagged AS (
  SELECT h.identity, h.bucket, h.n, s.med, p.mad,
    0.6745 * (h.n - s.med) / greatest(p.mad, 1) AS score
  FROM hours h JOIN stats s USING (identity) JOIN spread p USING (identity)
  WHERE h.n >= $min_events AND 0.6745 * (h.n - s.med) / greatest(p.mad, 1) > $min_score
  ORDER BY h.bucket, h.identity
  LIMIT $max_anomalies + 1
),
members AS (
  SELECT f.identity, f.bucket, b.uid, b.time,
    row_number() OVER (PARTITION BY f.identity, f.bucket ORDER BY b.time, b.uid) AS member_rank
  FROM flagged f JOIN baseline_events b
    ON b.identity = f.identity AND date_trunc('hour', b.time) = f.bucket
),
grouped AS (SELECT identity, bucket, ${MEMBER_COLUMNS} FROM members GROUP BY identity, bucket)
SELECT g.identity, f.n || ' events' AS value, g.uids, g.event_count, g.first_ms, g.last_ms,
  [] AS usual,
  epoch_ms(s.from_time) AS baseline_from_ms, epoch_ms(s.to_time) + 3600000 AS baseline_to_ms,
  s.total AS baseline_events,
  to_json({'hour': strftime(f.bucket, '%Y-%m-%dT%H:00Z'), 'events': f.n, 'median': f.med,
    'mad': f.mad, 'modified_z': round(f.score, 1), 'active_hours': s.active_hours})::VARCHAR
    AS details
FROM grouped g
JOIN flagged f USING (identity, bucket)
JOIN stats s USING (identity)
ORDER BY g.first_ms, g.identity`;

/** Finds hours whose event count is far above the identity's median per active hour. */
export const VOLUME_SPIKE_DETECTOR: Detector = {
  kind: 'volume_spike',
  severity: 'medium',
  title: 'Volume spike for an identity',
  sql: SQL,
  params: (options) => ({
    min_hours: options.spikeMinActiveHours,
    min_events: options.spikeMinEvents,
    min_score: options.spikeMinScore,
    max_events: options.maxEventsPerAnomaly,
    max_anomalies: options.maxAnomaliesPerKind,
  }),
  explain: (row) =>
    `${row.details.events} events in the hour from ${row.details.hour}. Usual for this ` +
    `identity: a median of ${round(Number(row.details.median))} events per active hour ` +
    `(MAD ${round(Number(row.details.mad))}) over ${row.details.active_hours} active hours ` +
    `from ${minute(row.baseline_from_ms)} to ${minute(row.baseline_to_ms)}; modified ` +
    `z-score ${row.details.modified_z}.`,
};
