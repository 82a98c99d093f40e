/**
 * Queries over the events that the findings detected, computed in DuckDB: a rule can match
 * most events of a case, so no query here returns a list of uids that grows with the matches,
 * except as a stream.
 */
import {
  BIGINT,
  type DuckDBConnection,
  type DuckDBResultReader,
  type DuckDBType,
  VARCHAR,
} from '@duckdb/node-api';
import { yieldWithCleanup } from '../core/errors.ts';
import { withWrittenJoinOrder } from '../detect/sigma-sql/join-order.ts';
import { LEVELS, type Level } from '../detect/types.ts';
import { DETECTION_KEYS, UID_HEADS, withDetectionKeys } from './detection-keys.ts';

/** Maximum uids per query of `findingEventUidsJson`. */
const UID_RANGE_ROWS = 65_536;

/**
 * Maximum bytes of uid text per query of `findingEventUidsJson`. A uid contains its zip member's
 * name, which can be 65,535 bytes long: 65,536 uids of 1,500 bytes ran out of the case's
 * 256 MB in DuckDB. Uids of up to about 240 bytes still go 65,536 at a time.
 */
const UID_RANGE_BYTES = 16 * 1024 * 1024;

/** A stretch of the uids `findingEventUidsJson` streams. */
export interface UidsJson {
  /** The uids as JSON strings, joined by the separator. */
  json: string;
  count: number;
}

// The distinct events of one rule's detections in time order, then by uid: `n` numbers them
// from 0 and `detection_row` names a detection of each.
const ORDER_TABLE = 'temp.finding_event_order';

/**
 * Streams the uids of the distinct events that a rule detected, in time order and then by uid,
 * as JSON strings joined by `separator`. Each stretch has at most UID_RANGE_ROWS uids and
 * UID_RANGE_BYTES of text, or one uid when that uid is longer. DuckDB writes the text: turning
 * each uid into a JavaScript string cost more than the query. A uid that JSON would escape (a
 * quote, a backslash or a control character, possible in an archive member's name) makes its
 * stretch go through `JSON.stringify` instead.
 */
export async function* findingEventUidsJson(
  connection: DuckDBConnection,
  ruleId: string,
  separator: string,
): AsyncGenerator<UidsJson> {
  const keys = { where: 'd.rule_id = $rule', params: { rule: ruleId }, ordered: true };
  const ordered = await withDetectionKeys(connection, keys, (uidColumns) =>
    orderFindingEvents(connection, uidColumns.join(', ')),
  );
  async function* read(): AsyncGenerator<UidsJson> {
    const uidBytes = ordered.longest + 2 + Buffer.byteLength(separator);
    const stretchRows = Math.max(
      1,
      Math.min(UID_RANGE_ROWS, Math.floor(UID_RANGE_BYTES / uidBytes)),
    );
    // The last time (microseconds since the epoch) and uid of the previous stretch: DuckDB
    // checks that each stretch starts after it, so the file lists the uids in order.
    let last: { time: bigint; uid: string } = { time: -(2n ** 62n), uid: '' };
    for (let first = 0; first < ordered.count; first += stretchRows) {
      const range = { first, end: first + stretchRows };
      const reader = await readStretch(
        connection,
        `count(*) AS count,
         bool_or(regexp_matches(d.event_uid, '["\\\\\\x00-\\x1f]')) AS escaped,
         string_agg('"' || d.event_uid || '"', $separator ORDER BY o.time, d.event_uid) AS json,
         bool_and(epoch_us(o.time) > $time OR (epoch_us(o.time) = $time AND d.event_uid > $uid))
           AS after_last,
         max({'time': epoch_us(o.time), 'uid': d.event_uid}) AS high`,
        { ...range, separator, time: last.time, uid: last.uid },
        { time: BIGINT, uid: VARCHAR },
      );
      const row = reader.getRowObjectsJS()[0] ?? {};
      if (row.after_last !== true) {
        throw new Error(`event uids of rule ${ruleId} were not stored in timeline order`);
      }
      const high = row.high as { time: bigint; uid: string };
      last = { time: high.time, uid: high.uid };
      const count = Number(row.count);
      if (row.escaped !== true) {
        yield { json: String(row.json), count };
        continue;
      }
      const uids = await readStretch(
        connection,
        'list(d.event_uid ORDER BY o.time, d.event_uid) AS uids',
        range,
      );
      const list = (uids.getRowObjectsJS()[0]?.uids ?? []) as unknown[];
      yield { json: list.map((uid) => JSON.stringify(String(uid))).join(separator), count };
    }
  }
  yield* yieldWithCleanup(read(), () => connection.run(`DROP TABLE IF EXISTS ${ORDER_TABLE}`));
}

/**
 * Creates ORDER_TABLE from the detection keys of one rule, whose `uidColumns` sort as the uids
 * do, and returns the number of its events and the length in bytes of the longest uid.
 */
