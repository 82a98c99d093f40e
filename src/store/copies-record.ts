/**
 * The record of the ingests that vouched for the stored copies of CloudTrail fields (see
 * `stored-copies.ts`): which events it describes, as a fold of their uids and copies, and the
 * events whose copies no ingest could vouch for. A hunt trusts the copies of a case whose record
 * still describes its events, and otherwise checks every record as before.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { eventsFoldSql } from './events-fold.ts';
import { COPIES_SOURCE, STORED_COPIES } from './stored-copies.ts';
import { inTransaction } from './transaction.ts';

/**
 * The version of what a record vouches for: the fields of `STORED_COPIES` and the row check. A
 * record of another version is ignored.
 */
const COPIES_VERSION = 2;

// The copy columns are folded too, so an edit of a copy makes the record stale. The raw records
// are not: hashing them cost 1.4 CPU s for a million events, most of what parsing them costs.
const COPIES_FOLD = eventsFoldSql(['uid', ...Object.values(STORED_COPIES)]);

/** The tables of the record, one row in `copies_source` at most. */
export const COPIES_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS copies_source (
  version INTEGER NOT NULL,
  events BIGINT NOT NULL,
  fold UBIGINT
)`,
  'CREATE TABLE IF NOT EXISTS copies_unverified (uid VARCHAR NOT NULL)',
];

/** The table of the events whose copies no ingest vouched for. */
export const UNVERIFIED_TABLE = 'copies_unverified';

/**
 * Tells whether the record describes the case's events as they are now: written by this
 * version, after the last change to the events or their copies. False for a case without the
 * record's tables, such as one made before they existed.
 */
export async function copiesRecordIsCurrent(connection: DuckDBConnection): Promise<boolean> {
  if (!(await hasRecordTables(connection))) return false;

  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM copies_source s, (SELECT ${COPIES_FOLD} FROM events) e(events, fold)
     WHERE s.version = ${COPIES_VERSION} AND s.events = e.events
       AND s.fold IS NOT DISTINCT FROM e.fold`,
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0) === 1;
}

async function hasRecordTables(connection: DuckDBConnection): Promise<boolean> {
  const tables = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM duckdb_tables()
     WHERE schema_name = 'main' AND table_name IN ('copies_source', '${UNVERIFIED_TABLE}')`,
  );
  return Number(tables.getRowObjectsJS()[0]?.n ?? 0) === 2;
}

/**
 * Tells whether the copies of every event the case contains now are vouched for: by a current
 * record, or because the case has no CloudTrail events. An ingest calls it before it stores events.
 */
export async function copiesAreVouched(connection: DuckDBConnection): Promise<boolean> {
  if (await copiesRecordIsCurrent(connection)) return true;
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM events WHERE source = '${COPIES_SOURCE}'`,
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0) === 0;
}

/**
 * Records that the copies of the case's events are vouched for, except those of `unverified`
 * events, which are added to the ones listed before. Call it only when the copies of the events
 * before an ingest were vouched for and the ingest checked every row it stored.
 */
export async function writeCopiesRecord(
  connection: DuckDBConnection,
  unverified: readonly string[],
  { replace = false } = {},
): Promise<void> {
  await inTransaction(connection, async () => {
    await connection.run('DELETE FROM copies_source');
    if (replace) await connection.run(`DELETE FROM ${UNVERIFIED_TABLE}`);
    for (let start = 0; start < unverified.length; start += 1000) {
      const uids = unverified.slice(start, start + 1000);
      const params = Object.fromEntries(uids.map((uid, index) => [`u${index}`, uid]));
      const rows = uids.map((_, index) => `($u${index})`).join(', ');
      await connection.run(`INSERT INTO ${UNVERIFIED_TABLE} VALUES ${rows}`, params);
    }
    await connection.run(
      `INSERT INTO copies_source SELECT ${COPIES_VERSION}, ${COPIES_FOLD} FROM events`,
    );
  });
}

/**
 * Records that a scan of every CloudTrail record found each copy equal to its field, so that
 * later hunts of the case trust the copies without that scan. Does nothing on a database
 * without the record's tables.
 */
export async function recordCheckedCopies(connection: DuckDBConnection): Promise<void> {
  if (await hasRecordTables(connection)) await writeCopiesRecord(connection, [], { replace: true });
}
