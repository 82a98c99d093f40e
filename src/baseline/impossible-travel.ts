/**
 * Impossible travel: two consecutive events of an identity from places further apart than
 * anyone could travel in the time between them. Only public addresses outside the large cloud
 * providers count, because a cloud address is placed where its region is, not where a person
 * is. Places come from GeoLite2 coordinates, which may be a country's centre, so short
 * distances are ignored.
 */
import { type Detector, duration, minute } from './detector.ts';

// `steps` pairs each located event with the identity's previous located event; a pair of
// addresses is reported once, at its first impossible step, with the two events.
const SQL = `WITH located AS (
  SELECT identity, uid, time, ip, country, city, latitude, longitude
  FROM baseline_events WHERE travel_ok
),
steps AS (
  SELECT *,
    lag(uid) OVER w AS prev_uid, lag(time) OVER w AS prev_time, lag(ip) OVER w AS prev_ip,
    lag(country) OVER w AS prev_country, lag(city) OVER w AS prev_city,
    lag(latitude) OVER w AS prev_lat, lag(longitude) OVER w AS prev_lon
  FROM located
  WINDOW w AS (PARTITION BY identity ORDER BY time, uid)
),
moves AS (
  SELECT *,
    2 * 6371 * asin(sqrt(pow(sin(radians(latitude - prev_lat) / 2), 2)
      + cos(radians(prev_lat)) * cos(radians(latitude))
      * pow(sin(radians(longitude - prev_lon) / 2), 2))) AS km,
    greatest(epoch_ms(time) - epoch_ms(prev_time), 1) / 3600000.0 AS hours
  FROM steps WHERE prev_ip IS NOT NULL AND prev_ip <> ip
),
flagged AS (
  SELECT *, row_number() OVER (PARTITION BY identity, least(ip, prev_ip), greatest(ip, prev_ip)
    ORDER BY time, uid) AS pair_rank
  FROM moves WHERE km >= $min_km AND km / hours > $max_kmh
)
SELECT identity, country || ' (' || ip || ')' AS value, [prev_uid, uid] AS uids,
  2 AS event_count, epoch_ms(prev_time) AS first_ms, epoch_ms(time) AS last_ms,
  [{'value': prev_country || ' (' || prev_ip || ')', 'count': 1}] AS usual,
  epoch_ms(prev_time) AS baseline_from_ms, epoch_ms(time) AS baseline_to_ms,
  1 AS baseline_events,
  to_json({'from_ip': prev_ip, 'from_country': prev_country, 'from_city': prev_city,
    'to_ip': ip, 'to_country': country, 'to_city': city, 'km': round(km),
    'km_per_hour': round(km / hours)})::VARCHAR AS details
FROM flagged WHERE pair_rank = 1
ORDER BY time, identity
LIMIT $max_anomalies + 1`;

/** Finds consecutive events of an identity whose places imply a speed above `travelMaxKmh`. */
export const IMPOSSIBLE_TRAVEL_DETECTOR: Detector = {
  kind: 'impossible_travel',
  severity: 'high',
  title: 'Impossible travel for an identity',
  sql: SQL,
  params: (options) => ({
    min_km: options.travelMinKm,
    max_kmh: options.travelMaxKmh,
    max_anomalies: options.maxAnomaliesPerKind,
  }),
  explain: (row, options) =>
    `From ${place(row.details, 'from')} at ${minute(row.baseline_from_ms)} to ` +
    `${place(row.details, 'to')} at ${minute(row.last_ms)}: ${row.details.km} km in ` +
    `${duration(row.last_ms - row.first_ms)}, ${row.details.km_per_hour} km/h, faster ` +
    `than ${options.travelMaxKmh} km/h.`,
};

function place(details: Record<string, string | number>, side: 'from' | 'to'): string {
  const city = details[`${side}_city`];
  const where = city === undefined || city === null ? '' : `${city}, `;
  return `${where}${details[`${side}_country`]} (${details[`${side}_ip`]})`;
}
