import type { DuckDBConnection } from '@duckdb/node-api';
import { withWrittenJoinOrder } from '../detect/sigma-sql/join-order.ts';
import { type DetectionExplanation, LEVELS, type Level } from '../detect/types.ts';
import type { RejectedRecord } from '../pipeline/types.ts';
import { DETECTION_KEYS, withDetectionKeys } from './detection-keys.ts';
import { isoTime } from './event-row.ts';
import type { CaseCounts, DetectedEvent, EventExplanation, Finding } from './types.ts';

const toLevel = (value: unknown): Level =>
  LEVELS.includes(value as Level) ? (value as Level) : 'informational';

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map((item) => String(item)) : [];

// Severity as a number for ORDER BY, highest first; rules without metadata rank lowest.
const SEVERITY_RANK = `CASE r.level WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
  WHEN 'low' THEN 1 ELSE 0 END`;

// One row per rule, without the rule's event uids: a rule can match most events of a case, and
// a list of them per rule ran out of DuckDB memory at 850,000 matches. `findingEventUidsJson`
// streams them instead. Detections are distinguished and joined with their events by narrow
// keys (see detection-keys.ts), with `events` as the probe side, so no hash table contains uids.
const FINDINGS_SQL = `WITH d AS (
  SELECT DISTINCT rule_id, uid_place, uid_tail, time, event_row FROM ${DETECTION_KEYS}
),
agg AS (
  SELECT rule_id, count(*) AS event_count, min(time) AS first_seen, max(time) AS last_seen
  FROM d GROUP BY rule_id
),
actors AS (
  SELECT rule_id, list(actor_uid ORDER BY actor_uid) AS actors
  FROM (SELECT DISTINCT d.rule_id, e.actor_uid FROM events e JOIN d ON e.rowid = d.event_row
    WHERE e.actor_uid IS NOT NULL)
  GROUP BY rule_id
)
SELECT agg.*, a.actors, r.title, r.level, r.tactics, r.techniques,
  (SELECT count(*) FROM correlation_hits h WHERE h.rule_id = agg.rule_id) AS hits
FROM agg LEFT JOIN actors a ON a.rule_id = agg.rule_id LEFT JOIN rules r ON r.id = agg.rule_id
ORDER BY ${SEVERITY_RANK} DESC, agg.first_seen, agg.rule_id`;

/** Maximum explained events per finding in `findings.json`, the earliest first. */
export const MAX_FINDING_EXPLANATIONS = 20;

// arg_min with a count keeps each rule's earliest explained detections as it reads, so only
// those are sorted: numbering every explained detection by time and uid sorted them all, and an
// ingest explains every match it stores.
const EXPLANATIONS_SQL = `SELECT d.rule_id, d.event_uid, CAST(d.explanation AS VARCHAR) AS explanation
FROM detections d JOIN (
  SELECT unnest(arg_min(rowid, {'time': time, 'uid': event_uid}, ${MAX_FINDING_EXPLANATIONS}))
    AS detection_row
  FROM detections WHERE hit_id IS NULL AND explanation IS NOT NULL GROUP BY rule_id
) t ON d.rowid = t.detection_row
ORDER BY d.rule_id, d.time, d.event_uid`;

/** Aggregates detections per rule, most severe first, then by first detection time. */
export async function queryFindings(connection: DuckDBConnection): Promise<Finding[]> {
  const reader = await withDetectionKeys(connection, { events: true }, () =>
    withWrittenJoinOrder(connection, () => connection.runAndReadAll(FINDINGS_SQL)),
  );
  const explained = await withWrittenJoinOrder(connection, () =>
    connection.runAndReadAll(EXPLANATIONS_SQL),
  );
  const explanations = new Map<string, EventExplanation[]>();
  for (const row of explained.getRowObjectsJS()) {
    const id = String(row.rule_id);
    const parsed = JSON.parse(String(row.explanation)) as DetectionExplanation;
    const list = explanations.get(id) ?? [];
    list.push({ event_uid: String(row.event_uid), ...parsed });
    explanations.set(id, list);
  }

  return reader.getRowObjectsJS().map((row) => ({
    rule_id: String(row.rule_id),
    title: row.title === null ? String(row.rule_id) : String(row.title),
    severity: toLevel(row.level),
    tactics: strings(row.tactics),
    techniques: strings(row.techniques),
    event_count: Number(row.event_count),
    first_seen: isoTime(row.first_seen),
    last_seen: isoTime(row.last_seen),
    actors: strings(row.actors),
    correlation_hits: Number(row.hits),
    explanations: explanations.get(String(row.rule_id)) ?? [],
  }));
}

/**
 * Counts events per source, rejected records per code, and the records of completed ingests per
 * format, split by whether the streams rejected any record.
 */
