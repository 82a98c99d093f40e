/**
 * Runs a statement that parses the raw records of some events over ranges of their row ids, so
 * that what DuckDB parses at once stays bounded. DuckDB keeps what a JSON call parsed from a
 * whole vector of rows. So one statement over 5,000 CloudTrail records of 16 KB with lists ran
 * out of the case's 256 MB even when each record was parsed once (DuckDB 1.5).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { rowRanges } from '../detect/sigma-sql/row-ranges.ts';
import { eventsWithWholeRaw, hasSplitRecords } from './raw-parts.ts';

/** Maximum bytes of raw records that one statement of `inRecordRanges` reads. */
export const RECORD_RANGE_BYTES = 8 * 1024 * 1024;

/**
 * Runs `statement` once per range of the events that `where` selects. Each range has at most
 * RECORD_RANGE_BYTES of their raw records, unless one record alone is larger. `statement` gets
 * the SQL of the range's events as a subquery, with `raw` whole where it is stored in parts.
 */
export async function inRecordRanges(
  connection: DuckDBConnection,
  where: string,
  statement: (events: string) => string,
): Promise<void> {
  const split = await hasSplitRecords(connection);
  const ranges = await rowRanges(connection, 'events', RECORD_RANGE_BYTES, 'total', where);
  for (const { low, high } of ranges) {
    const inRange = `rowid BETWEEN ${low} AND ${high} AND (${where})`;
    const events = split ? eventsWithWholeRaw(inRange) : `(SELECT * FROM events WHERE ${inRange})`;
    await connection.run(statement(events));
  }
}
