/**
 * The row ranges that scalar-shape scans of `events` read one at a time, sized by the memory
 * that DuckDB keeps for each vector of rows such a scan reads.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
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

/**
 * Raw record text that one statement measuring the values of `ScalarRanges` reads. Such a
 * statement keeps about 4 bytes per byte of the records it parsed (see VALUE_WEIGHT), on each
 * of the threads that read it, so the bound is on all its records.
 */
const MEASURED_BYTES = 8 * 1024 * 1024;

/** The bytes of the value at each measured path, per row, while `ScalarRanges` is in use. */
export const VALUE_BYTES_TABLE = 'sigma_value_bytes';

/** Runs `work` with filter pushdown on, and sets the scan settings again afterwards. */
export type WithPushdown = (work: () => Promise<void>) => Promise<void>;

/**
 * The row ranges that scalar-shape scans of `events` read one at a time. For every scan, that
 * is one range with no bounds (`null`) unless some vector of rows has more than
 * SCALAR_VECTOR_BYTES of raw record text. Otherwise the ranges of a scan keep each vector's raw
 * record text, plus VALUE_WEIGHT times the bytes of the values at the member paths the scan
 * reads, within SCALAR_VECTOR_BYTES, and consecutive vectors within it make one range.
 *
 * NOTE: a value inside another value that a scan also reads is written out twice, but is
 * counted once.
 */
export class ScalarRanges {
  readonly #connection: DuckDBConnection;
  readonly #dialect: SqlDialect;
  readonly #withPushdown: WithPushdown;
  /** Keys of the measured paths, by their index in each row's list of bytes. */
  readonly #measured = new Map<string, number>();
  readonly #found = new Map<string, (RowRange | null)[]>();
  #raw: (RowRange | null)[] | null = null;

  /** `paths` are the member paths that the scans read, as lists of keys. */
  constructor(
    connection: DuckDBConnection,
    dialect: SqlDialect,
    paths: string[][],
    withPushdown: WithPushdown,
  ) {
    this.#connection = connection;
    this.#dialect = dialect;
    this.#withPushdown = withPushdown;
    for (const keys of paths) this.#measured.set(JSON.stringify(keys), this.#measured.size);
  }

  /** Returns the ranges of a scan that reads the values at the member `paths`. */
  async of(paths: string[][]): Promise<(RowRange | null)[]> {
    const raw = await this.#rawRanges();
    if (raw.length === 1 && raw[0] === null) return raw;

    const all = [...this.#measured.values()];
    const known = paths.map((keys) => this.#measured.get(JSON.stringify(keys)));
    // A path that was not measured counts as every measured one.
    const indexes = known.includes(undefined) ? all : (known as number[]);
    const key = [...new Set(indexes)].sort((a, b) => a - b).join(',');
    const found = this.#found.get(key);
    if (found !== undefined) return found;

    const terms = key === '' ? ['0'] : key.split(',').map((i) => `coalesce(bytes[${+i + 1}], 0)`);
    const extra = `(SELECT row_id, CAST(ceil((${terms.join(' + ')}) * ${VALUE_WEIGHT}) AS BIGINT)
        AS bytes FROM ${VALUE_BYTES_TABLE})`;
    const c = this.#connection;
    const ranges = await rowRanges(c, 'events', SCALAR_VECTOR_BYTES, 'vector', 'TRUE', extra);
    const sized = ranges.length <= 1 ? [null] : ranges;
    this.#found.set(key, sized);
    return sized;
  }

  /**
   * Returns the ranges by raw record text alone, and measures the values at every path once.
   * Each statement measures MEASURED_BYTES of records at most, in all its threads, and
   * `json_extract_string` writes out no string as JSON. Records that no scan parses count
   * their text only.
   */
  async #rawRanges(): Promise<(RowRange | null)[]> {
    if (this.#raw !== null) return this.#raw;
    const c = this.#connection;
    const longest = await longestRecordBytes(c);
    if (longest !== null && longest * VECTOR_ROWS <= SCALAR_VECTOR_BYTES) {
      this.#raw = [null];
      return this.#raw;
    }

    const ranges = await rowRanges(c, 'events', SCALAR_VECTOR_BYTES, 'vector');
    const measured = await rowRanges(c, 'events', MEASURED_BYTES);
    await c.run(
      `CREATE OR REPLACE TEMP TABLE ${VALUE_BYTES_TABLE} (row_id BIGINT, bytes BIGINT[])`,
    );
    const paths = [...this.#measured.keys()].map((key) => JSON.parse(key) as string[]);
    if (paths.length > 0) {
      const bytes = this.#dialect.jsonPathBytes('raw', paths);
      await this.#withPushdown(async () => {
        for (const range of measured) {
          await c.run(`INSERT INTO ${VALUE_BYTES_TABLE}
            SELECT rowid, ${bytes} FROM events
            WHERE rowid BETWEEN ${range.low} AND ${range.high}
              AND ${fitsSql('raw', LARGE_RECORD_BYTES)}`);
        }
      });
    }
    this.#raw = ranges;
    return ranges;
  }
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