export async function queryCounts(connection: DuckDBConnection): Promise<CaseCounts> {
  const sources = await connection.runAndReadAll(
    `SELECT source, count(*) AS events, min(time) AS first_time, max(time) AS last_time
     FROM events GROUP BY source ORDER BY source`,
  );
  const categories = await connection.runAndReadAll(
    `SELECT source, category, count(*) AS events, min(time) AS first_time, max(time) AS last_time
     FROM events GROUP BY source, category ORDER BY source, category`,
  );
  const ingests = await connection.runAndReadAll(
    `SELECT format, sum(records_read) AS read, sum(records_stored) AS stored,
       sum(records_rejected) AS rejected, count(*) AS streams
     FROM ingests WHERE state = 'complete'
     GROUP BY format, records_rejected > 0
     ORDER BY format NULLS LAST, records_rejected > 0`,
  );
  const rejected = await connection.runAndReadAll(
    'SELECT code, count(*) AS count FROM rejected GROUP BY code ORDER BY count DESC, code',
  );

  const sourceRows = sources.getRowObjectsJS().map((row) => ({
    source: String(row.source),
    events: Number(row.events),
    first_time: isoTime(row.first_time),
    last_time: isoTime(row.last_time),
  }));
  const rejectedRows = rejected.getRowObjectsJS().map((row) => ({
    code: String(row.code),
    count: Number(row.count),
  }));

  return {
    events: sourceRows.reduce((sum, row) => sum + row.events, 0),
    sources: sourceRows,
    categories: categories.getRowObjectsJS().map((row) => ({
      source: String(row.source),
      category: String(row.category),
      events: Number(row.events),
      first_time: isoTime(row.first_time),
      last_time: isoTime(row.last_time),
    })),
    ingests: ingests.getRowObjectsJS().map((row) => ({
      format: row.format === null ? null : String(row.format),
      read: Number(row.read),
      stored: Number(row.stored),
      rejected: Number(row.rejected),
      streams: Number(row.streams),
    })),
    rejected: rejectedRows,
    rejected_total: rejectedRows.reduce((sum, row) => sum + row.count, 0),
  };
}

// The first detections are picked on narrow keys (see detection-keys.ts), and only they are
// joined with the event columns the attack timeline shows. Sorting every detection with its
// raw record ran out of DuckDB's 256 MB, and so did picking the first 10,000 by uid when uids
// had 4,900 characters. A detection's time is its event's time whenever the event is stored, so
// the first ones are picked from the keys alone. `events` is the probe side of the join, and
// `position` gives the order, so that no hash table or sort contains uids.
const detectedSql = (uidColumns: readonly string[]) => `WITH picked AS (
  SELECT k.*, r.title, r.level, r.tactics, ${SEVERITY_RANK} AS rank
  FROM (SELECT DISTINCT rule_id, hit_id, time, event_row, ${uidColumns.join(', ')}
    FROM ${DETECTION_KEYS} WHERE event_row IS NOT NULL) k
  LEFT JOIN rules r ON r.id = k.rule_id
  ORDER BY k.time, rank DESC, ${uidColumns.map((column) => `k.${column}`).join(', ')}, k.rule_id
  LIMIT $limit
),
numbered AS (
  SELECT *,
    row_number() OVER (ORDER BY time, rank DESC, ${uidColumns.join(', ')}, rule_id) AS position
  FROM picked
)
SELECT p.position, p.rule_id, p.hit_id, p.title, p.level, p.tactics, e.uid AS event_uid, e.time,
  e.source, e.message, e.actor_uid, e.actor_name, e.src_ip, e.api_operation
FROM events e JOIN numbered p ON e.rowid = p.event_row`;

/**
 * Lists detected events in time order, the most severe rule first among events at the same
 * instant, then by uid; an event matched by several rules appears once per rule. Detections
 * whose event is not stored are left out.
 */
export async function queryDetectedEvents(
  connection: DuckDBConnection,
  limit: number,
): Promise<DetectedEvent[]> {
  const keys = { ordered: true, events: true };
  const reader = await withDetectionKeys(connection, keys, (uidColumns) =>
    withWrittenJoinOrder(connection, () =>
      connection.runAndReadAll(detectedSql(uidColumns), { limit }),
    ),
  );
  const rows = reader.getRowObjectsJS().sort((a, b) => Number(a.position) - Number(b.position));

  return rows.map((row) => ({
    rule_id: String(row.rule_id),
    title: row.title === null ? String(row.rule_id) : String(row.title),
    severity: toLevel(row.level),
    tactics: strings(row.tactics),
    hit_id: row.hit_id === null ? null : String(row.hit_id),
    event: {
      uid: String(row.event_uid),
      time: isoTime(row.time),
      source: String(row.source),
      message: String(row.message),
      actor: { uid: optional(row.actor_uid), name: optional(row.actor_name) },
      src: { ip: optional(row.src_ip) },
      api: { operation: optional(row.api_operation) },
    },
  }));
}

const optional = (value: unknown): string | null => (value === null ? null : String(value));

/** Lists rejected records by file and record index, at most `limit` of them. */
export async function queryRejected(
  connection: DuckDBConnection,
  limit: number,
): Promise<RejectedRecord[]> {
  const reader = await connection.runAndReadAll(
    `SELECT * FROM rejected ORDER BY path, member NULLS FIRST, record LIMIT $limit`,
    { limit },
  );

  return reader.getRowObjectsJS().map((row) => ({
    path: String(row.path),
    sha256: String(row.sha256),
    member: row.member === null ? null : String(row.member),
    index: Number(row.record),
    offset: Number(row.offset),
    line: Number(row.line),
    code: String(row.code),
    reason: String(row.reason),
    sample: String(row.sample),
  }));
}
