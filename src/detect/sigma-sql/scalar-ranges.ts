/**
 * The row ranges that scalar-shape scans of `events` read one at a time, sized by the memory
 * that DuckDB keeps for each vector of rows such a scan reads.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';
import type { SqlDialect } from './dialect.ts';
import { fitsSql, LARGE_RECORD_BYTES } from './large-records.ts';
import { type RowRange, rowRanges, VECTOR_ROWS } from './row-ranges.ts';

/**
 * Raw record text that a scalar-shape scan may read in one vector of rows. Such a scan parses
 * each record once, but DuckDB keeps what it parsed from a whole vector, on each of its
 * threads. 20,000 CloudTrail records of 15 KB, 30 MB a vector, ran the built-in pack's hunt out
 * of the case's 256 MB (DuckDB 1.5). With 16 MB it took 18 s and with 8 MB 25 s, while each
 * range was a scan that read every row of `events`.
 */
export const SCALAR_VECTOR_BYTES = 16 * 1024 * 1024;

/**
 * Bytes of record text that each byte of a value read by a scalar-shape scan counts as when
 * the ranges are sized. DuckDB keeps what a JSON call parsed from a vector, about 4 bytes per
 * byte of record. `json_extract` also keeps, for the vector, the buffer it writes each value
 * into, and its writer, yyjson, sizes that buffer at 6 bytes per byte of a string (its API
 * documentation gives 16 + 6 × length). On 16 MB of 16 KB CloudTrail records (DuckDB 1.5),
 * parsing took 67 MB, and writing out a 15 KB string of each record took 100 MB more.
 */
const VALUE_WEIGHT = 1.5;

/** The bytes that the values of each row count for, while `scalarScanRanges` sizes ranges. */
const VALUE_BYTES = 'sigma_value_bytes';

/** Runs `work` with filter pushdown on, and sets the scan settings again afterwards. */
export type WithPushdown = (work: () => Promise<void>) => Promise<void>;

/**
 * Returns the row ranges that scalar-shape scans of `events` read one at a time, for scans
 * that read the values at the member `paths`. That is one range with no bounds (`null`) unless
 * some vector of rows has more than SCALAR_VECTOR_BYTES of raw record text. Otherwise the
 * ranges keep each vector's raw record text, plus VALUE_WEIGHT times the bytes of the values at
 * `paths`, within SCALAR_VECTOR_BYTES, and consecutive vectors within it make one range.
 *
 * NOTE: a value inside another value that a scan also reads is written out twice, but is
 * counted once.
 */
export async function scalarScanRanges(
  connection: DuckDBConnection,
  dialect: SqlDialect,
  paths: string[][],
  withPushdown: WithPushdown,
): Promise<(RowRange | null)[]> {
  const longest = await longestRecordBytes(connection);
  if (longest !== null && longest * VECTOR_ROWS <= SCALAR_VECTOR_BYTES) return [null];

  const ranges = await rowRanges(connection, 'events', SCALAR_VECTOR_BYTES, 'vector');
  if (paths.length === 0) return ranges.length <= 1 ? [null] : ranges;

  const work = async () => {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${VALUE_BYTES} (row_id BIGINT, bytes BIGINT)`,
    );
    const bytes = dialect.jsonPathBytes('raw', paths);
    // Each range is measured alone, so that DuckDB keeps no more parsed records than a scan
    // of it does. Records that no scan parses count their text only.
    await withPushdown(async () => {
      for (const range of ranges) {
        await connection.run(`INSERT INTO ${VALUE_BYTES}
          SELECT rowid, CAST(ceil(${bytes} * ${VALUE_WEIGHT}) AS BIGINT) FROM events
          WHERE rowid BETWEEN ${range.low} AND ${range.high}
            AND ${fitsSql('raw', LARGE_RECORD_BYTES)}`);
      }
    });
    return rowRanges(connection, 'events', SCALAR_VECTOR_BYTES, 'vector', 'TRUE', VALUE_BYTES);
  };
  const sized = await withCleanup(work, () =>
    connection.run(`DROP TABLE IF EXISTS ${VALUE_BYTES}`),
  );
  return sized.length <= 1 ? [null] : sized;
}

/**
 * Returns the bytes of the longest raw record of `events` as DuckDB's segment statistics give
 * it, or null when they do not give it for every row. Reading them took 76 ms on a million
 * events, where measuring every record took 0.5 s.
 */
async function longestRecordBytes(connection: DuckDBConnection): Promise<number | null> {
  const reader = await connection.runAndReadAll(
    `SELECT (SELECT count(*) FROM events) AS events, sum(count) AS rows,
       bool_and(stats LIKE '%Max String Length: %') AS known,
       max(TRY_CAST(regexp_extract(stats, 'Max String Length: ([0-9]+)', 1) AS BIGINT)) AS longest
     FROM pragma_storage_info('events')
     WHERE column_name = 'raw' AND segment_type = 'VARCHAR'`,
  );
  const row = reader.getRowObjectsJS()[0];
  if (row === undefined || row.known !== true || row.longest === null) return null;
  if (Number(row.rows) !== Number(row.events)) return null;

  return Number(row.longest);
}
