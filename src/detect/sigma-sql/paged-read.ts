/**
 * Reads rows joined to their events in a set order, a page at a time, so that neither DuckDB
 * nor JavaScript keeps more than a page of raw records in memory, however many rows there are.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';

/** A query whose rows `readInPages` reads in order. */
export interface PagedQuery {
  /** Temporary table the numbered keys of the rows are stored in while they are read. */
  table: string;
  /**
   * The FROM clause, without `FROM`. It joins the `events` table as `e`, unless `rowId` gives
   * the row ids of the rows' events.
   */
  from: string;
  /** The row id in `events` of a row's event, over `from`; `e.rowid` when absent. */
  rowId?: string;
  /** Columns over `from`, without the raw record, stored with each row as `k`. */
  keys: string;
  /** The ORDER BY list over `from`, without `ORDER BY`, that numbers the rows. */
  orderBy: string;
  /** The select list of a page, over the stored row `k` and its event `e`. */
  columns: string;
  /** Rows read into JavaScript at once. */
  pageSize: number;
  /**
   * Runs once the rows are numbered, with the temporary table that contains their keys (`page_row`,
   * the row id `event_row` of their event, and the columns of `keys`). The rows it deletes from
   * the table are not read.
   */
  beforePages?: (table: string) => Promise<void>;
  /**
   * Reads the rows in the order their events are stored, each with its place in `orderBy`
   * (from 1) as `page_row`, instead of in that order. Each page then reads one stretch of
   * `events`, however the order interleaves them.
   */
  storageOrder?: boolean;
}

/**
 * A page's events are read with one range scan of `events` per run of nearby row ids. Runs
 * further apart than a row group of a case (16,384 rows) are read apart, so a page whose
 * events come from a few interleaved streams scans only their stretches of the table.
 */
const RUN_GAP = 16_384;

/**
 * Runs past which a page reads the whole span of its row ids in one scan.
 * NOTE: events stored far from time order (more than this many streams interleaved in a page)
 * make each page scan most of `events`, which stays within memory but takes far longer.
 */
const MAX_RUNS = 32;

/**
 * Numbers the rows of `query` in the order of `query.orderBy` and passes them to `onPage` in
 * that order, `query.pageSize` rows at a time, and returns how many there were. Each page is
 * awaited before the next is read.
 *
 * Only the keys are sorted: the raw records are read a page at a time from `events` by row id.
 * Sorting the records themselves, or even the keys with two threads, ran out of DuckDB's 256 MB
 * at 1,000,000 CloudTrail events with 370,000 rows (DuckDB 1.5).
 */
