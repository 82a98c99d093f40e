/**
 * Narrow keys for the events of stored detections. A detection names its event by uid, and an
 * event's uid contains the name of its archive member, which may have thousands of characters.
 * Grouping or joining detections on such uids keeps them in DuckDB's hash tables: with 30,000
 * detections of uids of 4,900 characters, the findings query ran out of the case's 256 MB
 * (DuckDB 1.5).
 *
 * So each uid is split into its head, the uid without its trailing digits, and its tail, those
 * digits (the record index in uids that `eventUid` builds). The heads are few, one per evidence
 * stream, and each gets a number: its place among them in string order. The place and tail
 * identify a uid exactly, because the uid is the head followed by the tail, and they take a
 * few bytes however long the member name is. When the uids of the detections read take at most
 * WHOLE_UID_BYTES, splitting them costs more than it saves, and the tail is the whole uid.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import { withWrittenJoinOrder } from '../detect/sigma-sql/join-order.ts';

/**
 * The detections that `withDetectionKeys` read: `detection_row` (the row id in `detections`),
 * `rule_id`, `hit_id`, `time`, `uid_place` and `uid_tail`. With `ordered`, when one uid head
 * starts another, it adds `uid_order`, the uid's dense rank in string order. With `events` it
 * adds `event_row`, the row id of the event in `events` (NULL when the event is not stored).
 */
export const DETECTION_KEYS = 'temp.detection_keys';

/** Each distinct uid head of the detections read, with its `place` in string order. */
export const UID_HEADS = 'temp.detection_uid_heads';

// The detections read with their uid places and tails, before their events are found.
const UID_KEYS = 'temp.detection_uid_keys';
// UID_KEYS with `uid_order`, and the keys of either with `event_row`.
const ORDERED_KEYS = 'temp.detection_ordered_keys';
const EVENT_KEYS = 'temp.detection_event_keys';
// The stored events of the detections read, by uid place and tail.
const EVENT_ROWS = 'temp.detection_event_rows';

/** SQL that splits the uid in a column into the head and the tail of its key. */
interface UidSplit {
  head: (uid: string) => string;
  tail: (uid: string) => string;
}

/** Splits a uid into the uid without its trailing digits and those digits, possibly none. */
const AT_RECORD_INDEX: UidSplit = {
  // rtrim with the ten digits took four times as long on uids of 5,000 characters.
  head: (uid) => `left(${uid}, length(${uid}) - length(regexp_extract(${uid}, '[0-9]*$')))`,
  tail: (uid) => `regexp_extract(${uid}, '[0-9]*$')`,
};

/** Keeps the whole uid as the tail, with one empty head. */
const WHOLE: UidSplit = { head: () => "''", tail: (uid) => uid };

/**
 * Maximum bytes of the uids of the detections read that are kept whole. With 171,643
 * detections of 21-byte uids among 200,000 events, splitting made the findings query take
 * about 0.65 s instead of 0.25 s (2 cores, under load).
 */
const WHOLE_UID_BYTES = 32 * 1024 * 1024;

/** Options of `withDetectionKeys`: the detections it reads and what it adds to their keys. */
export interface DetectionKeysOptions {
  /** A condition on `detections` as `d`. Without it, every detection is read. */
  where?: string;
  /** Values of the named parameters in `where`. */
  params?: Record<string, string>;
  /** Give `use` key columns that sort as the uids do. */
  ordered?: boolean;
  /** Find each detection's event in `events` (the `event_row` column). */
  events?: boolean;
  /** Maximum bytes of the uids read that are kept whole. WHOLE_UID_BYTES when left out. */
  wholeUidBytes?: number;
}

/**
 * Creates DETECTION_KEYS and UID_HEADS for the detections that `options` selects, runs `use`,
 * then drops the tables. `use` gets the names of the key columns that identify a uid, which
 * with `ordered` also sort as the uids do. `detections` and `events` must not change meanwhile.
 */
