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

// NOTE: Lake query results return every column as text, so nested fields such as userIdentity
// arrive as strings and actor details beyond what the query selected stay unknown.
function unwrapLakeRow(row: unknown[]): UnwrappedRecord | NormalizeError {
  const record: JsonObject = {};
  for (const column of row) {
    if (!isObject(column)) return notCloudTrail('the record is not a JSON object');
    for (const [name, cell] of Object.entries(column)) {
      record[LAKE_COLUMN_NAMES.get(name.toLowerCase()) ?? name] = cell;
    }
  }

  return checked(record, record, record.eventTime);
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
