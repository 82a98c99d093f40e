/**
 * Builds what every baseline query reads: the `ip_info` table (GeoIP facts per source address
 * of an identity) and the temporary `baseline_events` table (the identities' events with those
 * facts joined, in one row each).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeIp, type GeoIpData, type IpInfo } from '../geoip/index.ts';

/**
 * Distinct addresses looked up per run, which bounds the lookup time (about 10 µs each) and the
 * memory of `ip_info`. Addresses past the cap get no GeoIP facts, so no network or country.
 */
export const MAX_ADDRESSES = 1_000_000;

// Events that stand for a person or workload acting: those with an actor, except AWS services
// acting on their own and calls whose source is a service name rather than an address.
function identityEvents(alias: string): string {
  return `${alias}actor_uid IS NOT NULL AND ${alias}actor_type IS DISTINCT FROM 'AWSService'
  AND (${alias}src_ip IS NOT NULL OR ${alias}src_domain IS NULL)`;
}

const IP_INFO_SHAPE = JSON.stringify([
  {
    ip: 'VARCHAR',
    scope: 'VARCHAR',
    asn: 'INTEGER',
    as_org: 'VARCHAR',
    country: 'VARCHAR',
    city: 'VARCHAR',
    latitude: 'DOUBLE',
    longitude: 'DOUBLE',
    cloud: 'VARCHAR',
  },
]);

/** Looks up every source address of an identity event and replaces `ip_info` with the result. */
export async function enrichAddresses(
  connection: DuckDBConnection,
  geoip: () => GeoIpData,
): Promise<{ addresses: number; builtAt: Date | null }> {
  const reader = await connection.runAndReadAll(
    `SELECT DISTINCT src_ip FROM events WHERE src_ip IS NOT NULL AND ${identityEvents('')}
     LIMIT ${MAX_ADDRESSES}`,
  );
  const addresses = reader.getRowsJS().map((row) => String(row[0]));
  await connection.run('DELETE FROM ip_info');
  if (addresses.length === 0) return { addresses: 0, builtAt: null };

  const data = geoip();
  const infos: IpInfo[] = [];
  for (const address of addresses) {
    const info = describeIp(data, address);
    if (info !== null) infos.push(info);
  }
  await connection.run(
    `INSERT INTO ip_info SELECT unnest(from_json($rows, '${IP_INFO_SHAPE}'), recursive := true)`,
    { rows: JSON.stringify(infos) },
  );

  return { addresses: addresses.length, builtAt: data.builtAt };
}

/**
 * Creates the temporary `baseline_events` table on `connection`. `seq` counts the identity's
 * events strictly before this one's time and `identity_first` is its first event's time,
 * so each query reads how much history an identity had at any event without another window.
 * `travel_ok` marks public, non-cloud addresses with coordinates: the only ones that say where
 * a person was.
 */
export async function createBaselineEvents(connection: DuckDBConnection): Promise<void> {
  // The window runs over the row ids alone and its result is joined back: DuckDB's window sorts
  // every column it carries, and with the wide columns a million events took three times as long.
  // It partitions by a number for each identity, its first row id, because an identity's uid is
  // log content of any length. Partitioned by uids of 16.5 KB, 12,000 events ran out of the
  // case's 256 MB.
  await connection.run(`CREATE OR REPLACE TEMP TABLE baseline_events AS
WITH identity_ids AS (
  SELECT actor_uid, min(rowid) AS identity_id FROM events WHERE ${identityEvents('')}
  GROUP BY actor_uid
),
ranked AS (
  SELECT e.rowid AS row_id, rank() OVER by_time - 1 AS seq,
    first_value(e.time) OVER by_time AS identity_first
  FROM events e JOIN identity_ids d ON d.actor_uid = e.actor_uid WHERE ${identityEvents('e.')}
  WINDOW by_time AS (PARTITION BY d.identity_id ORDER BY e.time)
)
SELECT e.uid, e.time, e.actor_uid AS identity, e.actor_access_key AS access_key,
  e.src_ip AS ip, i.scope, i.asn, i.as_org, i.country, i.city, i.latitude, i.longitude, i.cloud,
  i.scope = 'public' AND i.cloud IS NULL AND i.latitude IS NOT NULL AS travel_ok,
  nullif(lower(regexp_extract(ltrim(e.user_agent, '['), '^[^/ (;,\\]]+')), '') AS agent_family,
  e.cloud_region AS region, e.api_service AS service,
  CASE WHEN e.api_operation IS NULL THEN NULL
    ELSE coalesce(e.api_service || ':', '') || e.api_operation END AS api,
  e.status, e.status_detail, r.seq, r.identity_first
FROM events e JOIN ranked r ON r.row_id = e.rowid LEFT JOIN ip_info i ON i.ip = e.src_ip`);
}