export async function withDetectionKeys<T>(
  connection: DuckDBConnection,
  options: DetectionKeysOptions,
  use: (uidColumns: readonly string[]) => Promise<T>,
): Promise<T> {
  const where = options.where === undefined ? '' : `WHERE ${options.where}`;
  const params = options.params ?? {};
  const work = async (): Promise<T> => {
    const bytes = await connection.runAndReadAll(
      `SELECT coalesce(sum(strlen(d.event_uid)), 0) AS bytes FROM detections d ${where}`,
      params,
    );
    const limit = options.wholeUidBytes ?? WHOLE_UID_BYTES;
    const whole = Number(bytes.getRowObjectsJS()[0]?.bytes ?? 0) <= limit;
    const split = whole ? WHOLE : AT_RECORD_INDEX;
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${UID_HEADS.slice(5)} AS
        SELECT head, row_number() OVER (ORDER BY head) AS place
        FROM (SELECT DISTINCT ${split.head('d.event_uid')} AS head FROM detections d ${where})`,
      params,
    );
    // `detections` is the probe side, so no hash table contains its uids.
    await withWrittenJoinOrder(connection, () =>
      connection.run(
        `CREATE OR REPLACE TEMP TABLE ${UID_KEYS.slice(5)} AS
          SELECT d.rowid AS detection_row, d.rule_id, d.hit_id, d.time, h.place AS uid_place,
            ${split.tail('d.event_uid')} AS uid_tail
          FROM detections d JOIN ${UID_HEADS} h ON h.head = ${split.head('d.event_uid')} ${where}`,
        params,
      ),
    );
    let keys = UID_KEYS;
    let uidColumns = ['uid_place', 'uid_tail'];
    if (options.ordered === true && (await headStartsAnother(connection))) {
      await numberUids(connection, keys);
      keys = ORDERED_KEYS;
      uidColumns = ['uid_order'];
    }
    if (options.events === true) {
      await findEventRows(connection, keys, split);
      keys = EVENT_KEYS;
    }
    await connection.run(`ALTER TABLE ${keys} RENAME TO ${DETECTION_KEYS.slice(5)}`);
    return await use(uidColumns);
  };
  return withCleanup(work, async () => {
    for (const table of [
      DETECTION_KEYS,
      UID_KEYS,
      ORDERED_KEYS,
      EVENT_KEYS,
      UID_HEADS,
      EVENT_ROWS,
    ]) {
      await connection.run(`DROP TABLE IF EXISTS ${table}`);
    }
  });
}

/**
 * Returns whether one uid head starts another, such as the heads of archive members named `a`
 * and `a#1`. Uid places and tails sort as the uids do unless one does.
 */
async function headStartsAnother(connection: DuckDBConnection): Promise<boolean> {
  // In string order, a head that starts others comes right before them.
  const reader = await connection.runAndReadAll(
    `SELECT coalesce(bool_or(starts_with(next, head)), false) AS prefixed
     FROM (SELECT head, lead(head) OVER (ORDER BY head) AS next FROM ${UID_HEADS})`,
  );

  return reader.getRowObjectsJS()[0]?.prefixed === true;
}

/** Creates ORDERED_KEYS from `keys` with `uid_order`, the dense rank of each uid. */
async function numberUids(connection: DuckDBConnection, keys: string): Promise<void> {
  // NOTE: this sort contains the uids themselves, so it needs memory for all of them.
  await withWrittenJoinOrder(connection, () =>
    connection.run(`CREATE OR REPLACE TEMP TABLE ${ORDERED_KEYS.slice(5)} AS
      SELECT k.*, dense_rank() OVER (ORDER BY d.event_uid) AS uid_order
      FROM detections d JOIN ${keys} k ON d.rowid = k.detection_row`),
  );
}

/** Creates EVENT_KEYS from `keys` with `event_row`, the row id of each event in `events`. */
async function findEventRows(
  connection: DuckDBConnection,
  keys: string,
  split: UidSplit,
): Promise<void> {
  if (split === WHOLE) {
    // The keys are the build side: their uids take at most WHOLE_UID_BYTES. One join instead
    // of two took 80 ms instead of 140 ms at 171,643 detections.
    await withWrittenJoinOrder(connection, () =>
      connection.run(`CREATE OR REPLACE TEMP TABLE ${EVENT_KEYS.slice(5)} AS
        SELECT k.*, e.rowid AS event_row FROM events e RIGHT JOIN ${keys} k ON e.uid = k.uid_tail`),
    );
    return;
  }

  // `events` is the probe side of both joins, so no hash table contains its uids.
  await withWrittenJoinOrder(connection, () =>
    connection.run(`CREATE OR REPLACE TEMP TABLE ${EVENT_ROWS.slice(5)} AS
      SELECT h.place AS uid_place, ${split.tail('e.uid')} AS uid_tail, e.rowid AS event_row
      FROM events e JOIN ${UID_HEADS} h ON h.head = ${split.head('e.uid')}
      JOIN (SELECT DISTINCT uid_place, uid_tail FROM ${keys}) k
        ON k.uid_place = h.place AND k.uid_tail = ${split.tail('e.uid')}`),
  );
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${EVENT_KEYS.slice(5)} AS
    SELECT k.*, r.event_row FROM ${keys} k
    LEFT JOIN ${EVENT_ROWS} r ON r.uid_place = k.uid_place AND r.uid_tail = k.uid_tail`);
}
