/**
 * Streamed DuckDB reads that notice a query that failed midway. A streaming result ends the
 * same way when DuckDB fails to compute the rest of it (out of memory, for one) as when its rows
 * run out, without an error, so a failed read would look like a shorter result and lose rows
 * silently. These reads count the rows they yield and compare the count with the query's own
 * at the end.
 */
import type { DuckDBConnection, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { CloudcaseError } from '../core/errors.ts';

/** The error raised when a streamed read returned fewer rows than its query has. */
export class IncompleteStreamError extends CloudcaseError {
  constructor(what: string, returned: number, expected: number) {
    super(
      'stream_incomplete',
      `DuckDB returned ${returned} of ${expected} ${what}, most likely because it ran out of ` +
        'memory; run the command again on a machine with more free memory.',
    );
    this.name = 'IncompleteStreamError';
  }
}

/**
 * Streams the rows of `sql` in the chunks `read` makes of the result, for example
 * `(result) => result.yieldRowsJs()`, and then raises `IncompleteStreamError` when they were
 * not as many as `SELECT count(*)` of `countSql` gives: by default the same query, or one with
 * the same rows that costs less, such as the query without its sort. `what` names the rows in
 * that message. A caller that stops early skips the check.
 */
export async function* checkedStream<Row>(
  connection: DuckDBConnection,
  sql: string,
  params: Record<string, DuckDBValue> | undefined,
  read: (result: DuckDBResult) => AsyncIterable<Row[]>,
  what: string,
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
  if (returned !== expected) throw new IncompleteStreamError(what, returned, expected);
}
