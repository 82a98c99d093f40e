/**
 * Silences: a source that was producing events in an account and region and then went quiet for
 * much longer than its usual spacing. One DuckDB query with window functions finds them, so only
 * the long intervals reach Node.js.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { isoFromEpochMs } from '../analyze/sql-values.ts';
import type { GapFinding, SpacingStat } from './types.ts';

const HOUR_MS = 3_600_000;

/** Thresholds of the silence search. Every field has a default. */
export interface SilenceOptions {
  /** Percentile of a stream's intervals between consecutive events that counts as usual. Default 0.99. */
  percentile?: number;
  /** A silence must last this many times the usual interval. Default 10. */
  factor?: number;
  /** A silence must last at least this long, in ms. Default 1 hour. */
  minGapMs?: number;
  /** Streams with fewer events have no usual spacing. Default 50. */
  minEvents?: number;
}

const DEFAULTS: Required<SilenceOptions> = {
  percentile: 0.99,
  factor: 10,
  minGapMs: HOUR_MS,
  minEvents: 50,
};

/** Describes how the usual spacing is measured, with the thresholds in use. */
export function silenceMethod(options: SilenceOptions = {}): string {
  const s = { ...DEFAULTS, ...options };
  return (
    'Events are grouped by source, account and region. The usual spacing of a group is the ' +
    `${Math.round(s.percentile * 100)}th percentile of the intervals between its consecutive ` +
    `events. A silence is an interval longer than ${s.factor} times that and at least ` +
    `${hoursText(s.minGapMs)}, in a group of at least ${s.minEvents} events. A group whose ` +
    'last event comes that long before the end of the evidence is silent until the end.'
  );
}

// The windows sort by time alone and leave the uid out, because a uid contains the evidence
// member name, which can be thousands of bytes long, and a sort with it on every row ran out of
// memory. The interval to the previous event is the same as under a sort by (time, uid),
// because the previous event has the same time or the latest earlier one.
const SQL = `WITH ordered AS (
  SELECT source, cloud_account AS account, cloud_region AS region, time, epoch_ms(time) AS t,
    lag(time) OVER w AS prev_time, lag(epoch_ms(time)) OVER w AS prev_t
  FROM events
  WINDOW w AS (PARTITION BY source, cloud_account, cloud_region ORDER BY time)
),
stats AS (
  SELECT source, account, region, count(*) AS events, max(time) AS last_time, max(t) AS last_t,
    coalesce(quantile_cont(t - prev_t, $percentile), 0) AS usual_ms
  FROM ordered GROUP BY source, account, region
),
limits AS (
  SELECT *, greatest($factor * usual_ms, $min_gap_ms) AS threshold_ms FROM stats
  WHERE events >= $min_events
),
silences AS (
  SELECT 'interval' AS kind, o.source, o.account, o.region, o.prev_time AS start_time,
    o.time AS end_time, o.prev_t AS start_t, o.t AS end_t, l.usual_ms, l.threshold_ms
  FROM ordered o JOIN limits l
    ON o.source = l.source AND o.account IS NOT DISTINCT FROM l.account
    AND o.region IS NOT DISTINCT FROM l.region
  WHERE o.t - o.prev_t > l.threshold_ms
  UNION ALL
  SELECT 'trailing', source, account, region, last_time, NULL, last_t, NULL, usual_ms, threshold_ms
  FROM limits
  WHERE (SELECT max(epoch_ms(time)) FROM events) - last_t > threshold_ms
)
SELECT s.kind, s.source, s.account, s.region, s.start_t, s.end_t,
  CASE s.kind
    WHEN 'interval' THEN ${boundaryUid('max', 's.start_time')}
    ELSE ${boundaryUid('min', 's.start_time')}
  END AS start_uid,
  ${boundaryUid('min', 's.end_time')} AS end_uid,
  s.usual_ms, s.threshold_ms
FROM silences s
ORDER BY s.start_t, s.source, s.account, s.region`;

