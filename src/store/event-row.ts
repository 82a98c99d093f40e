/**
 * The one mapping between an `Event` and a row of the `events` table. Nested fields become flat
 * columns (`actor.uid` is `actor_uid`), so analysts and the Sigma SQL backend can query them
 * directly; `raw` and `resources` are JSON text and `tags` is a `VARCHAR[]`.
 */
import { DuckDBTimestampValue } from '@duckdb/node-api';
import { CloudcaseError } from '../core/errors.ts';
import type { Category, Event, Resource, Status } from '../core/event.ts';
import { jsonLine } from './json-line.ts';

/** One column of the `events` table: its SQL type and the value an event puts in it. */
interface EventColumn {
  name: string;
  sql: string;
  value: (event: Event) => unknown;
}

const column = (name: string, sql: string, value: (event: Event) => unknown): EventColumn => ({
  name,
  sql,
  value,
});

// Flow byte and packet counts are DOUBLE so that every JS number round-trips unchanged;
// integers stay exact up to 2^53.
function endpointColumns(side: 'src' | 'dst'): EventColumn[] {
  return [
    column(`${side}_ip`, 'VARCHAR', (e) => e[side].ip),
    column(`${side}_port`, 'INTEGER', (e) => e[side].port),
    column(`${side}_domain`, 'VARCHAR', (e) => e[side].domain),
    column(`${side}_bytes`, 'DOUBLE', (e) => e[side].bytes),
    column(`${side}_packets`, 'DOUBLE', (e) => e[side].packets),
  ];
}

/** Every column of the `events` table, in table order. */
export const EVENT_COLUMNS: readonly EventColumn[] = [
  column('uid', 'VARCHAR NOT NULL', (e) => e.uid),
  // Staged as epoch milliseconds and converted in SQL: cheaper than parsing ISO text there.
  column('time', 'TIMESTAMP NOT NULL', (e) => epochMillis(e)),
  column('source', 'VARCHAR NOT NULL', (e) => e.source),
  column('category', 'VARCHAR NOT NULL', (e) => e.category),
  column('class_uid', 'INTEGER', (e) => e.class_uid),
  column('class_name', 'VARCHAR', (e) => e.class_name),
  column('activity', 'VARCHAR', (e) => e.activity),
  column('status', 'VARCHAR', (e) => e.status),
  column('status_detail', 'VARCHAR', (e) => e.status_detail),
  column('actor_uid', 'VARCHAR', (e) => e.actor.uid),
  column('actor_name', 'VARCHAR', (e) => e.actor.name),
  column('actor_type', 'VARCHAR', (e) => e.actor.type),
  column('actor_session', 'VARCHAR', (e) => e.actor.session),
  column('actor_access_key', 'VARCHAR', (e) => e.actor.access_key),
  column('actor_mfa', 'BOOLEAN', (e) => e.actor.mfa),
  column('actor_account', 'VARCHAR', (e) => e.actor.account),
  column('actor_invoked_by', 'VARCHAR', (e) => e.actor.invoked_by),
  ...endpointColumns('src'),
  ...endpointColumns('dst'),
  column('user_agent', 'VARCHAR', (e) => e.user_agent),
  column('cloud_provider', 'VARCHAR', (e) => e.cloud.provider),
  column('cloud_account', 'VARCHAR', (e) => e.cloud.account),
  column('cloud_region', 'VARCHAR', (e) => e.cloud.region),
  column('api_service', 'VARCHAR', (e) => e.api.service),
  column('api_operation', 'VARCHAR', (e) => e.api.operation),
  column('api_request_id', 'VARCHAR', (e) => e.api.request_id),
  column('api_read_only', 'BOOLEAN', (e) => e.api.read_only),
  column('resources', 'JSON', (e) => e.resources),
  column('message', 'VARCHAR', (e) => e.message),
  column('tags', 'VARCHAR[]', (e) => e.tags),
  column('evidence_sha256', 'VARCHAR NOT NULL', (e) => e.evidence.sha256),
  column('evidence_member', 'VARCHAR', (e) => e.evidence.member),
  column('evidence_record', 'BIGINT NOT NULL', (e) => e.evidence.record),
  column('evidence_offset', 'BIGINT', (e) => e.evidence.offset),
  // VARCHAR, not JSON: DuckDB would parse every record again to validate it, which cost as much
  // as the rest of the insert; its JSON functions read VARCHAR all the same.
  column('raw', 'VARCHAR', (e) => e.raw),
];

/** The column list for SELECTs that `rowToEvent` reads, in table order. */
export const EVENT_SELECT = EVENT_COLUMNS.map((c) => c.name).join(', ');

// `raw` is staged in a column of its own, as JSON text, so that the line stays small and DuckDB
// does not parse and re-serialize the largest field of every event.
const LINE_COLUMNS = EVENT_COLUMNS.filter((c) => c.name !== 'raw');

