/**
 * Long-term access key used from a source it never used before: the usual trace of a leaked
 * `AKIA…` key. The analytic runs as one DuckDB query with window functions over the `events`
 * table, so only the flagged events reach Node.js.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CorrelationHit, RuleMeta } from '../detect/types.ts';
import { isoFromEpochMs, stringList } from './sql-values.ts';
import type { Analytic } from './types.ts';

const HOUR_MS = 3_600_000;

/** Thresholds of the analytic. Every field has a default. */
export interface KeyNewSourceOptions {
  /** Time between a key's first event and a new source before that source counts as new, in ms. Default 24 h. */
  baselineMs?: number;
  /** Events a key must have made before a new source counts as new. Default 10. */
  minBaselineEvents?: number;
  /** Time after the first event from a new source in which its later events join the hit, in ms. Default 24 h. */
  followUpMs?: number;
  /** Maximum event uids per hit. Default 100. */
  maxEventsPerHit?: number;
}

const DEFAULTS: Required<KeyNewSourceOptions> = {
  baselineMs: 24 * HOUR_MS,
  minBaselineEvents: 10,
  followUpMs: 24 * HOUR_MS,
  maxEventsPerHit: 100,
};

/** Rule id of the analytic, stable across releases. */
export const KEY_NEW_SOURCE_ID = 'a698338a-1069-44aa-9574-25c408685481';

/** Builds the analytic's metadata; the description states the thresholds in use. */
function keyNewSourceMeta(settings: Required<KeyNewSourceOptions>): RuleMeta {
  return {
    id: KEY_NEW_SOURCE_ID,
    title: 'Long-Term Access Key Used From a New Source',
    level: 'high',
    description:
      'An IAM user access key (AKIA prefix) made a call from a source IP address it had not ' +
      'used before in this case. When a call has no source IP address, its source is the ' +
      'family of its user agent, such as aws-cli or boto3. A source counts as new only when ' +
      `the key already had a baseline: at least ${hours(settings.baselineMs)} between its ` +
      `first event in the case and the call, and at least ${settings.minBaselineEvents} ` +
      'earlier events. Sources first seen while the baseline builds up count as normal. Calls ' +
      'that an AWS service made for the key (source recorded as a service name, not an ' +
      'address) are left out. One hit holds the first call from the new source and the later ' +
      `calls from it within ${hours(settings.followUpMs)}, at most ` +
      `${settings.maxEventsPerHit}.`,
    tactics: ['initial-access'],
    techniques: ['T1078.004'],
    tags: ['attack.initial-access', 'attack.t1078.004'],
    falsepositives: [
      'A developer working from home, a new office or a VPN exit for the first time',
      'A key moved to a new CI runner or server',
    ],
    file: 'src/analyze/long-term-key-new-source.ts',
  };
}

function hours(ms: number): string {
  return `${ms / HOUR_MS} hours`;
}

// `source_kind` and `source_value` name the source: the IP address, or when the log records
// none, the user agent's first product token in lower case. Rows whose source address is a
// service name (src_domain set, src_ip null) are AWS services acting and are dropped first.
// `prior_events` counts the key's earlier events; `source_rank` = 1 marks the key's first event
// from a source. Ties in time are ordered by uid so the result does not depend on scan order.
// NOTE: addresses are compared exactly, so a key used from a dynamic range (a home ISP, a
// mobile network) is flagged at each address it gets. Comparing networks needs IP enrichment.
const SQL = `WITH keyed AS (
  SELECT uid, time, actor_access_key AS access_key, actor_uid,
    CASE WHEN src_ip IS NOT NULL THEN 'src_ip' ELSE 'user_agent_family' END AS source_kind,
    coalesce(src_ip,
      nullif(lower(regexp_extract(ltrim(user_agent, '['), '^[^/ (;,\\]]+')), '')) AS source_value
  FROM events
  WHERE starts_with(actor_access_key, 'AKIA') AND (src_ip IS NOT NULL OR src_domain IS NULL)
),
ranked AS (
  SELECT *,
    min(time) OVER (PARTITION BY access_key) AS key_first,
    row_number() OVER (PARTITION BY access_key ORDER BY time, uid) - 1 AS prior_events,
    row_number() OVER (PARTITION BY access_key, source_kind, source_value ORDER BY time, uid)
      AS source_rank
  FROM keyed
  WHERE source_value IS NOT NULL
),
firsts AS (
  SELECT access_key, source_kind, source_value, time AS first_time, actor_uid
  FROM ranked
  WHERE source_rank = 1 AND prior_events >= $min_events
    AND epoch_ms(time) - epoch_ms(key_first) >= $baseline_ms
),
members AS (
  SELECT f.access_key, f.source_kind, f.source_value, f.actor_uid, r.uid, r.time,
    row_number() OVER (PARTITION BY f.access_key, f.source_kind, f.source_value
      ORDER BY r.time, r.uid) AS member_rank
  FROM firsts f JOIN ranked r USING (access_key, source_kind, source_value)
  WHERE epoch_ms(r.time) - epoch_ms(f.first_time) <= $follow_up_ms
)
SELECT access_key, source_kind, source_value, any_value(actor_uid) AS actor_uid,
  list(uid ORDER BY time, uid) AS uids,
  epoch_ms(min(time)) AS first_ms, epoch_ms(max(time)) AS last_ms
FROM members
WHERE member_rank <= $max_events
GROUP BY access_key, source_kind, source_value
ORDER BY first_ms, access_key, source_value`;

/** Builds the analytic with the given thresholds. */
export function longTermKeyNewSource(options: KeyNewSourceOptions = {}): Analytic {
  const settings = { ...DEFAULTS, ...options };

  return {
    meta: keyNewSourceMeta(settings),
    run: (connection) => findNewSources(connection, settings),
  };
}

async function findNewSources(
  connection: DuckDBConnection,
  settings: Required<KeyNewSourceOptions>,
): Promise<CorrelationHit[]> {
  const reader = await connection.runAndReadAll(SQL, {
    min_events: settings.minBaselineEvents,
    baseline_ms: settings.baselineMs,
    follow_up_ms: settings.followUpMs,
    max_events: settings.maxEventsPerHit,
  });

  return reader.getRowObjectsJS().map(toHit);
}

function toHit(row: Record<string, unknown>): CorrelationHit {
  const group: Record<string, string> = { actor_access_key: String(row.access_key) };
  if (row.actor_uid !== null) group.actor_uid = String(row.actor_uid);
  group[String(row.source_kind)] = String(row.source_value);

  return {
    rule_id: KEY_NEW_SOURCE_ID,
    event_uids: stringList(row.uids),
    first_seen: isoFromEpochMs(row.first_ms),
    last_seen: isoFromEpochMs(row.last_ms),
    group,
  };
}
