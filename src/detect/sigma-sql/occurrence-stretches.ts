/**
 * Reads one correlation's spilled occurrences sorted by group, time and arrival: in one query
 * (`occurrenceLinesAtOnce`), or in stretches of bounded text (`sortedOccurrenceLines`). DuckDB
 * 1.5 ran out of the spill's 64 MB when it sorted wide rows in one query. 70,000 occurrences
 * whose uids contained a 1,500-byte archive member name failed. 1,000,000 rows of 250 bytes
 * ended after 59,392 rows without an error. The stretches sort only the narrow sort key and
 * each row's size whole, and then read the wide rows one stretch at a time, which took 0.4 s
 * more for the 372,967 occurrences of a hunt of 1,000,000 events.
 */
import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api';
import { yieldWithCleanup } from '../../core/errors.ts';
import { checkedStream } from '../../store/checked-stream.ts';

const OCCURRENCES = 'correlation occurrences';

/** Maximum bytes of occurrence text per stretch, except a stretch of one longer occurrence. */
export const STRETCH_BYTES = 16 * 1024 * 1024;

const ORDER_TABLE = 'occurrence_order';

const GROUP_TABLE = 'occurrence_groups';

// Each distinct group key of a correlation gets its number in group key order, so that the sort
// of the occurrences carries a number instead of the key. With 16 KB actor ARNs as the keys of
// 3,000 occurrences, the sort of the keys ran out of the spill's 64 MB (DuckDB 1.5).
// NOTE: the distinct keys are still sorted whole, so many distinct long keys can fill DuckDB's
// memory the way long uids did.
const NUMBER_GROUPS = (table: string) => `CREATE OR REPLACE TABLE ${GROUP_TABLE} AS
  SELECT group_key, row_number() OVER (ORDER BY group_key) AS group_number
  FROM (SELECT DISTINCT group_key FROM ${table} WHERE correlation = $correlation)`;

// Each occurrence gets its place in the order and the number of the stretch it starts in, from
// the bytes of the occurrences before it. Rows are read back by `seq`, which is unique within
// a correlation. An occurrence without a group has a NULL key, which the join keeps.
const ORDER_OCCURRENCES = (table: string) => `CREATE OR REPLACE TABLE ${ORDER_TABLE} AS
  SELECT seq, row_number() OVER sorted AS position,
    (sum(bytes) OVER sorted - bytes) // $stretchBytes AS stretch
  FROM (SELECT t.seq, g.group_number, t.time,
      strlen(t.group_key) + strlen(t.uids) + coalesce(strlen(t.value_texts), 0) + 32 AS bytes
    FROM ${table} t JOIN ${GROUP_TABLE} g ON g.group_key IS NOT DISTINCT FROM t.group_key
    WHERE t.correlation = $correlation)
  WINDOW sorted AS (ORDER BY group_number, time, seq ROWS UNBOUNDED PRECEDING)`;

// Each occurrence is read back as one line of its fields, separated by tabs as in the spill
// file: reading the five columns cost about three times as much, at 0.5 microseconds a string
// value. DuckDB writes a DOUBLE as text that reads back as the same number.
const READ_STRETCH = (table: string) => `SELECT concat(group_key, chr(9),
    CAST(time AS VARCHAR), chr(9), CAST(rule AS VARCHAR), chr(9), uids, chr(9), value_texts)
  FROM ${ORDER_TABLE} o JOIN ${table} t ON t.seq = o.seq AND t.correlation = $correlation
  WHERE o.stretch = $stretch ORDER BY o.position`;

// The occurrences of one correlation sorted in one query, the quicker way while DuckDB has the
// memory for it.
const READ_SORTED = (table: string) => `SELECT concat(group_key, chr(9),
    CAST(time AS VARCHAR), chr(9), CAST(rule AS VARCHAR), chr(9), uids, chr(9), value_texts)
  FROM ${table} WHERE correlation = $correlation ORDER BY group_key, time, seq`;

/**
 * Yields the lines of `sortedOccurrenceLines` from one query that sorts them all. Raises
 * DuckDB's out-of-memory error, or `IncompleteStreamError` when DuckDB ended the sort early,
 * where the caller can read them with `sortedOccurrenceLines` instead.
 */
export async function* occurrenceLinesAtOnce(
  connection: DuckDBConnection,
  table: string,
  correlation: number,
): AsyncGenerator<string> {
  const read = (result: DuckDBResult) => result.yieldRowsJs();
  const count = `SELECT 1 FROM ${table} WHERE correlation = $correlation`;
  const lines = checkedStream(
    connection,
    READ_SORTED(table),
    { correlation },
    read,
    OCCURRENCES,
    count,
  );
  for await (const rows of lines) {
    for (const [line] of rows) yield line as string;
  }
}

/**
 * Yields the occurrences of the correlation at `correlation` in `table`, sorted by group, time
 * and `seq`, as lines of `group_key`, `time`, `rule`, `uids` and `value_texts` separated by
 * tabs. Each query sorts at most `stretchBytes` of text, or one occurrence that is longer.
 */
export async function* sortedOccurrenceLines(
  connection: DuckDBConnection,
  table: string,
  correlation: number,
  stretchBytes = STRETCH_BYTES,
): AsyncGenerator<string> {
  await connection.run(NUMBER_GROUPS(table), { correlation });
  await connection.run(ORDER_OCCURRENCES(table), { correlation, stretchBytes });
  await connection.run(`DROP TABLE ${GROUP_TABLE}`);
  async function* read(): AsyncGenerator<string> {
    const reader = await connection.runAndReadAll(`SELECT max(stretch) FROM ${ORDER_TABLE}`);
    const last = reader.getRowsJS()[0]?.[0];
    const stretches = last === null || last === undefined ? 0 : Number(last) + 1;
    for (let stretch = 0; stretch < stretches; stretch++) {
      const params = { correlation, stretch };
      const read = (result: DuckDBResult) => result.yieldRowsJs();
      const count = `SELECT 1 FROM ${ORDER_TABLE} o JOIN ${table} t
        ON t.seq = o.seq AND t.correlation = $correlation WHERE o.stretch = $stretch`;
      const sql = READ_STRETCH(table);
      const lines = checkedStream(connection, sql, params, read, OCCURRENCES, count);
      for await (const rows of lines) {
        for (const [line] of rows) yield line as string;
      }
    }
  }
  yield* yieldWithCleanup(read(), () => connection.run(`DROP TABLE IF EXISTS ${ORDER_TABLE}`));
}