export async function readInPages(
  connection: DuckDBConnection,
  query: PagedQuery,
  onPage: (rows: Record<string, unknown>[]) => Promise<void>,
): Promise<number> {
  const table = `temp.${query.table}`;
  const work = async () => {
    await withOneThread(connection, () =>
      connection.run(`CREATE OR REPLACE TEMP TABLE ${query.table} AS
        SELECT row_number() OVER (ORDER BY ${query.orderBy}) AS page_row,
          ${query.rowId ?? 'e.rowid'} AS event_row, ${query.keys}
        FROM ${query.from}
        ORDER BY page_row`),
    );
    await query.beforePages?.(table);
    const total = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${table}`);
    const count = Number(total.getRowObjectsJS()[0]?.n ?? 0);
    await withFilterPushdown(connection, async () => {
      if (query.storageOrder) {
        for (const [low, high] of await storagePages(connection, query)) {
          await onPage(await readStretch(connection, query, low, high));
        }
        return;
      }
      for (let from = 1; from <= count; from += query.pageSize) {
        await onPage(await readPage(connection, query, from, from + query.pageSize));
      }
    });
    return count;
  };
  return withCleanup(work, () => connection.run(`DROP TABLE IF EXISTS ${table}`));
}

/** Reads the rows numbered from `from` up to `to` (excluded), in order. */
async function readPage(
  connection: DuckDBConnection,
  query: PagedQuery,
  from: number,
  to: number,
): Promise<Record<string, unknown>[]> {
  const page = `page_row >= ${from} AND page_row < ${to}`;
  const reader = await connection.runAndReadAll(
    `SELECT event_row FROM temp.${query.table} WHERE ${page} ORDER BY event_row`,
  );
  const rowIds = reader.getRowObjectsJS().map((row) => Number(row.event_row));
  const rows: Record<string, unknown>[] = [];
  for (const [low, high] of rowRuns(rowIds)) {
    const range = `BETWEEN ${low} AND ${high}`;
    const part = await connection.runAndReadAll(`SELECT k.page_row, ${query.columns}
      FROM (SELECT * FROM temp.${query.table} WHERE ${page} AND event_row ${range}) k
      JOIN (SELECT rowid AS event_row, * FROM events WHERE rowid ${range}) e
        ON e.event_row = k.event_row`);
    rows.push(...part.getRowObjectsJS());
  }
  rows.sort((a, b) => Number(a.page_row) - Number(b.page_row));
  for (const row of rows) delete row.page_row;
  return rows;
}

/**
 * Splits the numbered rows, in storage order, into pages of `query.pageSize`, and returns the
 * first and last row id of each page.
 */
async function storagePages(
  connection: DuckDBConnection,
  query: PagedQuery,
): Promise<[number, number][]> {
  const reader = await connection.runAndReadAll(
    `SELECT min(event_row) AS low, max(event_row) AS high FROM (
       SELECT event_row, (row_number() OVER (ORDER BY event_row) - 1) // ${query.pageSize} AS page
       FROM temp.${query.table})
     GROUP BY page ORDER BY page`,
  );
  return reader.getRowObjectsJS().map((row) => [Number(row.low), Number(row.high)]);
}

/** Reads the rows whose events have row ids from `low` to `high`, in storage order. */
async function readStretch(
  connection: DuckDBConnection,
  query: PagedQuery,
  low: number,
  high: number,
): Promise<Record<string, unknown>[]> {
  const range = `BETWEEN ${low} AND ${high}`;
  const reader = await connection.runAndReadAll(`SELECT k.page_row, ${query.columns}
    FROM (SELECT * FROM temp.${query.table} WHERE event_row ${range}) k
    JOIN (SELECT rowid AS event_row, * FROM events WHERE rowid ${range}) e
      ON e.event_row = k.event_row
    ORDER BY k.event_row`);
  return reader.getRowObjectsJS();
}

/** Splits sorted row ids into runs, as first and last row id. */
function rowRuns(rowIds: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const id of rowIds) {
    const last = runs.at(-1);
    if (last !== undefined && id - last[1] <= RUN_GAP) last[1] = id;
    else runs.push([id, id]);
  }
  const first = runs[0];
  const final = runs.at(-1);
  if (runs.length > MAX_RUNS && first !== undefined && final !== undefined) {
    return [[first[0], final[1]]];
  }
  return runs;
}

/**
 * Runs `work` with DuckDB on one thread. Numbering 1,100,000 rows by time with two threads ran
 * out of 256 MB, and with one it did not (DuckDB 1.5).
 */
async function withOneThread(
  connection: DuckDBConnection,
  work: () => Promise<unknown>,
): Promise<void> {
  const saved = await currentSetting(connection, 'threads');
  await connection.run('SET threads = 1');
  await withCleanup(work, () => connection.run(`SET threads = ${Number(saved)}`));
}

/**
 * Runs `work` with DuckDB's filter pushdown enabled, and restores the optimizers disabled
 * before. Scans disable it (see `scanSettings` in duckdb.ts), but without it a read of a
 * range of rows scans every row of the table.
 */
async function withFilterPushdown(
  connection: DuckDBConnection,
  work: () => Promise<void>,
): Promise<void> {
  const saved = await currentSetting(connection, 'disabled_optimizers');
  const disabled = saved
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (!disabled.includes('filter_pushdown')) {
    await work();
    return;
  }
  const others = disabled.filter((name) => name !== 'filter_pushdown');
  await connection.run(`SET disabled_optimizers = '${others.join(',')}'`);
  await withCleanup(work, () =>
    connection.run(`SET disabled_optimizers = '${saved.replaceAll("'", "''")}'`),
  );
}

async function currentSetting(connection: DuckDBConnection, name: string): Promise<string> {
  const reader = await connection.runAndReadAll(`SELECT current_setting('${name}') AS value`);
  return String(reader.getRowObjectsJS()[0]?.value ?? '');
}
