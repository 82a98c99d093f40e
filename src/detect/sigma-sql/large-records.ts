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
import { hasRawKeys, hasRawParts, readRawTexts } from '../../store/raw-parts.ts';
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
 * Matches the records of the events listed in `tables.rows` with `match` and appends each
 * event that some rule matched to `tables.matched`. Reads one record at a time, parsed as the
 * in-memory engine reads records, and returns how many events it read.
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
  const key = (await hasRawKeys(connection)) ? 'raw_key' : 'NULL AS raw_key';
  const partsTable = await hasRawParts(connection);
  const read = await connection.prepare(
    `SELECT uid, source, raw, ${key} FROM events WHERE rowid = $1`,
  );
  try {
    for (const row of rows) {
      read.bindBigInt(1, row);
      const [event] = (await read.runAndReadAll()).getRowObjectsJS();
      if (event === undefined) continue;
      // A record stored in parts has `raw` NULL (see `raw-parts.ts`).
      const uid = String(event.uid);
      const ref = { uid, key: event.raw_key === null ? null : BigInt(event.raw_key as bigint) };
      const text =
        event.raw ?? (await readRawTexts(connection, [ref], partsTable)).get(uid) ?? null;
      if (text === null) continue;
      // Read as the in-memory matcher reads records, so a long integer keeps its digits.
      const record = parseJsonLossless(String(text)) as Record<string, unknown>;
      const ids = match(uid, String(event.source), record);
      if (ids.length === 0) continue;
      const list = dialect.list(ids.map((id) => dialect.stringLiteral(id)));
      await connection.run(`INSERT INTO ${tables.matched} VALUES (${row}, ${list})`);
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
