import type { Resource } from '../core/event.ts';
import { parseJsonLossless } from './json-numbers.ts';
import type { NormalizeError } from './types.ts';

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** A CloudTrail record taken out of whatever carried it. */
export interface UnwrappedRecord {
  /** The CloudTrail fields to normalize from. */
  record: JsonObject;
  /** What `Event.raw` keeps: the CloudTrail record, with any shipper fields beside it. */
  raw: JsonObject;
  /** The activity time as found, before parsing. */
  time: unknown;
  /** Resources that only the carrier names, such as `Resources` of lookup-events. */
  resources: Resource[];
}

// CloudTrail Lake query results name columns as the query wrote them, often in lower case.
const LAKE_COLUMNS = [
  'eventVersion',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestParameters',
  'responseElements',
  'additionalEventData',
  'requestID',
  'eventID',
  'readOnly',
  'eventType',
  'recipientAccountId',
  'userIdentity',
  'resources',
];
const LAKE_COLUMN_NAMES = new Map(LAKE_COLUMNS.map((name) => [name.toLowerCase(), name]));

/** Tells a JSON object apart from arrays, strings and null. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Finds the CloudTrail record in one parsed value. Carriers handled: a bare record (S3 delivery,
 * JSON lines, Logstash with `@timestamp`), `aws cloudtrail lookup-events` (`CloudTrailEvent` is a
 * JSON string), EventBridge (`detail`), Elastic-style `{"message": "<json>"}`, CloudTrail Lake
 * integration events (`eventData`) and CloudTrail Lake query result rows (arrays of columns).
 */
export function unwrapCloudTrail(value: unknown): UnwrappedRecord | NormalizeError {
  if (Array.isArray(value)) return unwrapLakeRow(value);
  if (!isObject(value)) return notCloudTrail('the record is not a JSON object');

  if (typeof value.CloudTrailEvent === 'string') return unwrapLookupEvent(value);
  if (typeof value['detail-type'] === 'string' && isObject(value.detail)) {
    return checked(value.detail, value.detail, value.detail.eventTime ?? value.time);
  }
  if (typeof value.message === 'string' && !hasOperation(value)) return unwrapMessage(value);
  if (isObject(value.eventData) && !hasOperation(value)) return unwrapLakeEvent(value);

  return checked(value, value, value.eventTime ?? value['@timestamp'] ?? value.p_event_time);
}

function unwrapLookupEvent(value: JsonObject): UnwrappedRecord | NormalizeError {
  const inner = parseObject(value.CloudTrailEvent as string);
  if (inner === null) {
    return { code: 'invalid_cloudtrail_event', reason: 'CloudTrailEvent is not a JSON object' };
  }

  const result = checked(inner, inner, inner.eventTime ?? value.EventTime);
  if ('code' in result) return result;

  return { ...result, resources: lookupResources(value.Resources) };
}

function unwrapMessage(value: JsonObject): UnwrappedRecord | NormalizeError {
  const inner = parseObject(value.message as string);
  if (inner === null) return notCloudTrail('the message field holds no CloudTrail record');

  return checked(inner, inner, inner.eventTime ?? value['@timestamp']);
}

// Lake integration events keep the activity under `eventData` and CloudTrail's own fields
// (eventTime, eventID, awsRegion, recipientAccountId) beside it.
function unwrapLakeEvent(value: JsonObject): UnwrappedRecord | NormalizeError {
  const data = value.eventData as JsonObject;
  const record: JsonObject = {
    ...data,
    eventID: value.eventID ?? data.uid,
    awsRegion: value.awsRegion,
    recipientAccountId: value.recipientAccountId ?? data.recipientAccountId,
  };

  return checked(record, value, value.eventTime ?? data.eventTime);
}

// Lake query results return every column as text, so userIdentity arrives as a string. The raw
// record keeps the row as read, and the actor is taken from the string (`lakeIdentity`).
// NOTE: other nested columns, such as requestParameters and resources, stay text.
function unwrapLakeRow(row: unknown[]): UnwrappedRecord | NormalizeError {
  const raw: JsonObject = {};
  for (const column of row) {
    if (!isObject(column)) return notCloudTrail('the record is not a JSON object');
    for (const [name, cell] of Object.entries(column)) {
      raw[LAKE_COLUMN_NAMES.get(name.toLowerCase()) ?? name] = cell;
    }
  }
  const identity = typeof raw.userIdentity === 'string' ? lakeIdentity(raw.userIdentity) : null;
  const record = identity === null ? raw : { ...raw, userIdentity: identity };

  return checked(record, raw, record.eventTime);
}

// CloudTrail's names of the userIdentity fields that name the actor, by their lower-case form.
const IDENTITY_FIELDS = new Map(
  ['type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy'].map(
    (name) => [name.toLowerCase(), name],
  ),
);

/**
 * Reads the userIdentity of a Lake result row: JSON text, or the `{type=IAMUser, arn=…,
 * accountid=…}` form in which Lake writes a struct column. Only the top-level fields that name
 * the actor are taken from the second form; nested ones such as sessioncontext are skipped.
 */
export function lakeIdentity(text: string): JsonObject | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return null;
  const json = parseObject(trimmed);
  if (json !== null) return json;

  const identity: JsonObject = {};
  for (const field of topLevelFields(trimmed.slice(1, -1))) {
    const equals = field.indexOf('=');
    if (equals < 0) continue;
    const name = IDENTITY_FIELDS.get(field.slice(0, equals).trim().toLowerCase());
    const value = field.slice(equals + 1).trim();
    if (name !== undefined && value !== '' && value !== 'null' && !value.startsWith('{')) {
      identity[name] = value;
    }
  }
  return Object.keys(identity).length > 0 ? identity : null;
}

// The fields of a struct's text, separated by a comma and a space, with separators inside
// nested braces or brackets left in their field. A comma alone stays in its value, as IAM names
// may contain one (`user/a,b`) but no space.
function topLevelFields(text: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') depth = Math.max(0, depth - 1);
    else if (char === ',' && text[i + 1] === ' ' && depth === 0) {
      fields.push(text.slice(start, i));
      start = i + 1;
    }
  }
  fields.push(text.slice(start));
  return fields;
}

function checked(
  record: JsonObject,
  raw: JsonObject,
  time: unknown,
): UnwrappedRecord | NormalizeError {
  if (!hasOperation(record)) return notCloudTrail('the record has no eventName or eventSource');

  return { record, raw, time, resources: [] };
}

function hasOperation(value: JsonObject): boolean {
  return typeof value.eventName === 'string' || typeof value.eventSource === 'string';
}

function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = parseJsonLossless(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function lookupResources(value: unknown): Resource[] {
  if (!Array.isArray(value)) return [];

  const resources: Resource[] = [];
  for (const item of value) {
    if (!isObject(item) || typeof item.ResourceName !== 'string') continue;
    const type = typeof item.ResourceType === 'string' ? item.ResourceType : null;
    resources.push({ uid: item.ResourceName, type });
  }
  return resources;
}

function notCloudTrail(reason: string): NormalizeError {
  return { code: 'not_cloudtrail', reason };
}
