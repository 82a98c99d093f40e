/**
 * A new access key used from a new address: an IAM `CreateAccessKey` call, then, within
 * `newKeyWindowMs`, a call signed with the created key from an address that the creating
 * identity had not used up to the creation. An attacker who creates a key for persistence
 * usually tries it at once from their own machine.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { inRecordRanges } from '../store/record-ranges.ts';
import { count, type Detector, duration, MEMBER_COLUMNS, minute, usualList } from './detector.ts';

// The created key's id is only in the raw record (`responseElements.accessKey.accessKeyId`),
// so it is read from the few CreateAccessKey events alone, a bounded amount of their records
// at a time (see `inRecordRanges`).
const CREATED_WHERE =
  "api_operation = 'CreateAccessKey' AND status = 'success' AND actor_uid IS NOT NULL";

async function prepareCreatedKeys(connection: DuckDBConnection): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE baseline_created_keys (uid VARCHAR,
    time TIMESTAMP, creator VARCHAR, creator_ip VARCHAR, access_key VARCHAR)`);
  await inRecordRanges(
    connection,
    CREATED_WHERE,
    (events) => `INSERT INTO baseline_created_keys
      SELECT uid, time, actor_uid, src_ip,
        json_extract_string(raw, '$.responseElements.accessKey.accessKeyId')
      FROM ${events}`,
  );
}

// Whether an address is new to the creator is read from the first time the creator used it.
// Counting the creator's earlier events per creation and address joined every creation with
// every earlier event of its creator, which ran out of the case's 244 MiB on 75,000 events
// from 75,000 addresses. Those counts (`creator_ips`) are only made for the creations found.
const SQL = `WITH created AS (SELECT * FROM baseline_created_keys),
first_use AS (
  SELECT identity, ip, min(time) AS first_time FROM baseline_events
  WHERE ip IS NOT NULL AND identity IN (SELECT creator FROM created)
  GROUP BY identity, ip
),
uses AS (
  SELECT c.uid AS create_uid, c.time AS create_time, c.creator, c.access_key, b.identity,
    b.uid, b.time, b.ip
  FROM created c JOIN baseline_events b ON b.access_key = c.access_key
  WHERE c.access_key IS NOT NULL AND b.time >= c.time
    AND epoch_ms(b.time) - epoch_ms(c.time) <= $window_ms AND b.ip IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM first_use f
      WHERE f.identity = c.creator AND f.ip = b.ip AND f.first_time <= c.time)
),
members AS (
  SELECT *, row_number() OVER (PARTITION BY create_uid ORDER BY time, uid) AS member_rank
  FROM uses
),
grouped AS (
  SELECT create_uid, any_value(identity) AS identity, any_value(creator) AS creator,
    any_value(access_key) AS access_key, any_value(create_time) AS create_time,
    string_agg(DISTINCT ip, ', ' ORDER BY ip) AS ips, ${MEMBER_COLUMNS}
  FROM members GROUP BY create_uid
),
creator_ips AS (
  SELECT c.uid AS create_uid, b.ip, count(*) AS n, min(b.time) AS from_time
  FROM created c JOIN baseline_events b ON b.identity = c.creator AND b.time <= c.time
  WHERE b.ip IS NOT NULL AND c.uid IN (SELECT create_uid FROM grouped)
  GROUP BY c.uid, b.ip
),
usual AS (
  SELECT create_uid, list({'value': ip, 'count': n} ORDER BY n DESC, ip)
    FILTER (WHERE ip_rank <= 5) AS usual, min(from_time) AS from_time, sum(n) AS n
  FROM (SELECT *, row_number() OVER (PARTITION BY create_uid ORDER BY n DESC, ip) AS ip_rank
    FROM creator_ips)
  GROUP BY create_uid
)
SELECT g.identity, g.ips AS value, list_prepend(g.create_uid, g.uids) AS uids,
  g.event_count + 1 AS event_count, epoch_ms(g.create_time) AS first_ms, g.last_ms,
  coalesce(u.usual, []) AS usual,
  coalesce(epoch_ms(u.from_time), epoch_ms(g.create_time)) AS baseline_from_ms,
  epoch_ms(g.create_time) AS baseline_to_ms, coalesce(u.n, 0) AS baseline_events,
  to_json({'access_key': g.access_key, 'creator': g.creator,
    'minutes_to_first_use': round((g.first_ms - epoch_ms(g.create_time)) / 60000.0, 1)})::VARCHAR
    AS details
FROM grouped g LEFT JOIN usual u USING (create_uid)
ORDER BY first_ms, g.identity
LIMIT $max_anomalies + 1`;

/** Finds access keys used from an address new to their creator within the window. */
export const NEW_KEY_DETECTOR: Detector = {
  kind: 'new_key_new_ip',
  severity: 'high',
  title: 'New access key used from a new address',
  sql: SQL,
  prepare: prepareCreatedKeys,
  params: (options) => ({
    window_ms: options.newKeyWindowMs,
    max_events: options.maxEventsPerAnomaly - 1,
    max_anomalies: options.maxAnomaliesPerKind,
  }),
  explain: (row, options) =>
    `Access key ${row.details.access_key} was created by ${row.details.creator} at ` +
    `${minute(row.first_ms)} and used ${row.details.minutes_to_first_use} min later from ` +
    `${row.value}, within ${duration(options.newKeyWindowMs)}. Up to the creation ` +
    `(${minute(row.baseline_from_ms)} to ${minute(row.baseline_to_ms)}, ` +
    `${count(row.baseline_events, 'event')}) the creator used: ${usualList(row.usual)}.`,
};
