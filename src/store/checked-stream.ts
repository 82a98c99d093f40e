/**
 * Streamed DuckDB reads that notice a query that failed midway. When DuckDB fails to compute
 * the rest of a streaming result (out of memory, for one), the result ends without an error, as
 * if its rows had run out. A failed read would then lose rows silently, so these reads count the
 * rows they yield and compare the count with the query's own at the end.
 */
import type { DuckDBConnection, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { CloudcaseError } from '../core/errors.ts';

/** The error raised when a streamed read returned fewer rows than its query has. */
export class IncompleteStreamError extends CloudcaseError {
  readonly returned: number;
  readonly expected: number;

  constructor(label: string, returned: number, expected: number) {
    super(
      'stream_incomplete',
      `DuckDB returned ${returned} of ${expected} ${label}, most likely because it ran out of ` +
        'memory. Run the command again on a machine with more free memory.',
    );
    this.name = 'IncompleteStreamError';
    this.returned = returned;
    this.expected = expected;
  }
}

/**
 * Streams the rows of `sql` in the chunks `read` makes of the result, for example
 * `(result) => result.yieldRowsJs()`. At the end, raises `IncompleteStreamError` when the rows
 * are not as many as `SELECT count(*)` of `countSql` gives. `countSql` is the same query by
 * default, or one with the same rows that costs less, such as the query without its sort.
 * `label` names the rows in the error message. A caller that stops early skips the check.
 */
export async function* checkedStream<Row>(
  connection: DuckDBConnection,
  sql: string,
  params: Record<string, DuckDBValue> | undefined,
  read: (result: DuckDBResult) => AsyncIterable<Row[]>,
  label: string,
  countSql = sql,
): AsyncGenerator<Row[]> {
  const result = await connection.stream(sql, params);
  let returned = 0;
  for await (const rows of read(result)) {
    returned += rows.length;
    yield rows;
  }
  const counted = await connection.runAndReadAll(`SELECT count(*) FROM (${countSql})`, params);
  const expected = Number(counted.getRowsJS()[0]?.[0] ?? 0);
  if (returned !== expected) throw new IncompleteStreamError(label, returned, expected);
}
