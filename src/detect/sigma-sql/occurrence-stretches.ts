/**
 * Reads one correlation's spilled occurrences sorted by group, time and arrival, in stretches
 * of bounded text. DuckDB 1.5 ran out of the spill's 64 MB when it sorted wide rows in one
 * query: 70,000 occurrences whose uids held a 1,500-byte archive member name failed, while
 * 700,000 rows of 150 bytes sorted fine. So only the narrow sort key and each row's size are
 * sorted whole, and the wide rows are then read one stretch at a time.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** Maximum bytes of occurrence text per stretch, except a stretch of one longer occurrence. */
export const STRETCH_BYTES = 16 * 1024 * 1024;

const ORDER_TABLE = 'occurrence_order';

// Each occurrence gets its place in the order and the number of the stretch it starts in, from
// the bytes of the occurrences before it. Rows are read back by `seq`, which is unique within
// a correlation.
// NOTE: the group key is part of the sort, so one long group-by value in every occurrence can
// still fill DuckDB's memory the way long uids did.
const ORDER_OCCURRENCES = (table: string) => `CREATE OR REPLACE TABLE ${ORDER_TABLE} AS
  SELECT seq, row_number() OVER sorted AS position,
    (sum(bytes) OVER sorted - bytes) // $stretchBytes AS stretch
  FROM (SELECT seq, group_key, time,
      strlen(group_key) + strlen(uids) + coalesce(strlen(value_texts), 0) + 32 AS bytes
    FROM ${table} WHERE correlation = $correlation)
  WINDOW sorted AS (ORDER BY group_key, time, seq ROWS UNBOUNDED PRECEDING)`;

// Each occurrence is read back as one line of its fields, separated by tabs as in the spill
// file: reading the five columns cost about three times as much, at 0.5 microseconds a string
// value. DuckDB writes a DOUBLE as text that reads back as the same number.
const READ_STRETCH = (table: string) => `SELECT concat(group_key, chr(9),
    CAST(time AS VARCHAR), chr(9), CAST(rule AS VARCHAR), chr(9), uids, chr(9), value_texts)
  FROM ${ORDER_TABLE} o JOIN ${table} t ON t.seq = o.seq AND t.correlation = $correlation
  WHERE o.stretch = $stretch ORDER BY o.position`;

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
  await connection.run(ORDER_OCCURRENCES(table), { correlation, stretchBytes });
  try {
    const reader = await connection.runAndReadAll(`SELECT max(stretch) FROM ${ORDER_TABLE}`);
    const last = reader.getRowsJS()[0]?.[0];
    const stretches = last === null || last === undefined ? 0 : Number(last) + 1;
    for (let stretch = 0; stretch < stretches; stretch++) {
      const result = await connection.stream(READ_STRETCH(table), { correlation, stretch });
      for await (const rows of result.yieldRowsJs()) {
        for (const [line] of rows) yield line as string;
      }
    }
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${ORDER_TABLE}`);
  }
}
