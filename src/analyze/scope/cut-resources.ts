/**
 * The events of a resource that their `resources` column no longer lists: the column keeps only
 * the resources that fit in 16,384 code units, so a long list loses the resources after them.
 */
import { type DuckDBConnection, DuckDBListValue } from '@duckdb/node-api';
import { MAX_COLUMN_LENGTH } from '../../store/event-row.ts';
import { SOURCE_SQL } from '../entities/sql.ts';
import { renormalizeEvents } from '../renormalize.ts';

/**
 * Shortest `resources` column that may hold a cut list. A cut list stops before the first
 * resource that would take it past `MAX_COLUMN_LENGTH`. That resource takes at most about
 * 12,400 code units, a uid and a type of 1,024 each that JSON escapes of control characters
 * make six times longer. Most lists are far shorter, so few events are read again.
 */
const CUT_LIST_MIN_LENGTH = MAX_COLUMN_LENGTH - 12_400;

const CANDIDATES = 'scope_cut_resources';

/**
 * Adds to the temporary table `scope_seed` the events whose raw record lists `resource` where
 * their `resources` column may have been cut, which `predicate` (the SQL that selected
 * `scope_seed`) did not select. Their records are normalized again, `RAW_READ_RECORDS` at a time.
 */
export async function seedCutResources(
  connection: DuckDBConnection,
  resource: string,
  predicate: { sql: string; params: Record<string, string> },
): Promise<void> {
  // strlen counts bytes, at least as many as code units, so no cut list is left out.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${CANDIDATES} AS
     SELECT rowid AS event_row FROM events
     WHERE strlen(resources) >= ${CUT_LIST_MIN_LENGTH} AND NOT coalesce(${predicate.sql}, FALSE)
     ORDER BY rowid`,
    predicate.params,
  );
  const found: string[] = [];
  await renormalizeEvents(connection, CANDIDATES, (event) => {
    if (event.resources.some((listed) => listed.uid === resource)) found.push(event.uid);
  });
  await connection.run(`DROP TABLE ${CANDIDATES}`);
  if (found.length === 0) return;

  await connection.run(
    `INSERT INTO scope_seed SELECT uid, time, status, ${SOURCE_SQL} AS src FROM events
     WHERE uid IN (SELECT unnest($uids))`,
    { uids: new DuckDBListValue(found) },
  );
}
