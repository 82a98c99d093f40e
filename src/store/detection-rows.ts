import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withWrittenJoinOrder } from '../detect/sigma-sql/join-order.ts';
import type { CorrelationHit, EventMatch, RuleMeta } from '../detect/types.ts';
import type { RejectedRecord } from '../pipeline/types.ts';
import { DETECTION_KEYS, withDetectionKeys } from './detection-keys.ts';
import { insertStaged, stagedRows } from './staged-rows.ts';

const REJECTED = stagedRows({
  path: 'VARCHAR',
  sha256: 'VARCHAR',
  member: 'VARCHAR',
  record: 'BIGINT',
  offset: 'BIGINT',
  line: 'BIGINT',
  code: 'VARCHAR',
  reason: 'VARCHAR',
  sample: 'VARCHAR',
});

/** Stores rejected records; a record already stored (same stream and index) is skipped. */
export async function insertRejectedRows(
  connection: DuckDBConnection,
  rows: readonly RejectedRecord[],
): Promise<void> {
  const staged = rows.map((row) => ({ ...row, record: row.index }));
  await insertStaged(
    connection,
    staged,
    `INSERT INTO rejected
     SELECT DISTINCT ON (r.sha256, r.member, r.record) r.path, r.sha256, r.member, r.record,
       r.offset, r.line, r.code, r.reason, r.sample
     FROM ${REJECTED}
     WHERE NOT EXISTS (SELECT 1 FROM rejected x WHERE x.sha256 = r.sha256
       AND x.member IS NOT DISTINCT FROM r.member AND x.record = r.record)`,
  );
}

const DETECTIONS = stagedRows({
  rule_id: 'VARCHAR',
  event_uid: 'VARCHAR',
  time: 'BIGINT',
  hit_id: 'VARCHAR',
  explanation: 'JSON',
});

// Times are staged as epoch milliseconds, which converts without depending on the session
// time zone. The time of a correlation member is the event's own time, and the hit's first_seen
// replaces it only when the event is not stored. It runs with the joins in written order
// (`withWrittenJoinOrder`), so every hash table is built from the staged rows, never from
// `detections` or `events`: their uids may have thousands of characters each.
const INSERT_DETECTIONS = `INSERT INTO detections (rule_id, event_uid, time, hit_id, explanation)
  SELECT DISTINCT ON (s.rule_id, s.event_uid, s.hit_id) s.rule_id, s.event_uid,
    coalesce(e.time, make_timestamp(s.time * 1000)), s.hit_id, s.explanation
  FROM events e RIGHT JOIN (
    SELECT s.* FROM (SELECT r.* FROM ${DETECTIONS}) s
    ANTI JOIN (
      SELECT x.rule_id, x.event_uid, x.hit_id
      FROM detections d JOIN (SELECT r.* FROM ${DETECTIONS}) x ON d.rule_id = x.rule_id
        AND d.event_uid = x.event_uid AND d.hit_id IS NOT DISTINCT FROM x.hit_id
    ) stored ON stored.rule_id = s.rule_id AND stored.event_uid = s.event_uid
      AND stored.hit_id IS NOT DISTINCT FROM s.hit_id
  ) s ON e.uid = s.event_uid`;

/**
 * Maximum characters of staged detections per INSERT_DETECTIONS. Its hash tables contain the
 * staged rows, and 30,000 uids of 4,900 characters ran out of the case's 256 MB.
 */
const DETECTION_CHUNK_CHARS = 16 * 1024 * 1024;

/** Stores detection rows through INSERT_DETECTIONS; a detection already stored is skipped. */
function insertDetectionRows(connection: DuckDBConnection, rows: readonly object[]): Promise<void> {
  return withWrittenJoinOrder(connection, () =>
    insertStaged(connection, rows, INSERT_DETECTIONS, DETECTION_CHUNK_CHARS),
  );
}

/** Stores single-event matches; a match already stored is skipped. */
export async function insertMatchRows(
  connection: DuckDBConnection,
  rows: readonly EventMatch[],
): Promise<void> {
  const staged = rows.map((row) => ({
    rule_id: row.rule_id,
    event_uid: row.event_uid,
    time: Date.parse(row.time),
    hit_id: null,
    explanation: row.explanation ?? null,
  }));
  await insertDetectionRows(connection, staged);
}

/**
 * Stores single-event matches straight from `relation`, the SQL of a relation readable on
 * `connection` with one row per rule and event: `rule_id`, `event_uid`, `event_row` (the row id
 * of the event in `events`), `time` (TIMESTAMP) and `explanation` (JSON or NULL). A match
 * already stored is skipped. The rows never pass through JavaScript, so a hunt with any number
 * of matches stores them in one statement.
 */