async function orderFindingEvents(
  connection: DuckDBConnection,
  uidColumns: string,
): Promise<{ count: number; longest: number }> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${ORDER_TABLE.slice(5)} AS
    SELECT row_number() OVER (ORDER BY time, ${uidColumns}) - 1 AS n, detection_row, time
    FROM (SELECT time, ${uidColumns}, min(detection_row) AS detection_row
      FROM ${DETECTION_KEYS} GROUP BY time, ${uidColumns})`);
  const counted = await connection.runAndReadAll(
    `SELECT max(strlen(h.head) + strlen(k.uid_tail)) AS longest
     FROM ${DETECTION_KEYS} k JOIN ${UID_HEADS} h ON h.place = k.uid_place`,
  );
  const events = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${ORDER_TABLE}`);

  return {
    count: Number(events.getRowObjectsJS()[0]?.n ?? 0),
    longest: Number(counted.getRowObjectsJS()[0]?.longest ?? 0),
  };
}

/**
 * Reads `columns`, aggregates over the uids of ORDER_TABLE's events numbered from `first` to
 * before `end` as `d.event_uid`, their numbers as `o.n` and times as `o.time`.
 */
function readStretch(
  connection: DuckDBConnection,
  columns: string,
  params: Record<string, string | number | bigint>,
  types: Record<string, DuckDBType> = {},
): Promise<DuckDBResultReader> {
  // `detections` is the probe side, so no hash table contains uids.
  return withWrittenJoinOrder(connection, () =>
    connection.runAndReadAll(
      `SELECT ${columns}
       FROM detections d JOIN (SELECT * FROM ${ORDER_TABLE} WHERE n >= $first AND n < $end) o
         ON d.rowid = o.detection_row`,
      params,
      types,
    ),
  );
}

// A level the rules table does not know counts as informational, as `Finding.severity` does.
const LEVEL_SQL = `CASE WHEN r.level IN (${LEVELS.map((level) => `'${level}'`).join(', ')})
  THEN r.level ELSE 'informational' END`;

/**
 * Counts the distinct events the rules of each level detected; an event that two rules of
 * one level detected counts once.
 */
export async function querySeverityEvents(
  connection: DuckDBConnection,
): Promise<Record<Level, number>> {
  const reader = await withDetectionKeys(connection, {}, () =>
    connection.runAndReadAll(
      `SELECT ${LEVEL_SQL} AS level, count(DISTINCT (d.uid_place, d.uid_tail)) AS events
       FROM ${DETECTION_KEYS} d LEFT JOIN rules r ON r.id = d.rule_id GROUP BY 1`,
    ),
  );
  const counts = Object.fromEntries(LEVELS.map((level) => [level, 0])) as Record<Level, number>;
  for (const row of reader.getRowObjectsJS()) counts[row.level as Level] = Number(row.events);

  return counts;
}

/** Rules that matched and distinct events they detected, for one tactic and technique. */
export interface TechniqueCell {
  tactic: string;
  technique: string;
  rules: number;
  events: number;
}

/**
 * Counts, per ATT&CK tactic and technique of the rules that detected events, the rules and
 * the distinct events they detected. A rule without tactics counts under `(no tactic)`, and
 * one without techniques under `(no technique)`.
 *
 * NOTE: a rule's tags do not say which of its techniques belongs to which of its tactics, so a
 * rule with two tactics counts its events under each of its techniques for both.
 */
export async function queryTechniqueCells(connection: DuckDBConnection): Promise<TechniqueCell[]> {
  const reader = await withDetectionKeys(connection, {}, () =>
    connection.runAndReadAll(
      `SELECT tactic, technique, count(DISTINCT rule_id) AS rules,
         count(DISTINCT (uid_place, uid_tail)) AS events
       FROM (SELECT rule_id, uid_place, uid_tail, tactic, unnest(techniques) AS technique
         FROM (SELECT rule_id, uid_place, uid_tail, unnest(tactics) AS tactic, techniques
           FROM (SELECT d.rule_id, d.uid_place, d.uid_tail,
               CASE WHEN len(coalesce(r.tactics, [])) > 0 THEN r.tactics
                 ELSE ['(no tactic)'] END AS tactics,
               CASE WHEN len(coalesce(r.techniques, [])) > 0 THEN r.techniques
                 ELSE ['(no technique)'] END AS techniques
             FROM (SELECT DISTINCT rule_id, uid_place, uid_tail FROM ${DETECTION_KEYS}) d
             LEFT JOIN rules r ON r.id = d.rule_id)))
       GROUP BY tactic, technique ORDER BY tactic, technique`,
    ),
  );

  return reader.getRowObjectsJS().map((row) => ({
    tactic: String(row.tactic),
    technique: String(row.technique),
    rules: Number(row.rules),
    events: Number(row.events),
  }));
}
