/**
 * Tables of the behaviour baselines: GeoIP facts per source address of an identity, and the
 * anomalies found. Both are replaced whole by each run, since they cover the whole case.
 */
export const BASELINE_SCHEMA: readonly string[] = [
  // scope is an `IpScope`; cloud names the provider whose network holds a public address.
  `CREATE TABLE IF NOT EXISTS ip_info (
  ip VARCHAR NOT NULL,
  scope VARCHAR NOT NULL,
  asn INTEGER,
  as_org VARCHAR,
  country VARCHAR,
  city VARCHAR,
  latitude DOUBLE,
  longitude DOUBLE,
  cloud VARCHAR
)`,
  `CREATE TABLE IF NOT EXISTS anomalies (
  anomaly_id VARCHAR PRIMARY KEY,
  kind VARCHAR NOT NULL,
  severity VARCHAR NOT NULL,
  identity VARCHAR NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  value VARCHAR NOT NULL,
  usual JSON NOT NULL,
  baseline_from TIMESTAMP NOT NULL,
  baseline_to TIMESTAMP NOT NULL,
  baseline_events BIGINT NOT NULL,
  details JSON NOT NULL,
  explanation VARCHAR NOT NULL,
  event_uids VARCHAR[] NOT NULL,
  event_count BIGINT NOT NULL
)`,
];