// In (time, uid) order, an interval cites the last event before it and the first event after
// it, and a silence until the end cites the first event at the last time of its stream. Only
// the reported silences look these uids up.
function boundaryUid(aggregate: 'max' | 'min', time: string): string {
  return `(SELECT ${aggregate}(e.uid) FROM events e
    WHERE e.source = s.source AND e.cloud_account IS NOT DISTINCT FROM s.account
    AND e.cloud_region IS NOT DISTINCT FROM s.region AND e.time = ${time})`;
}

const STATS_SQL = `WITH ordered AS (
  SELECT source, cloud_account AS account, cloud_region AS region, epoch_ms(time) AS t,
    lag(epoch_ms(time)) OVER (PARTITION BY source, cloud_account, cloud_region ORDER BY time)
      AS prev_t
  FROM events
)
SELECT source, account, region, count(*) AS events, min(t) AS first_t, max(t) AS last_t,
  coalesce(quantile_cont(t - prev_t, $percentile), 0) AS usual_ms
FROM ordered GROUP BY source, account, region
HAVING count(*) >= $min_events
ORDER BY source, account, region`;

/** Finds the silences of every source, account and region of the case. */
export async function findSilences(
  connection: DuckDBConnection,
  options: SilenceOptions = {},
): Promise<{ findings: GapFinding[]; spacing: SpacingStat[] }> {
  const settings = { ...DEFAULTS, ...options };
  const params = {
    percentile: settings.percentile,
    factor: settings.factor,
    min_gap_ms: settings.minGapMs,
    min_events: settings.minEvents,
  };
  const rows = (await connection.runAndReadAll(SQL, params)).getRowObjectsJS();
  const { percentile, min_events } = params;
  const statRows = (
    await connection.runAndReadAll(STATS_SQL, { percentile, min_events })
  ).getRowObjectsJS();

  return {
    findings: rows.map(toFinding),
    spacing: statRows.map((row) => toSpacing(row, settings)),
  };
}

function toFinding(row: Record<string, unknown>): GapFinding {
  const trailing = row.kind === 'trailing';
  const source = String(row.source);
  const start = isoFromEpochMs(row.start_t);
  const end = trailing ? null : isoFromEpochMs(row.end_t);
  const usual = seconds(row.usual_ms);
  const length = trailing ? 'until the end of the evidence' : `for ${duration(row)}`;

  return {
    kind: 'silence',
    severity: 'medium',
    source,
    account: nullableText(row.account),
    region: nullableText(row.region),
    resource: null,
    start,
    end,
    event_uids: [String(row.start_uid), ...(trailing ? [] : [String(row.end_uid)])],
    summary:
      `${source} had no events ${length}, while its usual spacing is ${usual} s ` +
      `(silence reported past ${seconds(row.threshold_ms)} s).`,
    cannot_see: `Any activity this source would have logged in that account and region from ${start}${end === null ? '' : ` to ${end}`}.`,
  };
}

function toSpacing(row: Record<string, unknown>, settings: Required<SilenceOptions>): SpacingStat {
  const usual = Number(row.usual_ms);
  return {
    source: String(row.source),
    account: nullableText(row.account),
    region: nullableText(row.region),
    events: Number(row.events),
    first_time: isoFromEpochMs(row.first_t),
    last_time: isoFromEpochMs(row.last_t),
    usual_seconds: usual / 1000,
    threshold_seconds: Math.max(settings.factor * usual, settings.minGapMs) / 1000,
  };
}

function duration(row: Record<string, unknown>): string {
  return hoursText(Number(row.end_t) - Number(row.start_t));
}

function hoursText(ms: number): string {
  const hours = Math.round((ms / HOUR_MS) * 10) / 10;
  return `${hours} ${hours === 1 ? 'hour' : 'hours'}`;
}

function seconds(value: unknown): number {
  return Math.round(Number(value) / 100) / 10;
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
