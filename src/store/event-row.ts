/**
 * The one mapping between an `Event` and a row of the `events` table. Nested fields become flat
 * columns (`actor.uid` is `actor_uid`), so analysts and the Sigma SQL backend can query them
 * directly; `raw` and `resources` are JSON text and `tags` is a `VARCHAR[]`.
 */
import { DuckDBListValue, DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import { CloudcaseError } from '../core/errors.ts';
import type { Category, Event, Resource, Status } from '../core/event.ts';
import { shortenedText } from '../core/shortened-text.ts';
import { parseJsonLossless } from '../sources/json-numbers.ts';
import { jsonLine } from './json-line.ts';

/** One column of the `events` table: its name and SQL type. */
interface EventColumn {
  name: string;
  sql: string;
}

const column = (name: string, sql: string): EventColumn => ({ name, sql });

// Flow byte and packet counts are DOUBLE so that every JS number round-trips unchanged;
// integers stay exact up to 2^53.
function endpointColumns(side: 'src' | 'dst'): EventColumn[] {
  return [
    column(`${side}_ip`, 'VARCHAR'),
    column(`${side}_port`, 'INTEGER'),
    column(`${side}_domain`, 'VARCHAR'),
    column(`${side}_bytes`, 'DOUBLE'),
    column(`${side}_packets`, 'DOUBLE'),
  ];
}

/** Every column of the `events` table, in table order; `eventRowValues` follows the same order. */
export const EVENT_COLUMNS: readonly EventColumn[] = [
  column('uid', 'VARCHAR NOT NULL'),
  column('time', 'TIMESTAMP NOT NULL'),
  column('source', 'VARCHAR NOT NULL'),
  column('category', 'VARCHAR NOT NULL'),
  column('class_uid', 'INTEGER'),
  column('class_name', 'VARCHAR'),
  column('activity', 'VARCHAR'),
  column('status', 'VARCHAR'),
  column('status_detail', 'VARCHAR'),
  column('actor_uid', 'VARCHAR'),
  column('actor_name', 'VARCHAR'),
  column('actor_type', 'VARCHAR'),
  column('actor_session', 'VARCHAR'),
  column('actor_access_key', 'VARCHAR'),
  column('actor_mfa', 'BOOLEAN'),
  column('actor_account', 'VARCHAR'),
  column('actor_invoked_by', 'VARCHAR'),
  ...endpointColumns('src'),
  ...endpointColumns('dst'),
  column('user_agent', 'VARCHAR'),
  column('cloud_provider', 'VARCHAR'),
  column('cloud_account', 'VARCHAR'),
  column('cloud_region', 'VARCHAR'),
  column('api_service', 'VARCHAR'),
  column('api_operation', 'VARCHAR'),
  column('api_request_id', 'VARCHAR'),
  column('api_read_only', 'BOOLEAN'),
  column('resources', 'JSON'),
  column('message', 'VARCHAR'),
  column('tags', 'VARCHAR[]'),
  column('evidence_sha256', 'VARCHAR NOT NULL'),
  column('evidence_member', 'VARCHAR'),
  column('evidence_record', 'BIGINT NOT NULL'),
  column('evidence_offset', 'BIGINT'),
  // VARCHAR, not JSON: DuckDB would parse every record again to validate it, which cost as much
  // as the rest of the insert; its JSON functions read VARCHAR all the same.
  column('raw', 'VARCHAR'),
  // Last, because cases made before it gained the column by ALTER TABLE, which appends it.
  column('metadata_uid', 'VARCHAR'),
  // The key of the raw record's parts in `event_raw_parts` when `raw` is stored in parts, else
  // NULL (see `raw-parts.ts`). After `metadata_uid`, because older cases gain it by ALTER TABLE.
  column('raw_key', 'BIGINT'),
];

/**
 * The column list for SELECTs that `rowToEvent` reads, in table order. It leaves out `raw_key`,
 * which is no part of an event, so that a case made before the column reads as before.
 */
export const EVENT_SELECT = EVENT_COLUMNS.filter((c) => c.name !== 'raw_key')
  .map((c) => c.name)
  .join(', ');

/** Converts an ISO 8601 instant to a DuckDB TIMESTAMP (microseconds since the epoch, UTC). */
export function timestampValue(iso: string): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Date.parse(iso)) * 1000n);
}

/**
 * Returns the event's time as epoch milliseconds; raises `invalid_event` when it is no valid
 * instant, so that an event is rejected when it is appended rather than when its batch is stored.
 */
export function epochMillis(event: Event): number {
  const millis = Date.parse(event.time);
  if (Number.isNaN(millis)) {
    throw new CloudcaseError('invalid_event', `event ${event.uid} has an invalid time`);
  }

  return millis;
}

/**
 * The values of one `events` row, in table order, as plain data that can be posted between
 * threads: `time` as epoch milliseconds, `resources` and `raw` as JSON text, `tags` as an array.
 */
export type EventRowValues = (string | number | boolean | string[] | null)[];

/** Indexes in `EventRowValues` of the values that the appender takes in another form. */
const TIME = 1;
const TAGS = EVENT_COLUMNS.findIndex((c) => c.name === 'tags');
const RECORD = EVENT_COLUMNS.findIndex((c) => c.name === 'evidence_record');
/** The JSON escape of a UTF-16 surrogate, `\uD800` to `\uDFFF` in either case. */
const SURROGATE_ESCAPE = /\\u[dD]/;
const OFFSET = EVENT_COLUMNS.findIndex((c) => c.name === 'evidence_offset');

