/**
 * Events whose actor contains a text past the part of it that the actor columns keep. A column
 * keeps the first 16,256 code units of a longer value (see `shortenedText`), so a substring
 * search of the column misses text after them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { MAX_COLUMN_LENGTH } from '../store/event-row.ts';
import { renormalizeEvents } from './renormalize.ts';

/**
 * Shortest column value that may be shortened: the kept start is 128 code units under
 * `MAX_COLUMN_LENGTH`, and the length and digest that follow it are more. `strlen` counts
 * bytes, at least as many as code units, so no shortened value is left out.
 */
const SHORTENED_MIN_LENGTH = MAX_COLUMN_LENGTH - 128;

const CANDIDATES = 'timeline_long_actors';

/**
 * Lists the uids of the events whose actor uid or name contains `text`, ignoring case, only
 * past the start that its column keeps. Only events with such a long actor are normalized
 * again from their raw records, `RAW_READ_RECORDS` at a time, so the cost grows with them.
 */
export async function actorsPastCut(connection: DuckDBConnection, text: string): Promise<string[]> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${CANDIDATES} AS
     SELECT rowid AS event_row FROM events
     WHERE (strlen(actor_uid) >= ${SHORTENED_MIN_LENGTH}
         OR strlen(actor_name) >= ${SHORTENED_MIN_LENGTH})
       AND NOT coalesce(contains(lower(actor_uid), lower($actor))
         OR contains(lower(actor_name), lower($actor)), FALSE)
     ORDER BY rowid`,
    { actor: text },
  );
  const needle = text.toLowerCase();
  const found: string[] = [];
  try {
    await renormalizeEvents(connection, CANDIDATES, (event) => {
      const { uid, name } = event.actor;
      if (uid?.toLowerCase().includes(needle) || name?.toLowerCase().includes(needle)) {
        found.push(event.uid);
      }
    });
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${CANDIDATES}`);
  }
  return found;
}