export async function insertMatchRelation(
  connection: DuckDBConnection,
  relation: string,
): Promise<void> {
  // The matches already stored are found by event row id (see detection-keys.ts), so no hash
  // table contains uids. An explicit anti join: DuckDB ran the same condition written as NOT
  // EXISTS about three times slower, even against an empty table.
  const stored = {
    where: `d.hit_id IS NULL AND d.rule_id IN (SELECT DISTINCT rule_id FROM ${relation})`,
    events: true,
  };
  await withDetectionKeys(connection, stored, () =>
    withWrittenJoinOrder(connection, () =>
      connection.run(`INSERT INTO detections (rule_id, event_uid, time, hit_id, explanation)
        SELECT s.rule_id, s.event_uid, s.time, NULL, s.explanation FROM ${relation} s
        ANTI JOIN (SELECT rule_id, event_row FROM ${DETECTION_KEYS} WHERE event_row IS NOT NULL) d
          ON d.rule_id = s.rule_id AND d.event_row = s.event_row`),
    ),
  );
}

const HITS = stagedRows({
  hit_id: 'VARCHAR',
  rule_id: 'VARCHAR',
  first_seen: 'BIGINT',
  last_seen: 'BIGINT',
  group_by: 'JSON',
  event_count: 'INTEGER',
});

/**
 * Returns the id of a correlation hit: a hash of the rule and its sorted event uids, so the
 * same hit found again gets the same id.
 */
export function correlationHitId(hit: CorrelationHit): string {
  const hash = createHash('sha256').update(hit.rule_id);
  for (const uid of [...hit.event_uids].sort()) hash.update(`\n${uid}`);

  return hash.digest('hex').slice(0, 32);
}

/** Stores correlation hits and one detection row per member event; known hits are skipped. */
export async function insertCorrelationRows(
  connection: DuckDBConnection,
  hits: readonly CorrelationHit[],
): Promise<void> {
  const withIds = hits.map((hit) => ({ hit, hit_id: correlationHitId(hit) }));
  const hitRows = withIds.map(({ hit, hit_id }) => ({
    hit_id,
    rule_id: hit.rule_id,
    first_seen: Date.parse(hit.first_seen),
    last_seen: Date.parse(hit.last_seen),
    group_by: hit.group,
    event_count: hit.event_uids.length,
  }));
  await insertStaged(
    connection,
    hitRows,
    `INSERT OR IGNORE INTO correlation_hits SELECT r.hit_id, r.rule_id,
       make_timestamp(r.first_seen * 1000), make_timestamp(r.last_seen * 1000), r.group_by,
       r.event_count
     FROM ${HITS}`,
  );

  const members = withIds.flatMap(({ hit, hit_id }) =>
    hit.event_uids.map((uid) => ({
      rule_id: hit.rule_id,
      event_uid: uid,
      time: Date.parse(hit.first_seen),
      hit_id,
      explanation: null,
    })),
  );
  await insertDetectionRows(connection, members);
}

const RULES = stagedRows({
  id: 'VARCHAR',
  title: 'VARCHAR',
  level: 'VARCHAR',
  description: 'VARCHAR',
  tactics: 'VARCHAR[]',
  techniques: 'VARCHAR[]',
  tags: 'VARCHAR[]',
  falsepositives: 'VARCHAR[]',
  file: 'VARCHAR',
});

/** Stores rule metadata, replacing what an earlier run stored for the same rule id. */
export async function upsertRuleRows(
  connection: DuckDBConnection,
  rules: readonly RuleMeta[],
): Promise<void> {
  const unique = [...new Map(rules.map((rule) => [rule.id, rule])).values()];
  await insertStaged(
    connection,
    unique,
    `INSERT OR REPLACE INTO rules SELECT r.id, r.title, r.level, r.description, r.tactics,
       r.techniques, r.tags, r.falsepositives, r.file
     FROM ${RULES}`,
  );
}

/** A single-event rule as a hunt ran it, for explaining its matches later. */
export interface RuleModelRow {
  id: string;
  /** The rule's `DetectionRule` model, with its filters applied, as JSON. */
  model: string;
  /** The placeholder values the rule ran with, as a JSON object. */
  placeholders: string;
}

const RULE_MODELS = stagedRows({ id: 'VARCHAR', model: 'VARCHAR', placeholders: 'VARCHAR' });

/** Stores rule models, replacing what an earlier hunt stored for the same rule id. */
export async function upsertRuleModelRows(
  connection: DuckDBConnection,
  models: readonly RuleModelRow[],
): Promise<void> {
  const unique = [...new Map(models.map((model) => [model.id, model])).values()];
  await insertStaged(
    connection,
    unique,
    `INSERT OR REPLACE INTO rule_models SELECT r.id, r.model, r.placeholders FROM ${RULE_MODELS}`,
  );
}