/** The `json_transform` structure that types one staged line (see `eventLine`). */
export const EVENT_LINE_STRUCTURE = JSON.stringify(
  Object.fromEntries(
    LINE_COLUMNS.map((c) => [
      c.name,
      c.name === 'time' ? 'BIGINT' : c.sql.replace(' NOT NULL', ''),
    ]),
  ),
);

/**
 * The SELECT list that turns a transformed line `r` and the staged `raw` text into an `events`
 * row, in table order.
 */
export const EVENT_LINE_SELECT = EVENT_COLUMNS.map((c) => {
  if (c.name === 'time') return 'make_timestamp(r.time * 1000) AS time';
  if (c.name === 'raw') return 'raw_json AS raw';
  return `r.${c.name} AS ${c.name}`;
}).join(', ');

/** Converts an ISO 8601 instant to a DuckDB TIMESTAMP (microseconds since the epoch, UTC). */
export function timestampValue(iso: string): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Date.parse(iso)) * 1000n);
}

function epochMillis(event: Event): number {
  const millis = Date.parse(event.time);
  if (Number.isNaN(millis)) {
    throw new CloudcaseError('invalid_event', `event ${event.uid} has an invalid time`);
  }

  return millis;
}

/**
 * Serializes one event, all but `raw`, as the JSON line that the writer stages and DuckDB types
 * with `EVENT_LINE_STRUCTURE`. Staging one string per event took about half the time of one
 * appender call per column when measured with `event-writer.bench.ts`.
 *
 * NOTE: a lone surrogate in any string becomes U+FFFD (see `jsonLine`), the one case where
 * `rowToEvent` does not return the event that was written.
 */
export function eventLine(event: Event): string {
  const row: Record<string, unknown> = {};
  // A key left out reads as NULL in `json_transform`, and shorter lines parse faster.
  for (const c of LINE_COLUMNS) {
    const value = c.value(event);
    if (value !== null) row[c.name] = value;
  }

  return jsonLine(row);
}

/** Serializes an event's original record for the `raw` column (see `jsonLine`). */
export function rawText(event: Event): string {
  return jsonLine(event.raw);
}

/** A row as returned by `getRowObjectsJS` for a SELECT of `EVENT_SELECT`. */
export type EventRow = Record<string, unknown>;

const str = (value: unknown): string | null => (value === null ? null : String(value));
const num = (value: unknown): number | null => (value === null ? null : Number(value));
const bool = (value: unknown): boolean | null => (value === null ? null : Boolean(value));

function endpoint(row: EventRow, side: 'src' | 'dst'): Event['src'] {
  return {
    ip: str(row[`${side}_ip`]),
    port: num(row[`${side}_port`]),
    domain: str(row[`${side}_domain`]),
    bytes: num(row[`${side}_bytes`]),
    packets: num(row[`${side}_packets`]),
  };
}

/** Rebuilds the event that `appendEvent` stored, with the nested field names of `Event`. */
export function rowToEvent(row: EventRow): Event {
  return {
    uid: String(row.uid),
    time: isoTime(row.time),
    source: String(row.source),
    category: String(row.category) as Category,
    class_uid: Number(row.class_uid),
    class_name: String(row.class_name),
    activity: String(row.activity),
    status: String(row.status) as Status,
    status_detail: str(row.status_detail),
    actor: {
      uid: str(row.actor_uid),
      name: str(row.actor_name),
      type: str(row.actor_type),
      session: str(row.actor_session),
      access_key: str(row.actor_access_key),
      mfa: bool(row.actor_mfa),
      account: str(row.actor_account),
      invoked_by: str(row.actor_invoked_by),
    },
    src: endpoint(row, 'src'),
    dst: endpoint(row, 'dst'),
    user_agent: str(row.user_agent),
    cloud: {
      provider: String(row.cloud_provider) as Event['cloud']['provider'],
      account: str(row.cloud_account),
      region: str(row.cloud_region),
    },
    api: {
      service: str(row.api_service),
      operation: str(row.api_operation),
      request_id: str(row.api_request_id),
      read_only: bool(row.api_read_only),
    },
    resources: JSON.parse(String(row.resources)) as Resource[],
    message: String(row.message),
    tags: (row.tags as unknown[]).map(String),
    evidence: {
      sha256: String(row.evidence_sha256),
      member: str(row.evidence_member),
      record: Number(row.evidence_record),
      offset: Number(row.evidence_offset),
    },
    raw: JSON.parse(String(row.raw)) as Record<string, unknown>,
  };
}

/** Formats a TIMESTAMP read back as a JS `Date` in the `Event.time` form (ms, `Z` suffix). */
export function isoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();

  return new Date(String(value)).toISOString();
}
