/**
 * Entity extraction: set-based SQL over the whole `events` table that fills `entities` and
 * `credentials` again from scratch, so running it after each ingest keeps them current.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  CREATED_KEY_SQL,
  IDENTITY_KIND_SQL,
  IP_KIND_SQL,
  KEY_CREATING_IN,
  PERSON_SQL,
  ROLE_OF_SESSION_SQL,
  SOURCE_SQL,
} from './sql.ts';

const IDENTITIES = `INSERT INTO entities
WITH actors AS (
  SELECT actor_uid AS uid, any_value(actor_type) AS t, mode(actor_name) AS name,
    min(time) AS first_seen, max(time) AS last_seen, count(*) AS events,
    list(DISTINCT source ORDER BY source) AS sources
  FROM events WHERE actor_uid IS NOT NULL GROUP BY actor_uid
),
sessions AS (SELECT * FROM actors WHERE uid LIKE 'arn:aws%:sts::%:assumed-role/%/%'),
roles AS (
  SELECT ${ROLE_OF_SESSION_SQL} AS uid, 'Role' AS t,
    regexp_extract(uid, 'assumed-role/([^/]+)/', 1) AS name,
    min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(events) AS events,
    list_sort(list_distinct(flatten(list(sources)))) AS sources
  FROM sessions GROUP BY ALL
),
every AS (
  SELECT * FROM actors
  UNION ALL SELECT * FROM roles WHERE uid NOT IN (SELECT uid FROM actors)
)
SELECT 'identity', uid, ${IDENTITY_KIND_SQL}, name, ${PERSON_SQL},
  first_seen, last_seen, events, sources
FROM every`;

const KEYS = `INSERT INTO entities
SELECT 'access_key', actor_access_key,
  CASE WHEN starts_with(actor_access_key, 'AKIA') THEN 'long_term'
    WHEN starts_with(actor_access_key, 'ASIA') THEN 'temporary' ELSE 'other' END,
  mode(actor_uid), NULL, min(time), max(time), count(*), list(DISTINCT source ORDER BY source)
FROM events WHERE actor_access_key IS NOT NULL GROUP BY actor_access_key`;

const IPS = `INSERT INTO entities
WITH ends AS (
  SELECT src_ip AS ip, time, source FROM events WHERE src_ip IS NOT NULL
  UNION ALL SELECT dst_ip, time, source FROM events WHERE dst_ip IS NOT NULL
)
SELECT 'ip', ip, ${IP_KIND_SQL}, NULL, NULL, min(time), max(time), count(*),
  list(DISTINCT source ORDER BY source)
FROM ends GROUP BY ip`;

const AGENTS = `INSERT INTO entities
SELECT 'user_agent', user_agent, 'user_agent', NULL, NULL, min(time), max(time), count(*),
  list(DISTINCT source ORDER BY source)
FROM events WHERE user_agent IS NOT NULL AND user_agent <> '' GROUP BY user_agent`;

const RESOURCES = `INSERT INTO entities
WITH touched AS (
  SELECT unnest(json_transform(resources, '[{"uid":"VARCHAR","type":"VARCHAR"}]')) AS r,
    time, source
  FROM events WHERE resources IS NOT NULL AND resources <> '[]'
)
SELECT 'resource', r.uid, coalesce(r.type, 'resource'), NULL, NULL, min(time), max(time),
  count(*), list(DISTINCT source ORDER BY source)
FROM touched WHERE r.uid IS NOT NULL GROUP BY r.uid, r.type`;

// A console session's key has no creating call in the log; its events carry the session's
// creation time instead, which is within seconds of the sign-in that began it.
const CREDENTIALS = `INSERT INTO credentials
WITH used AS (
  SELECT actor_access_key AS access_key, mode(actor_uid) AS principal,
    min(time) AS first_seen, max(time) AS last_seen, count(*) AS events,
    arg_min(actor_uid, time) AS first_actor,
    arg_min(try_cast(json_extract_string(raw,
      '$.userIdentity.sessionContext.attributes.creationDate') AS TIMESTAMP), time) AS created
  FROM events WHERE actor_access_key IS NOT NULL GROUP BY actor_access_key
),
created AS (
  SELECT ${CREATED_KEY_SQL} AS access_key, uid, api_operation, time, actor_uid,
    actor_access_key, ${SOURCE_SQL} AS src
  FROM events WHERE api_operation IN ${KEY_CREATING_IN} AND status = 'success'
),
origin AS (
  SELECT * FROM created WHERE access_key IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY access_key ORDER BY time, uid) = 1
),
logins AS (
  SELECT uid, time, actor_uid, actor_access_key, ${SOURCE_SQL} AS src
  FROM events WHERE api_operation = 'ConsoleLogin' AND status = 'success'
),
console AS (
  SELECT u.access_key, l.uid, 'ConsoleLogin' AS api_operation, l.time, l.actor_uid,
    l.actor_access_key, l.src
  FROM used u JOIN logins l ON l.actor_uid = u.first_actor
    AND l.time BETWEEN u.created - INTERVAL 5 MINUTE AND u.created + INTERVAL 5 MINUTE
  WHERE starts_with(u.access_key, 'ASIA')
    AND u.access_key NOT IN (SELECT access_key FROM origin)
  QUALIFY row_number() OVER (PARTITION BY u.access_key
    ORDER BY abs(epoch_ms(l.time) - epoch_ms(u.created)), l.uid) = 1
),
origins AS (SELECT * FROM origin UNION ALL SELECT * FROM console)
SELECT coalesce(u.access_key, o.access_key),
  CASE WHEN starts_with(coalesce(u.access_key, o.access_key), 'AKIA') THEN 'long_term'
    WHEN starts_with(coalesce(u.access_key, o.access_key), 'ASIA') THEN 'temporary'
    ELSE 'other' END,
  u.principal, coalesce(u.first_seen, o.time), coalesce(u.last_seen, o.time),
  coalesce(u.events, 0), o.uid, o.api_operation, o.time, o.actor_uid, o.actor_access_key, o.src
FROM used u FULL JOIN origins o ON o.access_key = u.access_key`;

/** Statements of one extraction, in order. */
const STATEMENTS = [
  'DELETE FROM entities',
  'DELETE FROM credentials',
  IDENTITIES,
  KEYS,
  IPS,
  AGENTS,
  RESOURCES,
  CREDENTIALS,
];

/** Counts of what `extractEntities` stored. */
export interface EntityCounts {
  entities: number;
  credentials: number;
}

/**
 * Fills `entities` and `credentials` from every event of the case, in one transaction, on a
 * writable connection that no other statement uses meanwhile.
 */
export async function extractEntities(connection: DuckDBConnection): Promise<EntityCounts> {
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const statement of STATEMENTS) await connection.run(statement);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
  const reader = await connection.runAndReadAll(
    'SELECT (SELECT count(*) FROM entities) AS e, (SELECT count(*) FROM credentials) AS c',
  );
  const row = reader.getRowObjectsJS()[0] ?? {};

  return { entities: Number(row.e ?? 0), credentials: Number(row.c ?? 0) };
}
