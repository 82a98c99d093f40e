/**
 * The tables that entity extraction fills: `entities` (identities, access keys, addresses, user
 * agents and resources with first seen, last seen and counts), `credentials` (each access key
 * with the call that created it, when the case contains that call) and `created_principals`.
 */

/** DDL of the entity tables; idempotent, so a case opened again keeps its rows. */
export const ENTITY_SCHEMA: readonly string[] = [
  // `person` is the lower-case email that links an identity to others of the same person, such
  // as an Entra UPN and an Identity Center role session named after the same address.
  `CREATE TABLE IF NOT EXISTS entities (
  type VARCHAR NOT NULL,
  value VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  name VARCHAR,
  person VARCHAR,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  events BIGINT NOT NULL,
  sources VARCHAR[] NOT NULL
)`,
  // origin_* describe the event that created the key: an STS call or CreateAccessKey whose
  // response carries the key id, or the console sign-in that began a console session.
  `CREATE TABLE IF NOT EXISTS credentials (
  access_key VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  principal VARCHAR,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  events BIGINT NOT NULL,
  origin_uid VARCHAR,
  origin_operation VARCHAR,
  origin_time TIMESTAMP,
  origin_actor VARCHAR,
  origin_key VARCHAR,
  origin_src VARCHAR
)`,
  // Users and federated users that a call created or gave a password, with that call.
  `CREATE TABLE IF NOT EXISTS created_principals (
  principal VARCHAR NOT NULL,
  origin_uid VARCHAR NOT NULL,
  origin_operation VARCHAR NOT NULL,
  origin_time TIMESTAMP NOT NULL
)`,
  // The events the tables above were extracted from: how many, and a fold of their uids, which
  // name each event by its evidence and record. One row, written with the extraction.
  `CREATE TABLE IF NOT EXISTS entity_source (
  version INTEGER NOT NULL,
  events BIGINT NOT NULL,
  uids UBIGINT
)`,
];
