/**
 * Runs a statement that parses the raw records of some events over ranges of their row ids, so
 * that what DuckDB parses at once stays bounded. DuckDB keeps what a JSON call parsed from a whole
 * vector of rows, so one statement over 5,000 CloudTrail records of 16 KB with lists ran out of
 * the case's 256 MB even when each record was parsed once (DuckDB 1.5).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import { eventsWithWholeRaw, hasSplitRecords } from './raw-parts.ts';

/** Raw record text of the events that one statement of `inRecordRanges` reads at most. */
export const RECORD_RANGE_BYTES = 8 * 1024 * 1024;

const ROWS = 'temp.record_range_rows';

/**
 * Runs `statement` once per range of the events that `where` selects, each range with at most
 * RECORD_RANGE_BYTES of their raw records unless one record alone is larger. `statement` gets
 * the SQL of the range's events as a subquery, with `raw` whole where it is stored in parts.
 */
export async function inRecordRanges(
  connection: DuckDBConnection,
  where: string,
  statement: (events: string) => string,
): Promise<void> {
  const split = await hasSplitRecords(connection);
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${ROWS.slice(5)} AS
    SELECT rowid AS row_id, coalesce(strlen(raw), 0) + 1 AS size FROM events WHERE ${where}`);
  await withCleanup(
    async () => {
      const reader = await connection.runAndReadAll(
        `SELECT min(row_id) AS low, max(row_id) AS high FROM (
           SELECT row_id, (sum(size) OVER (ORDER BY row_id) - 1) // ${RECORD_RANGE_BYTES} AS part
           FROM ${ROWS})
         GROUP BY part ORDER BY low`,
      );
      for (const row of reader.getRowObjectsJS()) {
        const [low, high] = [BigInt(row.low as bigint), BigInt(row.high as bigint)];
        const inRange = `rowid BETWEEN ${low} AND ${high}
          AND rowid IN (SELECT row_id FROM ${ROWS} WHERE row_id BETWEEN ${low} AND ${high})`;
        const events = split
          ? eventsWithWholeRaw(inRange)
          : `(SELECT * FROM events WHERE ${inRange})`;
        await connection.run(statement(events));
      }
    },
    () => connection.run(`DROP TABLE IF EXISTS ${ROWS}`),
  );
}
