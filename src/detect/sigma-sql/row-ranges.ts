/**
 * Splits the rows a scan reads into ranges of row ids with a bounded amount of raw record text,
 * for scans whose memory in DuckDB grows with the records they read.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';
import { hasSplitRecords } from '../../store/raw-parts.ts';

/** The size of each row's raw record, while `rowRanges` splits the rows. */
const ROW_SIZES = 'sigma_row_sizes';

/**
 * Rows of a DuckDB vector (`STANDARD_VECTOR_SIZE`, DuckDB 1.5). A table scan returns the rows
 * of one vector at a time, and row groups start at multiples of it, so vector `k` of a table
 * contains the row ids from `k * VECTOR_ROWS` on.
 */
export const VECTOR_ROWS = 2048;

/** A range of row ids, both ends included. */
export interface RowRange {
  low: bigint;
  high: bigint;
}

/**
 * The text that `rowRanges` bounds: that of each range (`total`), or that of each vector of rows
 * that a scan of the range reads at once (`vector`), so that the consecutive vectors within the
 * bound make one range.
 */
export type RangeBound = 'total' | 'vector';

/**
 * Splits the row ids of `table` into ranges in order, each with about `bytes` of raw record text
 * or less in all or per vector (see `RangeBound`), unless one record alone is larger. Every row
 * counts one byte more, so rows without a record still end a range. With `where`, only the rows
 * it selects are measured and counted. With `extra`, a table of `row_id` and `bytes`, each row
 * listed there counts those bytes more.
 */
export async function rowRanges(
  connection: DuckDBConnection,
  table: string,
  bytes: number,
  bound: RangeBound = 'total',
  where = 'TRUE',
  extra: string | null = null,
): Promise<RowRange[]> {
  const sizes = `SELECT rowid AS row_id, ${await rawSizeSql(connection, table)} + 1 AS size
    FROM ${table} WHERE ${where}`;
  // The sizes are stored first: a window over `events` itself kept the records it measured,
  // and 400 records of 256 KB ran out of the case's 256 MB.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${ROW_SIZES} AS ${
      extra === null
        ? sizes
        : `SELECT row_id, size + coalesce(e.bytes, 0) AS size
          FROM (${sizes}) s LEFT JOIN ${extra} e USING (row_id)`
    }`,
  );
  const work = async () => {
    const sql = bound === 'total' ? totalRangesSql(bytes) : vectorRangesSql(bytes);
    const reader = await connection.runAndReadAll(sql);
    const pieces = reader.getRowObjectsJS().map((row) => ({
      low: BigInt(row.low as bigint),
      high: BigInt(row.high as bigint),
      whole: row.whole === true,
    }));
    return joinWholeVectors(pieces);
  };
  return withCleanup(work, () => connection.run(`DROP TABLE IF EXISTS ${ROW_SIZES}`));
}

// The bytes of a row's raw record. A record of `events` stored in parts has a NULL `raw`,
// and the statements over a range put its parts together: counted as empty, 300 records of
// 80 KB made one range, and the entity extraction over it ran out of the case's 256 MB.
async function rawSizeSql(connection: DuckDBConnection, table: string): Promise<string> {
  if (table !== 'events' || !(await hasSplitRecords(connection))) return 'coalesce(strlen(raw), 0)';

  return `coalesce(strlen(raw), (SELECT sum(strlen(p.text)) FROM event_raw_parts p
    WHERE p.uid = events.uid), 0)`;
}

function totalRangesSql(bytes: number): string {
  return `SELECT min(row_id) AS low, max(row_id) AS high, FALSE AS whole FROM (
      SELECT row_id, (sum(size) OVER (ORDER BY row_id) - 1) // ${bytes} AS part
      FROM ${ROW_SIZES})
    GROUP BY part ORDER BY low`;
}

/** Splits each vector with more than `bytes` of text as `totalRangesSql` splits all rows. */
function vectorRangesSql(bytes: number): string {
  return `SELECT min(row_id) AS low, max(row_id) AS high, bool_and(whole) AS whole FROM (
      SELECT row_id, vector, whole, CASE WHEN whole THEN 0
        ELSE (sum(size) OVER (PARTITION BY vector ORDER BY row_id) - 1) // ${bytes} END AS part
      FROM (SELECT row_id, size, row_id // ${VECTOR_ROWS} AS vector,
          sum(size) OVER (PARTITION BY row_id // ${VECTOR_ROWS}) <= ${bytes} AS whole
        FROM ${ROW_SIZES}))
    GROUP BY vector, part ORDER BY low`;
}

/** Joins consecutive pieces that are whole vectors into one range. */
function joinWholeVectors(pieces: (RowRange & { whole: boolean })[]): RowRange[] {
  const ranges: (RowRange & { whole: boolean })[] = [];
  for (const piece of pieces) {
    const last = ranges.at(-1);
    if (last?.whole && piece.whole) last.high = piece.high;
    else ranges.push({ ...piece });
  }
  return ranges.map(({ low, high }) => ({ low, high }));
}