/**
 * Maximum length, in UTF-16 code units, of a text column other than `raw`: at most 48 KiB of
 * UTF-8. DuckDB 1.5 keeps each string over about 64 KiB in a buffer of its own until the commit,
 * so 1,600 events with a 64 KiB user agent failed to commit within a 128 MB limit. A longer
 * value is stored shortened (see `shortenedText`). The raw record keeps it whole, and it is
 * long enough to be stored in parts, which hunts match with the in-memory engine.
 */
export const MAX_COLUMN_LENGTH = 16_384;

/** Code units of a long value that its shortened form keeps, leaving room for the digest. */
const COLUMN_HEAD_LENGTH = 16_256;

/** Maximum length of a resource's uid or type within the `resources` column. */
const MAX_RESOURCE_LENGTH = 1_024;

/** Returns a column value within MAX_COLUMN_LENGTH. */
function columnText(value: string | null): string | null {
  return value === null ? null : storedText(value);
}

/**
 * Returns the value a text column holds for `value`: the value itself or its shortened form. A
 * filter that compares a whole value with a column compares this instead.
 */
export function storedText(value: string): string {
  if (value.length <= MAX_COLUMN_LENGTH) return value;
  return shortenedText(value, MAX_COLUMN_LENGTH, COLUMN_HEAD_LENGTH);
}

/**
 * Returns the JSON text of the `resources` column within MAX_COLUMN_LENGTH: when the whole
 * list is longer, each uid and type is shortened to MAX_RESOURCE_LENGTH and the list ends with
 * the last resource that fits.
 */
function resourcesText(resources: readonly Resource[]): string {
  const whole = jsonLine(resources);
  if (whole.length <= MAX_COLUMN_LENGTH) return whole;

  const fitting: Resource[] = [];
  let length = 2;
  for (const resource of resources) {
    const short = {
      uid: shortenedText(resource.uid, MAX_RESOURCE_LENGTH, MAX_RESOURCE_LENGTH - 128),
      type:
        resource.type === null
          ? null
          : shortenedText(resource.type, MAX_RESOURCE_LENGTH, MAX_RESOURCE_LENGTH - 128),
    };
    length += jsonLine(short).length + 1;
    if (length > MAX_COLUMN_LENGTH) break;
    fitting.push(short);
  }

  return jsonLine(fitting);
}

/**
 * Converts one event to the values of its `events` row. `rawJson`, when given, is the original
 * JSON text of `event.raw`, stored verbatim instead of serializing `raw` again. Raises
 * `invalid_event` when the event's time is no valid instant.
 *
 * NOTE: DuckDB receives strings as UTF-8, so a lone surrogate in any string becomes U+FFFD, the
 * one case where `rowToEvent` does not return the event that was written.
 */
export function eventRowValues(event: Event, rawJson?: string): EventRowValues {
  const { actor, src, dst, cloud, api, evidence } = event;
  // JSON text with the `\udXXX` escape of a lone surrogate, in either case of hex digits,
  // would fail DuckDB's JSON functions on the `raw` column, so such a record is serialized
  // again by `rawText`, which replaces it.
  const verbatim = rawJson !== undefined && !SURROGATE_ESCAPE.test(rawJson);

  return [
    event.uid,
    epochMillis(event),
    event.source,
    event.category,
    event.class_uid,
    columnText(event.class_name),
    columnText(event.activity),
    event.status,
    columnText(event.status_detail),
    columnText(actor.uid),
    columnText(actor.name),
    columnText(actor.type),
    columnText(actor.session),
    columnText(actor.access_key),
    actor.mfa,
    columnText(actor.account),
    columnText(actor.invoked_by),
    columnText(src.ip),
    src.port,
    columnText(src.domain),
    src.bytes,
    src.packets,
    columnText(dst.ip),
    dst.port,
    columnText(dst.domain),
    dst.bytes,
    dst.packets,
    columnText(event.user_agent),
    columnText(cloud.provider),
    columnText(cloud.account),
    columnText(cloud.region),
    columnText(api.service),
    columnText(api.operation),
    columnText(api.request_id),
    api.read_only,
    resourcesText(event.resources),
    columnText(event.message),
    event.tags,
    evidence.sha256,
    evidence.member,
    evidence.record,
    evidence.offset,
    verbatim ? rawJson : rawText(event),
    columnText(event.metadata_uid ?? null),
    // raw_key: set by the writer when it stores `raw` in parts.
    null,
  ];
}

// Shared by every row without tags, which is every row at ingest, to spare an object per row.
const NO_TAGS = new DuckDBListValue([]);

/** Converts row values, in place, to the types that DuckDB's appender takes for the columns. */
export function toAppenderValues(values: EventRowValues): DuckDBValue[] {
  const row = values as DuckDBValue[];
  const tags = values[TAGS] as string[];
  row[TIME] = new DuckDBTimestampValue(BigInt(values[TIME] as number) * 1000n);
  row[TAGS] = tags.length === 0 ? NO_TAGS : new DuckDBListValue(tags);
  row[RECORD] = BigInt(values[RECORD] as number);
  row[OFFSET] = BigInt(values[OFFSET] as number);
  return row;
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
    // Parsed as ingest parses records, so numbers a double would change keep their text.
    raw: parseJsonLossless(String(row.raw)) as Record<string, unknown>,
    ...(row.metadata_uid === null || row.metadata_uid === undefined
      ? {}
      : { metadata_uid: String(row.metadata_uid) }),
  };
}

/** Formats a TIMESTAMP read back as a JS `Date` in the `Event.time` form (ms, `Z` suffix). */
export function isoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();

  return new Date(String(value)).toISOString();
}
