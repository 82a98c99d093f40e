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

/** One event whose raw record is stored in parts. */
interface SplitEvent {
  row: bigint;
  uid: string;
  size: number;
}

/**
 * Lists the events whose raw record is stored in parts, in row order, in groups of about
 * `bytes` of records each (at least one event a group).
 */
export async function splitEventGroups(
  connection: DuckDBConnection,
  bytes: number,
): Promise<SplitEvent[][]> {
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
    if (group.length > 0 && size + event.size > bytes) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(event);
    size += event.size;
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
