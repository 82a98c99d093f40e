/**
 * Burst of activity from an identity in an hour of the day it never acted in before: the trace
 * of stolen credentials used from another time zone or at night, while the owner sleeps.
 * Hours are UTC clock hours, so the comparison does not depend on the case's display time zone.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CorrelationHit, RuleMeta } from '../detect/types.ts';
import { isoFromEpochMs, stringList } from './sql-values.ts';
import type { Analytic } from './types.ts';

/** Thresholds of the analytic. Every field has a default. */
export interface BurstAtNewHourOptions {
  /** Events in one clock hour that make a burst. Default 20. */
  minEvents?: number;
  /** Earlier days (UTC) with activity the identity must have. Default 3. */
  minBaselineDays?: number;
  /** Maximum event uids per hit. Default 100. */
  maxEventsPerHit?: number;
}

const DEFAULTS: Required<BurstAtNewHourOptions> = {
  minEvents: 20,
  minBaselineDays: 3,
  maxEventsPerHit: 100,
};

/** Rule id of the analytic, stable across releases. */
export const BURST_AT_NEW_HOUR_ID = '3730e099-3669-488e-b43d-240bdfc5ba5c';

function burstMeta(settings: Required<BurstAtNewHourOptions>): RuleMeta {
  return {
    id: BURST_AT_NEW_HOUR_ID,
    title: 'Burst of Activity at an Hour an Identity Never Used',
    level: 'medium',
    description:
      `At least ${settings.minEvents} events by one identity within one UTC clock hour (such ` +
      'as 02:00 to 03:00), at an hour of the day in which the identity had no event on any ' +
      `earlier day of this case. The identity needs activity on at least ` +
      `${settings.minBaselineDays} earlier UTC days, so a new identity is not flagged. AWS ` +
      `services acting on their own are left out. One hit holds the burst's events, at most ` +
      `${settings.maxEventsPerHit}.`,
    tactics: ['initial-access'],
    techniques: ['T1078.004'],
    tags: ['attack.initial-access', 'attack.t1078.004'],
    falsepositives: [
      'Work late at night or on call, such as an incident or a release',
      'A scheduled job whose time was changed',
    ],
    file: 'src/analyze/burst-at-new-hour.ts',
  };
}

// `buckets` has one row per identity and clock hour. `prior_same_hour` counts the identity's
// earlier buckets at the same hour of the day, and `prior_days` its earlier active days.
const SQL = `WITH acts AS (
  SELECT uid, time, actor_uid, date_trunc('hour', time) AS bucket
  FROM events
  WHERE actor_uid IS NOT NULL AND actor_type IS DISTINCT FROM 'AWSService'
),
buckets AS (
  SELECT actor_uid, bucket, count(*) AS bucket_events,
    count(*) OVER (PARTITION BY actor_uid, hour(bucket) ORDER BY bucket
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior_same_hour
  FROM acts
  GROUP BY actor_uid, bucket
),
days AS (
  SELECT actor_uid, day, row_number() OVER (PARTITION BY actor_uid ORDER BY day) - 1 AS prior_days
  FROM (SELECT DISTINCT actor_uid, CAST(bucket AS DATE) AS day FROM buckets)
),
flagged AS (
  SELECT b.actor_uid, b.bucket
  FROM buckets b JOIN days d ON d.actor_uid = b.actor_uid AND d.day = CAST(b.bucket AS DATE)
  WHERE b.prior_same_hour = 0 AND b.bucket_events >= $min_events AND d.prior_days >= $min_days
),
members AS (
  SELECT a.actor_uid, a.bucket, a.uid, a.time,
    row_number() OVER (PARTITION BY a.actor_uid, a.bucket ORDER BY a.time, a.uid) AS member_rank
  FROM acts a JOIN flagged f ON f.actor_uid = a.actor_uid AND f.bucket = a.bucket
)
SELECT actor_uid, hour(bucket) AS hour_of_day, list(uid ORDER BY time, uid) AS uids,
  epoch_ms(min(time)) AS first_ms, epoch_ms(max(time)) AS last_ms
FROM members
WHERE member_rank <= $max_events
GROUP BY actor_uid, bucket
ORDER BY first_ms, actor_uid`;

/** Builds the analytic with the given thresholds. */
export function burstAtNewHour(options: BurstAtNewHourOptions = {}): Analytic {
  const settings = { ...DEFAULTS, ...options };

  return {
    meta: burstMeta(settings),
    run: (connection) => findBursts(connection, settings),
  };
}

async function findBursts(
  connection: DuckDBConnection,
  settings: Required<BurstAtNewHourOptions>,
): Promise<CorrelationHit[]> {
  const reader = await connection.runAndReadAll(SQL, {
    min_events: settings.minEvents,
    min_days: settings.minBaselineDays,
    max_events: settings.maxEventsPerHit,
  });

  return reader.getRowObjectsJS().map((row) => ({
    rule_id: BURST_AT_NEW_HOUR_ID,
    event_uids: stringList(row.uids),
    first_seen: isoFromEpochMs(row.first_ms),
    last_seen: isoFromEpochMs(row.last_ms),
    group: { actor_uid: String(row.actor_uid), hour_utc: String(row.hour_of_day) },
  }));
}
