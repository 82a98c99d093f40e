/**
 * Events whose raw record is stored in parts (see `store/raw-parts.ts`) have `raw` NULL in
 * `events`, so scans that read `events` cannot match them. A scan copies them with their whole
 * record into a temporary table of the columns of `events` and `event_row`, a group of bounded
 * size at a time, and runs its batches over that table too.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { hasRawParts, readRawTexts } from '../../store/raw-parts.ts';

/** The temporary table of one group of split events with their whole records. */
export const SPLIT_TABLE = 'temp.sigma_split_events';

/**
 * Memory that one group of split events may take in `SPLIT_TABLE`. DuckDB 1.5 keeps each string
 * over about 64 KiB in a buffer of at least one 256 KiB block, so such a record counts as at
 * least that much.
 */
export const SPLIT_GROUP_BYTES = 32 * 1024 * 1024;
const INLINE_BYTES = 64 * 1024;
const BLOCK_BYTES = 256 * 1024;

/** One event whose raw record is stored in parts. */
export interface SplitEvent {
  row: bigint;
  uid: string;
  size: number;
}

/**
 * Lists the events whose raw record is stored in parts, in row order, in groups that take about
 * `SPLIT_GROUP_BYTES` each (at least one event a group).
 */
export async function splitEventGroups(connection: DuckDBConnection): Promise<SplitEvent[][]> {
  if (!(await hasRawParts(connection))) return [];

  const reader = await connection.runAndReadAll(
    `SELECT e.rowid, e.uid, p.size FROM events e
     JOIN (SELECT uid, sum(strlen(text)) AS size FROM event_raw_parts GROUP BY uid) p
       ON p.uid = e.uid
     WHERE e.raw IS NULL ORDER BY e.rowid`,
  );
  const groups: SplitEvent[][] = [];
  let group: SplitEvent[] = [];
  let size = 0;
  for (const [row, uid, partSize] of reader.getRowsJS()) {
    const event = { row: BigInt(row as bigint), uid: String(uid), size: Number(partSize) };
    const cost = event.size > INLINE_BYTES ? Math.max(event.size, BLOCK_BYTES) : event.size;
    if (group.length > 0 && size + cost > SPLIT_GROUP_BYTES) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(event);
    size += cost;
  }
  if (group.length > 0) groups.push(group);

  return groups;
}

/** Fills `SPLIT_TABLE` with the events of `group`, each with its whole raw record. */
export async function copySplitEvents(
  connection: DuckDBConnection,
  group: readonly SplitEvent[],
): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${SPLIT_TABLE.slice(5)} AS
    SELECT *, rowid AS event_row FROM events LIMIT 0`);
  const texts = await readRawTexts(
    connection,
    group.map((event) => event.uid),
  );
  for (const event of group) {
    const raw = texts.get(event.uid) ?? null;
    await connection.run(
      `INSERT INTO ${SPLIT_TABLE}
       SELECT * REPLACE ($raw AS raw), rowid AS event_row FROM events WHERE rowid = $row`,
      { raw, row: event.row },
    );
  }
}

/**
 * Splits `group`, in row order, into ranges of event row ids with about `bytes` of records
 * each (at least one event a range).
 */
export function splitTableRanges(
  group: readonly SplitEvent[],
  bytes: number,
): { low: bigint; high: bigint }[] {
  const ranges: { low: bigint; high: bigint }[] = [];
  let first: SplitEvent | null = null;
  let last: SplitEvent | null = null;
  let size = 0;
  for (const event of group) {
    if (first !== null && last !== null && size + event.size > bytes) {
      ranges.push({ low: first.row, high: last.row });
      first = null;
      size = 0;
    }
    first ??= event;
    last = event;
    size += event.size;
  }
  if (first !== null && last !== null) ranges.push({ low: first.row, high: last.row });

  return ranges;
}

/**
 * Merges the rows of `matched` (event row and matched rule ids) of each split event into one
 * row with each rule id once, because a column scan may have matched the event before its
 * record was read.
 */
export async function mergeSplitMatches(
  connection: DuckDBConnection,
  matched: string,
  groups: readonly SplitEvent[][],
): Promise<void> {
  const rows = groups.flatMap((group) => group.map((event) => event.row));
  if (rows.length === 0) return;

  await connection.run('CREATE OR REPLACE TEMP TABLE sigma_split_rows (event_row BIGINT)');
  const appender = await connection.createAppender('sigma_split_rows', 'main', 'temp');
  for (const row of rows) {
    appender.appendBigInt(row);
    appender.endRow();
  }
  appender.closeSync();
  const split = 'SELECT event_row FROM temp.sigma_split_rows';
  await connection.run(`CREATE OR REPLACE TEMP TABLE sigma_split_matches AS
    SELECT event_row, list_distinct(flatten(list(rule_ids))) AS rule_ids FROM ${matched}
    WHERE event_row IN (${split}) GROUP BY event_row`);
  await connection.run(`DELETE FROM ${matched} WHERE event_row IN (${split})`);
  await connection.run(`INSERT INTO ${matched} SELECT * FROM temp.sigma_split_matches`);
  await connection.run('DROP TABLE temp.sigma_split_matches');
  await connection.run('DROP TABLE temp.sigma_split_rows');
}
