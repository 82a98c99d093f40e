/**
 * Records too large for the SQL scans, which the in-memory engine matches one at a time
 * instead. DuckDB's JSON functions keep each record they parse, at every call site, until
 * they read the next vector of rows, so a scan's memory grows with its largest records. A
 * keyword scan of one 8 MB record ran out of the case's 256 MB in `json_tree`, and the
 * correlation occurrences of one 30 MB record did too. The in-memory engine reads the record
 * once, as `investigate` did when it stored the event, and gives the same matches (the two
 * backends pass one conformance suite). Ingest rejects records over 64 MiB, which bounds
 * the memory a record takes here.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseJsonLossless } from '../../sources/json-numbers.ts';
import {
  hasRawKeys,
  hasRawParts,
  keyRanges,
  RAW_READ_RECORDS,
  type RawRef,
  readRawTexts,
} from '../../store/raw-parts.ts';
import type { SqlDialect } from './dialect.ts';

/**
 * Bytes of raw record text above which the SQL scans and the correlation occurrences leave a
 * record to the in-memory engine.
 */
export const LARGE_RECORD_BYTES = 1024 * 1024;

/**
 * SQL true where the raw record in `column` is at most `bytes` long. A record stored in parts
 * (`raw` NULL, see `raw-parts.ts`) does not fit, so the in-memory engine reads it whole.
 */
export function fitsSql(column: string, bytes: number): string {
  return `(${column} IS NOT NULL AND strlen(${column}) <= ${bytes})`;
}

/** Names of the tables on the scan's connection that `matchLargeRecords` reads and writes. */
export interface LargeRecordTables {
  /** Table with the `event_row` of each event set aside, possibly listed more than once. */
  rows: string;
  /** Table of `event_row` and `rule_ids` that the matches are appended to. */
  matched: string;
}

/** Returns the ids of the rules that match an event's parsed record. */
export type RecordMatcher = (
  uid: string,
  source: string,
  record: Record<string, unknown>,
) => string[];

/**
 * Parts of raw records (up to 16,384 code units each) that `matchLargeRecords` reads at once,
 * besides a record with more parts, which it reads alone: about 8 MB of ASCII text.
 */
const BATCH_PARTS = 256;

/**
 * Matches the records of the events listed in `tables.rows` with `match` and appends each
 * event that some rule matched to `tables.matched`. Reads the events `RAW_READ_RECORDS` at a
 * time, and their records up to `BATCH_PARTS` parts at a time, then parses and matches one
 * record at a time as the in-memory engine reads records. Returns how many events it read.
 */
export async function matchLargeRecords(
  connection: DuckDBConnection,
  dialect: SqlDialect,
  tables: LargeRecordTables,
  match: RecordMatcher,
): Promise<number> {
  const listed = await connection.runAndReadAll(
    `SELECT DISTINCT event_row FROM ${tables.rows} ORDER BY event_row`,
  );
  const rows = listed.getRowObjectsJS().map((row) => BigInt(row.event_row as bigint));
  if (rows.length === 0) return 0;

  // A record stored in parts is found by its `raw_key`, or by uid in a case made before keys.
  const keyed = await hasRawKeys(connection);
  const partsTable = await hasRawParts(connection);
  const read = await connection.prepare('SELECT raw FROM events WHERE rowid = $1');
  const wholeRaw = async (event: EventRow): Promise<string | null> => {
    read.bindBigInt(1, BigInt(event.event_row as bigint));
    const [row] = (await read.runAndReadAll()).getRowsJS();
    return row?.[0] === null || row?.[0] === undefined ? null : String(row[0]);
  };
  try {
    for (let start = 0; start < rows.length; start += RAW_READ_RECORDS) {
      const batch = rows.slice(start, start + RAW_READ_RECORDS);
      // A record stored in parts has `raw` NULL (see `raw-parts.ts`). One stored whole is read
      // alone, because a case made before parts existed has whole records of up to 64 MiB.
      const events = await connection.runAndReadAll(
        `SELECT rowid AS event_row, uid, source, raw IS NULL AS split,
         ${keyed ? 'raw_key' : 'NULL AS raw_key'}
       FROM events WHERE ${keyRanges(batch, 'rowid')} ORDER BY rowid`,
      );
      const matched: string[] = [];
      for (const group of await partGroups(connection, events.getRowObjectsJS())) {
        const split = group.filter((event) => event.split === true).map(rawRef);
        const texts = await readRawTexts(connection, split, partsTable);
        for (const event of group) {
          const uid = String(event.uid);
          const text = event.split === true ? (texts.get(uid) ?? null) : await wholeRaw(event);
          if (text === null) continue;
          // Read as the in-memory matcher reads records, so a long integer keeps its digits.
          const record = parseJsonLossless(String(text)) as Record<string, unknown>;
          const ids = match(uid, String(event.source), record);
          if (ids.length === 0) continue;
          const list = dialect.list(ids.map((id) => dialect.stringLiteral(id)));
          matched.push(`(${BigInt(event.event_row as bigint)}, ${list})`);
        }
      }
      if (matched.length > 0) {
        await connection.run(`INSERT INTO ${tables.matched} VALUES ${matched.join(', ')}`);
      }
    }
  } finally {
    read.destroySync();
  }
  // A column scan may have matched such an event too, so its rule ids are merged into one row.
  const largeRows = `SELECT event_row FROM ${tables.rows}`;
  await connection.run(`CREATE OR REPLACE TEMP TABLE sigma_large_matches AS
    SELECT event_row, list_distinct(flatten(list(rule_ids))) AS rule_ids FROM ${tables.matched}
    WHERE event_row IN (${largeRows}) GROUP BY event_row`);
  await connection.run(`DELETE FROM ${tables.matched} WHERE event_row IN (${largeRows})`);
  await connection.run(`INSERT INTO ${tables.matched} SELECT * FROM temp.sigma_large_matches`);
  await connection.run('DROP TABLE temp.sigma_large_matches');
  return rows.length;
}

type EventRow = Record<string, unknown>;

function rawRef(event: EventRow): RawRef {
  const key = event.raw_key;
  return { uid: String(event.uid), key: key === null ? null : BigInt(key as bigint) };
}

// Splits `events` into groups whose records stored in parts have at most `BATCH_PARTS` parts
// together, counted by key. A record without a key, stored before keys, is a group by itself,
// because its parts are not counted.
async function partGroups(connection: DuckDBConnection, events: EventRow[]): Promise<EventRow[][]> {
  const keys = events.filter((event) => event.split === true && event.raw_key !== null);
  const counts = new Map<bigint, number>();
  if (keys.length > 0) {
    const reader = await connection.runAndReadAll(
      `SELECT raw_key, count(*)::INTEGER FROM event_raw_parts
       WHERE ${keyRanges(keys.map((event) => BigInt(event.raw_key as bigint)))} GROUP BY raw_key`,
    );
    for (const [key, parts] of reader.getRowsJS()) counts.set(BigInt(key as bigint), Number(parts));
  }
  const groups: EventRow[][] = [];
  let group: EventRow[] = [];
  let parts = 0;
  for (const event of events) {
    let size = 0;
    if (event.split === true) {
      size =
        event.raw_key === null ? BATCH_PARTS : (counts.get(BigInt(event.raw_key as bigint)) ?? 0);
    }
    if (group.length > 0 && parts + size > BATCH_PARTS) {
      groups.push(group);
      group = [];
      parts = 0;
    }
    group.push(event);
    parts += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
