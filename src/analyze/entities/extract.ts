/**
 * Entity extraction: set-based SQL over the whole `events` table that fills `entities` and
 * `credentials` again from scratch, so running it after each ingest keeps them current.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { eventsFoldSql } from '../../store/events-fold.ts';
import { inRecordRanges } from '../../store/record-ranges.ts';
import { inTransaction } from '../../store/transaction.ts';
import { TIME_THEN_UID } from '../sql-values.ts';
import {
  CREATED_KEY_SQL,
  CREATED_PRINCIPAL_SQL,
  IDENTITY_KIND_SQL,
  IP_KIND_SQL,
  ISSUED_FIELDS_SQL,
  KEY_CREATING_IN,
  PERSON_SQL,
  PRINCIPAL_CREATING_IN,
  ROLE_OF_SESSION_SQL,
  SESSION_CREATED_SQL,
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

const TOUCHED = `touched AS (
  SELECT unnest(json_transform(resources, '[{"uid":"VARCHAR","type":"VARCHAR"}]')) AS r,
    time, source
  FROM events WHERE resources IS NOT NULL AND resources <> '[]'
)`;

/** Sources a case may have for `RESOURCES` to use one bit of a UHUGEINT per source. */
export const RESOURCE_MASK_SOURCES = 128;

// S3 data events name a new object in almost every event, so a case has about as many resources
// as events, and the aggregate per resource must spill to disk. A list aggregate's state cannot
// spill (DuckDB 1.5), so each resource's sources are folded into a bit mask, one bit per
// position in the sorted list of the case's sources, and listed from it afterwards. Grouping by
// resource and source first, and min and max over the source text, each cost about twice the
// CPU of this.
const RESOURCES = `INSERT INTO entities
WITH names AS (SELECT list(DISTINCT source ORDER BY source) AS sources FROM events),
${TOUCHED},
per_resource AS (
  SELECT t.r.uid AS uid, t.r.type AS type, min(t.time) AS first_seen, max(t.time) AS last_seen,
    count(*) AS events,
    bit_or(1::UHUGEINT << (list_position(n.sources, t.source) - 1)::UHUGEINT) AS mask
  FROM touched t, names n WHERE t.r.uid IS NOT NULL GROUP BY ALL
)
SELECT 'resource', r.uid, coalesce(r.type, 'resource'), NULL, NULL, r.first_seen, r.last_seen,
  r.events,
  list_filter(n.sources, lambda s, i: ((r.mask >> (i - 1)::UHUGEINT) & 1::UHUGEINT) = 1)
FROM per_resource r, names n`;

// For a case with more sources than the mask can contain. Grouped by source first: one row per
// resource and source costs far less than a DISTINCT list aggregate over each resource. Lists
// are built only for resources seen in three or more sources. The list of one or two sources
// is their min and max, which spill like any aggregate.
const RESOURCES_MANY_SOURCES = `INSERT INTO entities
WITH ${TOUCHED},
per_source AS (
  SELECT r.uid AS uid, r.type AS type, source, min(time) AS first_seen, max(time) AS last_seen,
    count(*) AS events
  FROM touched WHERE r.uid IS NOT NULL GROUP BY ALL
),
per_resource AS (
  SELECT uid, type, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
    sum(events) AS events, min(source) AS low, max(source) AS high, count(*) AS sources
  FROM per_source GROUP BY uid, type
),
many AS (
  SELECT s.uid, s.type, list_sort(list(s.source)) AS sources
  FROM per_source s SEMI JOIN per_resource r ON r.sources >= 3 AND r.uid = s.uid
    AND r.type IS NOT DISTINCT FROM s.type
  GROUP BY s.uid, s.type
)
SELECT 'resource', r.uid, coalesce(r.type, 'resource'), NULL, NULL, r.first_seen, r.last_seen,
  r.events, CASE r.sources WHEN 1 THEN [r.low] WHEN 2 THEN [r.low, r.high] ELSE m.sources END
FROM per_resource r LEFT JOIN many m ON m.uid = r.uid AND m.type IS NOT DISTINCT FROM r.type`;

const KEY_USE = `CREATE OR REPLACE TEMP TABLE entity_key_use AS
SELECT actor_access_key AS access_key, mode(actor_uid) AS principal,
  min(time) AS first_seen, max(time) AS last_seen, count(*) AS events,
  arg_min(actor_uid, ${TIME_THEN_UID}) AS first_actor,
  arg_min(uid, ${TIME_THEN_UID}) AS first_uid
FROM events WHERE actor_access_key IS NOT NULL GROUP BY actor_access_key`;

// The one pass over the original records. Reading `raw` costs about as much as scanning all of
// it, so every field taken from it is taken here: what each creating call returned, and the
// session creation time on the first event of each temporary key.
const ISSUED_WHERE = `(status = 'success' AND (api_operation IN ${KEY_CREATING_IN}
    OR api_operation IN ${PRINCIPAL_CREATING_IN}))
  OR uid IN (SELECT first_uid FROM entity_key_use WHERE starts_with(access_key, 'ASIA'))`;

/**
 * Fills `entity_issued` from the events of ISSUED_WHERE, a bounded amount of their records at a
 * time (see `inRecordRanges`).
 */
