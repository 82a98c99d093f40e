/**
 * Transitive expansion of a scope: keys and principals that in-scope calls created are the
 * attacker's from their creation on, so all of their events join the scope, and what those
 * events create joins in turn, until nothing new appears.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CreatedGrant } from './types.ts';
import { iso, rows } from './values.ts';

/** Rounds of expansion at most; each round follows one more generation of created access. */
const MAX_ROUNDS = 16;

// Entity extraction recorded which call created each key and principal, so following them
// reads those small tables, never the original records.
const GRANTS = `INSERT INTO scope_grants
SELECT * FROM (
  SELECT 'key' AS kind, access_key AS value, origin_time AS since, origin_operation, origin_uid
  FROM credentials WHERE origin_uid IN (SELECT uid FROM scope_events)
  UNION ALL
  SELECT 'principal', principal, origin_time, origin_operation, origin_uid
  FROM created_principals WHERE origin_uid IN (SELECT uid FROM scope_events)
) created
WHERE (kind, value) NOT IN (SELECT (kind, value) FROM scope_grants)`;

const FOLLOW = `INSERT INTO scope_events
SELECT e.uid FROM events e
WHERE (e.actor_access_key IN (SELECT value FROM scope_grants WHERE kind = 'key')
    OR EXISTS (SELECT 1 FROM scope_grants g
      WHERE g.kind = 'principal' AND g.value = e.actor_uid AND e.time >= g.since))
  AND e.uid NOT IN (SELECT uid FROM scope_events)`;

/** Follows created keys and principals from `scope_events` until the scope stops growing. */
export async function expandScope(connection: DuckDBConnection): Promise<CreatedGrant[]> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE scope_grants (
    kind VARCHAR, value VARCHAR, since TIMESTAMP, operation VARCHAR, event_uid VARCHAR)`);
  let size = await count(connection, 'scope_events');
  let grants = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await connection.run(GRANTS);
    const grown = await count(connection, 'scope_grants');
    if (grown === grants) break;
    grants = grown;
    await connection.run(FOLLOW);
    const next = await count(connection, 'scope_events');
    if (next === size) break;
    size = next;
  }

  const found = await rows(
    connection,
    `SELECT kind, value, epoch_ms(since) AS t, operation, event_uid FROM scope_grants
     ORDER BY since, kind, value`,
  );
  return found.map((row) => ({
    kind: row.kind === 'key' ? 'key' : 'principal',
    value: String(row.value),
    created_at: iso(row.t),
    operation: String(row.operation),
    event_uid: String(row.event_uid),
  }));
}

async function count(connection: DuckDBConnection, table: string): Promise<number> {
  const [row] = await rows(connection, `SELECT count(*) AS n FROM ${table}`);
  return Number(row?.n ?? 0);
}
