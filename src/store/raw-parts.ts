/**
 * Raw records too long for one value of the `raw` column. DuckDB 1.5 (256 KiB blocks) stores a
 * string of more than about 64 KiB in a buffer of its own, at least one block large. A commit or
 * checkpoint keeps all such buffers of what it writes in memory at once. Measured
 * under the ingest's 128 MB limit: 1,600 records of 65,600 bytes failed the commit, while
 * records of 65,000 bytes passed. Committing and checkpointing every 100 rows, or row groups of
 * 2,048 rows, still failed in the checkpoint, which rewrites the whole last row group. Such a
 * record is therefore stored in parts of at most `RAW_PART_UNITS` in `event_raw_parts`, with
 * `raw` NULL in its `events` row.
 */
import { type DuckDBConnection, DuckDBListValue } from '@duckdb/node-api';
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
}

/** The DDL of the table of raw record parts. */
export const RAW_PARTS_SCHEMA = `CREATE TABLE IF NOT EXISTS event_raw_parts (
  uid VARCHAR NOT NULL,
  evidence_sha256 VARCHAR NOT NULL,
  evidence_member VARCHAR,
  evidence_record BIGINT NOT NULL,
  part INTEGER NOT NULL,
  text VARCHAR NOT NULL
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
 * Reads the raw text of the events in `uids` that are stored in parts, keyed by uid. Events
 * whose `raw` is stored whole, or that have no raw record, are not in the map.
 */
export async function readRawTexts(
  connection: DuckDBConnection,
  uids: readonly string[],
): Promise<Map<string, string>> {
  const parts = new Map<string, string[]>();
  if (uids.length === 0 || !(await hasRawParts(connection))) return new Map();

  const rows = checkedStream(
    connection,
    'SELECT uid, text FROM event_raw_parts WHERE uid IN (SELECT unnest($uids)) ORDER BY uid, part',
    { uids: new DuckDBListValue([...uids]) },
    (result) => result.yieldRowsJs(),
    'raw record parts',
  );
  for await (const chunk of rows) {
    for (const [uid, text] of chunk) {
      const key = String(uid);
      const list = parts.get(key) ?? [];
      list.push(String(text));
      parts.set(key, list);
    }
  }

  return new Map([...parts].map(([uid, list]) => [uid, list.join('')]));
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

/** Returns SQL for the bytes of the whole raw record of the `events` row named `row`. */
export function wholeRawBytesSql(row: string): string {
  return `coalesce(strlen(${row}.raw), (SELECT sum(strlen(p.text))
    FROM event_raw_parts p WHERE p.uid = ${row}.uid))`;
}
