/**
 * Events read twice: the same provider record delivered in two evidence files, such as a
 * CloudTrail S3 delivery file and a `lookup-events` export covering the same hour. Two events are
 * copies when they have the same source, `metadata_uid` and time and the same `COPY_FIELDS`.
 * The id alone is not enough, because test data and hand-made logs reuse ids such as "1" for
 * different activity. A record that reused another's id with another actor or address would
 * then be hidden from the timeline and the detections. The first copy, in evidence order, stays
 * on the timeline. Later copies move to `duplicate_events` with the uid of the copy they repeat,
 * so nothing read is lost and every count of activity counts the activity once.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENT_COLUMNS } from './event-row.ts';

const COLUMNS = EVENT_COLUMNS.map((c) => c.name).join(', ');

/**
 * Columns besides the source, id and time that two copies of one record share. A second file of
 * the same records, whatever its shape, normalizes to the same values.
 */
const COPY_FIELDS = [
  'api_operation',
  'actor_uid',
  'actor_access_key',
  'src_ip',
  'src_domain',
  'user_agent',
  'status',
] as const;

/**
 * Moves every later copy of an event to `duplicate_events`, with its detections removed, and
 * returns how many moved. The caller runs this inside a transaction.
 */
export async function setAsideDuplicates(connection: DuckDBConnection): Promise<number> {
  // Grouping first keeps the sort to the few events that have copies.
  await connection.run(`CREATE OR REPLACE TEMP TABLE duplicate_moves AS
    WITH repeated AS (
      SELECT source, metadata_uid, time FROM events
      WHERE metadata_uid IS NOT NULL
      GROUP BY ALL HAVING count(*) > 1
    ),
    copies AS (
      -- PARTITION BY puts NULLs together, so two copies without an address are one group.
      SELECT uid, first_value(uid) OVER (
        PARTITION BY source, metadata_uid, time, ${COPY_FIELDS.join(', ')}
        ORDER BY evidence_sha256, evidence_member NULLS FIRST, evidence_record
      ) AS kept
      FROM events
      JOIN repeated USING (source, metadata_uid, time)
    )
    SELECT uid, kept FROM copies WHERE uid <> kept`);
  const reader = await connection.runAndReadAll('SELECT count(*) FROM duplicate_moves');
  const moved = Number(reader.getRowsJS()[0]?.[0] ?? 0);
  if (moved > 0) {
    await connection.run(`INSERT INTO duplicate_events (duplicate_of, ${COLUMNS})
      SELECT m.kept, ${EVENT_COLUMNS.map((c) => `e.${c.name}`).join(', ')}
      FROM events e JOIN duplicate_moves m USING (uid)`);
    await connection.run(
      'DELETE FROM detections WHERE event_uid IN (SELECT uid FROM duplicate_moves)',
    );
    await connection.run('DELETE FROM events WHERE uid IN (SELECT uid FROM duplicate_moves)');
  }
  await connection.run('DROP TABLE duplicate_moves');

  return moved;
}
