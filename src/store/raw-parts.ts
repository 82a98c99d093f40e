/**
 * Raw records too long for one value of the `raw` column. DuckDB 1.5 (256 KiB blocks) stores a
 * string of more than about 64 KiB in a buffer of its own, at least one block large. A commit or
 * checkpoint keeps all such buffers of what it writes in memory at once. Measured
 * under the ingest's 128 MB limit: 1,600 records of 65,600 bytes failed the commit, while
 * records of 65,000 bytes passed. Committing and checkpointing every 100 rows, or row groups of
 * 2,048 rows, still failed in the checkpoint, which rewrites the whole last row group. Such a
 * record is therefore stored in parts of at most `RAW_PART_UNITS` in `event_raw_parts`, with
 * `raw` NULL in its `events` row.
 *
 * The parts of a record and its `events` row share a `raw_key`, an integer that rises in the
 * order the parts were written. Readers select key ranges, which DuckDB applies in the scan: it
 * skips the row groups outside them and reads the text of the matching rows only. A list of
 * uids, strings, was joined after the scan, which read the text of every part in the uids'
 * range (often the whole table) for each chunk of events. Opening an older case for writing gives
 * keys to its records. A read-only open of an older case without keys
 * still finds its parts by uid.
 */
import { type DuckDBConnection, DuckDBListValue, type DuckDBValue } from '@duckdb/node-api';
import { checkedStream } from './checked-stream.ts';

/**
 * UTF-16 code units of raw text that one value holds: at most 48 KiB of UTF-8, because one code
 * unit takes at most 3 bytes, and a surrogate pair 4 bytes for its two units.
 */
export const RAW_PART_UNITS = 16_384;

/** One part of a raw record, a row of `event_raw_parts`. */
export interface RawPart {
  uid: string;
  sha256: string;
  member: string | null;
  record: number;
  part: number;
  text: string;
  key: bigint;
}

/** The DDL of the table of raw record parts. */
export const RAW_PARTS_SCHEMA = `CREATE TABLE IF NOT EXISTS event_raw_parts (
  uid VARCHAR NOT NULL,
  evidence_sha256 VARCHAR NOT NULL,
  evidence_member VARCHAR,
  evidence_record BIGINT NOT NULL,
  part INTEGER NOT NULL,
  text VARCHAR NOT NULL,
  raw_key BIGINT
)`;

/**
 * Splits raw text longer than `maxUnits` code units into parts of at most that many, never
 * between the two halves of a surrogate pair, so DuckDB stores each part as valid UTF-8.
 * Returns null when the text fits one value. Records of 16 KB stay whole: 4,000 records of
 * 59 KB kept whole failed the ingest's commit, and 1,600 of 30 KB failed the JSON reads of the
 * entity extraction, while records of 16 KB passed both.
 */
export function splitRawText(text: string, maxUnits = RAW_PART_UNITS): string[] | null {
  if (text.length <= maxUnits) return null;

  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + maxUnits, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }

  return parts;
}

/** Tells whether the case has the table of raw record parts, which cases made before lack. */
export async function hasRawParts(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'event_raw_parts' AND database_name = current_database()",
  );

  return Number(reader.getRowsJS()[0]?.[0] ?? 0) > 0;
}

/**
 * Records stored in parts whose text a timeline reads at once: 64 records of 64 KB of ASCII
 * take about 4 MB.
 */
export const RAW_READ_RECORDS = 64;

/** An event whose raw record may be stored in parts: its uid and its `raw_key`, if any. */
export interface RawRef {
  uid: string;
  key: bigint | null;
}

/**
 * Tells whether the case keys raw record parts (`raw_key` in `events` and `event_raw_parts`).
 * A case made before has parts keyed by uid only, until a write open adds the columns.
 */
