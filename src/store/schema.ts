/**
 * The DDL of `case.duckdb`. Every statement is idempotent, so opening an existing case runs them
 * all again without harm; a later schema change adds statements here rather than editing one.
 */

import { ENTITY_SCHEMA } from '../analyze/entities/schema.ts';
import { BASELINE_SCHEMA } from '../baseline/schema.ts';
import { COPIES_SCHEMA } from './copies-record.ts';
import { EVENT_COLUMNS } from './event-row.ts';
import { RAW_PARTS_SCHEMA } from './raw-parts.ts';

const eventColumns = EVENT_COLUMNS.map((c) => `${c.name} ${c.sql}`).join(',\n  ');

/** The statements that create every table and index a case uses. */
export const SCHEMA: readonly string[] = [
  // No primary key: maintaining a unique index over millions of uids halved the insert rate.
  // Ingest state makes each stream's events be stored once instead: a complete stream is never
  // read again, and a stream left partial loses its rows before it is read again.
  `CREATE TABLE IF NOT EXISTS events (
  ${eventColumns}
)`,
  // Cases created before the provider's record id was stored gain it as the last column, where
  // EVENT_COLUMNS puts it for new cases, so the appender's column order holds for both.
  'ALTER TABLE events ADD COLUMN IF NOT EXISTS metadata_uid VARCHAR',
  // The key of a raw record stored in parts, added after `metadata_uid` as EVENT_COLUMNS puts
  // it. Records stored in parts before it get keys when the schema has run (see raw-parts.ts).
  'ALTER TABLE events ADD COLUMN IF NOT EXISTS raw_key BIGINT',
  // Raw records too long for one value of `raw`, whose events rows have `raw` NULL.
  RAW_PARTS_SCHEMA,
  'ALTER TABLE event_raw_parts ADD COLUMN IF NOT EXISTS raw_key BIGINT',
  // Later copies of events read from two files (see duplicates.ts).
  `CREATE TABLE IF NOT EXISTS duplicate_events (
  duplicate_of VARCHAR NOT NULL,
  ${eventColumns}
)`,
  // duplicates.ts names the columns it moves, so the added column's place does not matter.
  'ALTER TABLE duplicate_events ADD COLUMN IF NOT EXISTS raw_key BIGINT',
  `CREATE TABLE IF NOT EXISTS rejected (
  path VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  member VARCHAR,
  record BIGINT NOT NULL,
  "offset" BIGINT NOT NULL,
  line BIGINT NOT NULL,
  code VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  sample VARCHAR NOT NULL
)`,
  // hit_id is NULL for a single-event match and names the correlation hit otherwise.
  `CREATE TABLE IF NOT EXISTS detections (
  rule_id VARCHAR NOT NULL,
  event_uid VARCHAR NOT NULL,
  time TIMESTAMP NOT NULL,
  hit_id VARCHAR
)`,
  // Cases made before this version had an index on `event_uid`. DuckDB used it only to look up
  // one event's detections, which a scan of the column does in milliseconds. Keeping it up to
  // date took half a second and 33 MiB of memory per 858,000 detections stored by a hunt.
  'DROP INDEX IF EXISTS detections_event',
  // Why a single-event rule matched: the fields and values (DetectionExplanation), bounded in
  // size. NULL for correlation members and for detections stored before it was kept.
  'ALTER TABLE detections ADD COLUMN IF NOT EXISTS explanation JSON',
  `CREATE TABLE IF NOT EXISTS correlation_hits (
  hit_id VARCHAR PRIMARY KEY,
  rule_id VARCHAR NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  group_by JSON NOT NULL,
  event_count INTEGER NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS rules (
  id VARCHAR PRIMARY KEY,
  title VARCHAR NOT NULL,
  level VARCHAR NOT NULL,
  description VARCHAR NOT NULL,
  tactics VARCHAR[] NOT NULL,
  techniques VARCHAR[] NOT NULL,
  tags VARCHAR[] NOT NULL,
  falsepositives VARCHAR[] NOT NULL,
  file VARCHAR NOT NULL
)`,
  // The single-event rules a hunt ran, as the loaded model (filters applied) in JSON, with the
  // placeholder values it ran with, so that the workbench can explain a match whose detection
  // was stored without an explanation.
  `CREATE TABLE IF NOT EXISTS rule_models (
  id VARCHAR PRIMARY KEY,
  model VARCHAR NOT NULL,
  placeholders VARCHAR NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS ingests (
  sha256 VARCHAR NOT NULL,
  member VARCHAR,
  path VARCHAR NOT NULL,
  format VARCHAR,
  state VARCHAR NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  records_read BIGINT,
  records_stored BIGINT,
  records_rejected BIGINT
)`,
  // The latest gap analysis (missing, stopped or tampered logs) as one JSON document.
  `CREATE TABLE IF NOT EXISTS gap_reports (
  generated_at TIMESTAMP NOT NULL,
  report JSON NOT NULL
)`,
  // Threat intel files matched against the case, with what each held and what could not be read.
  `CREATE TABLE IF NOT EXISTS intel_sources (
  file VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  indicators INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  problems JSON NOT NULL,
  loaded_at TIMESTAMP NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS audit (
  time TIMESTAMP NOT NULL,
  actor VARCHAR NOT NULL,
  command VARCHAR NOT NULL,
  details JSON NOT NULL
)`,
  ...BASELINE_SCHEMA,
  // Analyst marks from the workbench: kind is 'tag', 'star' or 'comment'; a star's value is ''.
  `CREATE TABLE IF NOT EXISTS event_marks (
  event_uid VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  value VARCHAR NOT NULL,
  actor VARCHAR NOT NULL,
  time TIMESTAMP NOT NULL
)`,
  'CREATE INDEX IF NOT EXISTS event_marks_event ON event_marks (event_uid)',
  `CREATE TABLE IF NOT EXISTS saved_searches (
  name VARCHAR PRIMARY KEY,
  query VARCHAR NOT NULL,
  actor VARCHAR NOT NULL,
  time TIMESTAMP NOT NULL
)`,
  ...ENTITY_SCHEMA,
  ...COPIES_SCHEMA,
];