async function fillIssued(connection: DuckDBConnection): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE entity_issued (uid VARCHAR, time TIMESTAMP,
    api_operation VARCHAR, actor_uid VARCHAR, actor_access_key VARCHAR, src VARCHAR,
    created_key VARCHAR, created_principal VARCHAR, session_created TIMESTAMP)`);
  await inRecordRanges(
    connection,
    ISSUED_WHERE,
    (events) => `INSERT INTO entity_issued
SELECT uid, time, api_operation, actor_uid, actor_access_key, src,
  CASE WHEN api_operation IN ${KEY_CREATING_IN} THEN ${CREATED_KEY_SQL} END,
  CASE WHEN api_operation IN ${PRINCIPAL_CREATING_IN} THEN ${CREATED_PRINCIPAL_SQL} END,
  ${SESSION_CREATED_SQL}
FROM (SELECT uid, time, api_operation, actor_uid, actor_access_key, cloud_account,
    ${SOURCE_SQL} AS src, ${ISSUED_FIELDS_SQL} AS fields
  FROM ${events})`,
  );
}

// A console session's key has no creating call in the log. Its events carry the session's
// creation time instead, which is within seconds of the sign-in that began it.
const CREDENTIALS = `INSERT INTO credentials
WITH origin AS (
  SELECT created_key AS access_key, uid, api_operation, time, actor_uid, actor_access_key, src
  FROM entity_issued WHERE created_key IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY created_key ORDER BY time, uid) = 1
),
session_starts AS (
  SELECT u.access_key, u.first_actor, i.session_created AS created
  FROM entity_key_use u JOIN entity_issued i ON i.uid = u.first_uid
  WHERE starts_with(u.access_key, 'ASIA') AND u.access_key NOT IN (SELECT access_key FROM origin)
),
logins AS (
  SELECT uid, time, actor_uid, actor_access_key, ${SOURCE_SQL} AS src
  FROM events WHERE api_operation = 'ConsoleLogin' AND status = 'success'
),
console AS (
  SELECT u.access_key, l.uid, 'ConsoleLogin' AS api_operation, l.time, l.actor_uid,
    l.actor_access_key, l.src
  FROM session_starts u JOIN logins l ON l.actor_uid = u.first_actor
    AND l.time BETWEEN u.created - INTERVAL 5 MINUTE AND u.created + INTERVAL 5 MINUTE
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
FROM entity_key_use u FULL JOIN origins o ON o.access_key = u.access_key`;

const PRINCIPALS = `INSERT INTO created_principals
SELECT created_principal, uid, api_operation, time FROM entity_issued
WHERE created_principal IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY created_principal ORDER BY time, uid) = 1`;

/** Statements of one extraction before `fillIssued`; `resources` is the statement for resources. */
const statementsBefore = (resources: string) => [
  'DELETE FROM entities',
  'DELETE FROM credentials',
  'DELETE FROM created_principals',
  IDENTITIES,
  KEYS,
  IPS,
  AGENTS,
  resources,
  KEY_USE,
];

/** Statements of one extraction after `fillIssued`. */
const statementsAfter = () => [
  CREDENTIALS,
  PRINCIPALS,
  'DROP TABLE entity_key_use',
  'DROP TABLE entity_issued',
  'DELETE FROM entity_source',
  `INSERT INTO entity_source SELECT ${EXTRACTION_VERSION}, ${EVENTS_FOLD} FROM events`,
];

/**
 * The version of what extraction computes. A case whose entities were extracted by another
 * version has them extracted again by `hunt`.
 */
const EXTRACTION_VERSION = 1;

// The count of events and a fold of their uids' hashes: 0.1 CPU s for a million events.
const EVENTS_FOLD = eventsFoldSql();

/**
 * Tells whether the entity tables were extracted, by this version, from the events the case
 * contains now. Only an ingest adds events or sets them aside, and it extracts entities again
 * when it ends, so this is false after an ingest that stopped before that.
 */
export async function entitiesAreCurrent(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM entity_source s, (SELECT ${EVENTS_FOLD} FROM events) e(events, uids)
     WHERE s.version = ${EXTRACTION_VERSION} AND s.events = e.events
       AND s.uids IS NOT DISTINCT FROM e.uids`,
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0) === 1;
}

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
  await inTransaction(connection, async () => {
    const counted = await connection.runAndReadAll(
      'SELECT count(DISTINCT source)::INTEGER AS n FROM events',
    );
    const sources = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
    const resources = sources <= RESOURCE_MASK_SOURCES ? RESOURCES : RESOURCES_MANY_SOURCES;
    for (const statement of statementsBefore(resources)) await connection.run(statement);
    await fillIssued(connection);
    for (const statement of statementsAfter()) await connection.run(statement);
  });
  const reader = await connection.runAndReadAll(
    'SELECT (SELECT count(*) FROM entities) AS e, (SELECT count(*) FROM credentials) AS c',
  );
  const row = reader.getRowObjectsJS()[0] ?? {};

  return { entities: Number(row.e ?? 0), credentials: Number(row.c ?? 0) };
}