export async function hasRawKeys(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FROM duckdb_columns() WHERE column_name = 'raw_key'
       AND table_name IN ('events', 'event_raw_parts') AND database_name = current_database()`,
  );

  return Number(reader.getRowsJS()[0]?.[0] ?? 0) === 2;
}

/**
 * Reads the raw text of the events in `refs` that are stored in parts, keyed by uid. Events
 * whose `raw` is stored whole, or that have no raw record, are not in the map. An event with a
 * key is found by it; one without, stored before keys, by its uid. `partsTable` is whether the
 * case has `event_raw_parts`, for a caller that has asked `hasRawParts` already.
 */
export async function readRawTexts(
  connection: DuckDBConnection,
  refs: readonly RawRef[],
  partsTable?: boolean,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (refs.length === 0 || !(partsTable ?? (await hasRawParts(connection)))) return texts;

  const byKey = new Map<bigint, string>();
  const uids: string[] = [];
  for (const ref of refs) {
    if (ref.key === null) uids.push(ref.uid);
    else byKey.set(ref.key, ref.uid);
  }
  if (byKey.size > 0) {
    // Read whole rather than streamed: the batch is the caller's, and a streamed read would
    // run the query a second time to count its rows.
    const reader = await connection.runAndReadAll(
      `SELECT raw_key, text FROM event_raw_parts WHERE ${keyRanges([...byKey.keys()])}
       ORDER BY raw_key, part`,
    );
    addParts(reader.getRowsJS(), (key) => byKey.get(BigInt(key as bigint)), texts);
  }
  if (uids.length > 0) {
    await collectParts(
      connection,
      'SELECT uid, text FROM event_raw_parts WHERE uid IN (SELECT unnest($uids)) ORDER BY uid, part',
      { uids: new DuckDBListValue(uids) },
      (uid) => String(uid),
      texts,
    );
  }

  return texts;
}

/**
 * Returns an SQL condition that selects the parts of `keys`: an OR of key ranges, each a run of
 * consecutive keys, written as literals. `column` names another integer column, such as
 * `rowid`, to select rows by its values the same way. DuckDB filters the scan by this condition and reads the
 * text of matching rows only. It checked `raw_key IN (...)`, or keys joined from a list
 * parameter, only against row group statistics and read the text of every row it kept. For 64
 * keys spread over 40,000 parts of 16 KB, that took 0.4 to 0.7 s against 0.09 to 0.26 s.
 */
export function keyRanges(keys: readonly bigint[], column = 'raw_key'): string {
  const sorted = [...keys].sort(compareBigInts);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i]!;
    let last = first;
    while (i + 1 < sorted.length && sorted[i + 1]! <= last + 1n) last = sorted[++i]!;
    i++;
    ranges.push(`(${column} >= ${first} AND ${column} <= ${last})`);
  }
  return ranges.length === 0 ? 'false' : `(${ranges.join(' OR ')})`;
}

// Puts together the parts that `sql` returns as (key, text) rows in part order, under the uid
// that `uidOf` gives the key.
async function collectParts(
  connection: DuckDBConnection,
  sql: string,
  params: Record<string, DuckDBValue>,
  uidOf: (key: unknown) => string | undefined,
  texts: Map<string, string>,
): Promise<void> {
  const rows = checkedStream(
    connection,
    sql,
    params,
    (result) => result.yieldRowsJs(),
    'raw record parts',
  );
  const all: unknown[][] = [];
  for await (const chunk of rows) for (const row of chunk) all.push(row);
  addParts(all, uidOf, texts);
}

// Joins (key, text) rows in part order into the text of each uid that `uidOf` gives a key.
function addParts(
  rows: readonly unknown[][],
  uidOf: (key: unknown) => string | undefined,
  texts: Map<string, string>,
): void {
  const parts = new Map<string, string[]>();
  for (const [key, text] of rows) {
    const uid = uidOf(key);
    if (uid === undefined) continue;
    const list = parts.get(uid) ?? [];
    list.push(String(text));
    parts.set(uid, list);
  }
  for (const [uid, list] of parts) texts.set(uid, list.join(''));
}

/**
 * Gives a `raw_key` to each record stored in parts before keys existed, in the order its parts
 * were written, after the largest key stored. Its parts and its row in `events` or
 * `duplicate_events` get the key. Does nothing when every part has a key. Runs in the caller's
 * transaction, after the schema has added the columns.
 */
export async function keyRecordsStoredInParts(connection: DuckDBConnection): Promise<void> {
  const unkeyed = await connection.runAndReadAll(
    'SELECT count(*) FROM (SELECT 1 FROM event_raw_parts WHERE raw_key IS NULL LIMIT 1)',
  );
  if (Number(unkeyed.getRowsJS()[0]?.[0] ?? 0) === 0) return;

  await connection.run(`CREATE OR REPLACE TEMP TABLE raw_key_backfill AS
    SELECT uid, (SELECT coalesce(max(raw_key), 0) FROM event_raw_parts)
      + row_number() OVER (ORDER BY min(rowid)) AS raw_key
    FROM event_raw_parts WHERE raw_key IS NULL GROUP BY uid`);
  await connection.run(`UPDATE event_raw_parts SET raw_key = b.raw_key
    FROM temp.raw_key_backfill b
    WHERE event_raw_parts.uid = b.uid AND event_raw_parts.raw_key IS NULL`);
  for (const table of ['events', 'duplicate_events']) {
    await connection.run(`UPDATE ${table} SET raw_key = b.raw_key
      FROM temp.raw_key_backfill b
      WHERE ${table}.uid = b.uid AND ${table}.raw IS NULL AND ${table}.raw_key IS NULL`);
  }
  await connection.run('DROP TABLE temp.raw_key_backfill');
}

/** Tells whether some event of the case has its raw record stored in parts. */
export async function hasSplitRecords(connection: DuckDBConnection): Promise<boolean> {
  if (!(await hasRawParts(connection))) return false;
  const reader = await connection.runAndReadAll(
    'SELECT count(*) FROM (SELECT 1 FROM event_raw_parts LIMIT 1)',
  );
  return Number(reader.getRowsJS()[0]?.[0] ?? 0) > 0;
}

/**
 * Returns SQL for the whole raw record of the `events` row named `row` (an alias, or `events`):
 * its `raw`, or its parts put together. Only for a case whose `hasSplitRecords` is true.
 */
export function wholeRawSql(row: string): string {
  return `coalesce(${row}.raw, (SELECT string_agg(p.text, '' ORDER BY p.part)
    FROM event_raw_parts p WHERE p.uid = ${row}.uid))`;
}

/**
 * Returns SQL of the `events` rows that `where` selects, each with its whole raw record in
 * `raw`, put together from its parts where it is stored in parts.
 */
export function eventsWithWholeRaw(where: string): string {
  return `(SELECT * REPLACE (${wholeRawSql('events')} AS raw) FROM events WHERE ${where})`;
}

/**
 * Returns SQL of the `events` rows that `where` selects, each with its whole raw record in
 * `raw`, for a selection small enough to sort at once, such as a time slice. Unlike
 * `eventsWithWholeRaw`, it puts together only the parts of the selected records: it reads their
 * keys first and selects their parts by key ranges (`keyRanges`), which DuckDB applies in the
 * scan. Records stored before keys are found by uid. The subquery of `wholeRawSql` over a slice
 * of 628 events whose records were stored in parts of 16 KB ran out of DuckDB's 244 MiB, while
 * the same slice read this way stays within its share. The records of `left.keys` are not put
 * together: their `raw` is the SQL of `left.placeholder` instead, for a caller that writes them
 * from their parts. Only for a case whose `hasSplitRecords` is true.
 */
export async function selectedEventsWithWholeRaw(
  connection: DuckDBConnection,
  where: string,
  left?: { keys: readonly bigint[]; placeholder: (row: string) => string },
): Promise<string> {
  const selected = `(SELECT * FROM events WHERE ${where})`;
  const keyed = await hasRawKeys(connection);
  const wholes: string[] = [];
  const joins: string[] = [];
  if (keyed) {
    const reader = await connection.runAndReadAll(
      `SELECT raw_key FROM events WHERE (${where}) AND raw_key IS NOT NULL`,
    );
    const leftKeys = new Set(left?.keys ?? []);
    const keys = reader
      .getRowsJS()
      .map(([key]) => BigInt(key as bigint))
      .filter((key) => !leftKeys.has(key));
    if (keys.length > 0) {
      joins.push(`LEFT JOIN (SELECT raw_key, string_agg(text, '' ORDER BY part) AS whole
        FROM event_raw_parts WHERE ${keyRanges(keys)} GROUP BY raw_key) k
        ON k.raw_key = e.raw_key`);
      wholes.push('k.whole');
    }
  }
  const unkeyed = `SELECT uid FROM events WHERE (${where}) AND raw IS NULL${keyed ? ' AND raw_key IS NULL' : ''}`;
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM (${unkeyed} LIMIT 1)`);
  if (Number(reader.getRowsJS()[0]?.[0] ?? 0) > 0) {
    joins.push(`LEFT JOIN (SELECT uid, string_agg(text, '' ORDER BY part) AS whole
      FROM event_raw_parts WHERE uid IN (${unkeyed}) GROUP BY uid) u
      ON e.raw IS NULL AND u.uid = e.uid`);
    wholes.push('u.whole');
  }
  if (left !== undefined && left.keys.length > 0) {
    wholes.push(`CASE WHEN ${keyRanges(left.keys, 'e.raw_key')} THEN ${left.placeholder('e')} END`);
  }
  if (wholes.length === 0) return selected;

  return `(SELECT e.* REPLACE (coalesce(e.raw, ${wholes.join(', ')}) AS raw)
    FROM ${selected} e ${joins.join(' ')})`;
}

/**
 * Creates the temporary table `table` of the UTF-8 bytes of every record stored in parts, and
 * returns SQL for the bytes of the whole raw record of an `events` row, which reads that table
 * instead of the parts. The parts are read in ranges of rows, one query per range, each with at
 * most `readBytes` of text (`RAW_READ_RECORDS` parts when it is null), counting 3 bytes per code
 * unit. Under a 64 MB limit (DuckDB 1.5), one scan that summed the bytes of 5,400 parts of 8.5 KB
 * on average ran out of memory, and so did the subquery of `wholeRawBytesSql` over 3,800 parts.
 * Ranges of 170 parts measured the 27,000 parts of 15,000 records within that limit in 1.0 s.
 * The caller drops the table. Only for a case whose `hasSplitRecords` is true.
 */
export async function createRawBytesTable(
  connection: DuckDBConnection,
  table: string,
  readBytes: number | null,
): Promise<string> {
  const keyed = await hasRawKeys(connection);
  // A keyed case may still hold parts without a key, which are found by uid.
  const key = keyed ? 'raw_key' : 'NULL::BIGINT';
  const uid = keyed ? 'CASE WHEN raw_key IS NULL THEN uid END' : 'uid';
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${table} (raw_key BIGINT, uid VARCHAR, bytes BIGINT)`,
  );
  const reader = await connection.runAndReadAll(
    'SELECT coalesce(max(rowid) + 1, 0) FROM event_raw_parts',
  );
  const rows = Number(reader.getRowsJS()[0]?.[0] ?? 0);
  const step =
    readBytes === null
      ? RAW_READ_RECORDS
      : Math.max(1, Math.floor(readBytes / (3 * RAW_PART_UNITS)));
  for (let from = 0; from < rows; from += step) {
    await connection.run(
      `INSERT INTO temp.${table} SELECT ${key}, ${uid}, sum(strlen(text)) FROM event_raw_parts
       WHERE rowid >= ${from} AND rowid < ${from + step} GROUP BY ALL`,
    );
  }
  const byUid = `(SELECT sum(b.bytes) FROM temp.${table} b WHERE b.uid = events.uid)`;
  if (!keyed) return `coalesce(strlen(events.raw), ${byUid})`;

  const byKey = `(SELECT sum(b.bytes) FROM temp.${table} b WHERE b.raw_key = events.raw_key)`;
  return `coalesce(strlen(events.raw), ${byKey}, ${byUid})`;
}

/** Returns SQL for the bytes of the whole raw record of the `events` row named `row`. */
export function wholeRawBytesSql(row: string): string {
  return `coalesce(strlen(${row}.raw), (SELECT sum(strlen(p.text))
    FROM event_raw_parts p WHERE p.uid = ${row}.uid))`;
}

function compareBigInts(a: bigint, b: bigint): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
