import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyEndpoint,
  eventUid,
  metadataUid,
} from '../core/event.ts';
import { actorOf, flag, text } from './cloudtrail-actor.ts';
import { categoryOf, ocsfClassOf, serviceName } from './cloudtrail-classify.ts';
import { resourcesOf } from './cloudtrail-resources.ts';
import { isObject, type JsonObject, unwrapCloudTrail } from './cloudtrail-unwrap.ts';
import { scanJsonRecords } from './json-records.ts';
import { clipPart as clip } from './message.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

/** Keys whose array contains the records: S3 delivery, lookup-events, Lake query results. */
const RECORD_KEYS = ['Records', 'Events', 'QueryResultRows'];

// Markers in the first bytes, with the score each gives; the best one wins.
const MARKERS: [RegExp, number][] = [
  [/"eventVersion"\s*:[\s\S]*"eventSource"|"eventSource"[\s\S]*"eventVersion"/, 0.95],
  [/"Records"\s*:\s*\[\s*\{[\s\S]*"event(Name|Source|Time)"/, 0.95],
  [/"CloudTrailEvent"\s*:\s*"/, 0.9],
  [/"detail-type"\s*:\s*"AWS [\w ]+ via CloudTrail"/, 0.9],
  [/"eventData"\s*:[\s\S]*"eventVersion"|"ActivityAuditLog"/, 0.8],
  [/"eventName"\s*:[\s\S]*"eventSource"|"eventSource"\s*:[\s\S]*"eventName"/, 0.8],
  [/\\"eventSource\\"\s*:\s*\\"[\w.-]+\.amazonaws\.com\\"/, 0.7],
  [/"QueryResultRows"[\s\S]*"event(name|source|time)"/i, 0.7],
  // An S3 delivery file whose first record lies beyond the head, for example after padding, or
  // whose first record's fields lie beyond it, after a large first field.
  [/^\s*\{\s*"Records"\s*:\s*\[\s*$/, 0.6],
  [/^\s*\{\s*"Records"\s*:\s*\[\s*\{\s*"\w+"\s*:/, 0.6],
  // A record whose keys are sorted starts with this CloudTrail field when it has one. A value
  // longer than the bytes the ingest skims hides every other key (see ingest-stream.ts).
  [/^\s*\[?\s*\{\s*"additionalEventData"\s*:/, 0.6],
];

/**
 * AWS CloudTrail records (record contents as of eventVersion 1.11), in every carrier a responder
 * meets: S3 delivery files `{"Records": [...]}`, JSON lines, JSON arrays, `aws cloudtrail
 * lookup-events` output, EventBridge events, CloudTrail Lake events and query results, and records
 * re-exported by Logstash or Elastic.
 */
export const cloudTrail: SourceFormat = {
  id: 'aws.cloudtrail',
  description:
    'AWS CloudTrail management and data events (S3 delivery, lookup-events, EventBridge)',
  example: '123456789012_CloudTrail_us-east-1_20240101T0000Z_abc.json.gz',
  logCategory: 'audit',
  alsoCovers: ['identity', 'secrets', 'storage'],
  sniff: sniffCloudTrail,
  records: (input: Readable): AsyncIterable<RecordResult> => {
    return scanJsonRecords(input, { recordKeys: RECORD_KEYS });
  },
  normalize: normalizeCloudTrail,
};

/** Scores how much the first bytes of a stream look like CloudTrail in any carrier. */
export function sniffCloudTrail(head: Buffer, name: string): number {
  // Whitespace is skipped across the whole head, because a fixed window would let padding hide
  // the opening bracket.
  const textHead = head.toString('latin1').replace(/^\uFEFF|^\u00ef\u00bb\u00bf/, '');
  const first = textHead.trimStart()[0];
  if (first !== '{' && first !== '[') return 0;

  let score = 0;
  for (const [pattern, value] of MARKERS) {
    if (value > score && pattern.test(textHead)) score = value;
  }
  if (/cloudtrail/i.test(name)) score = Math.max(score, 0.4);

  return score;
}

/** Maps one parsed CloudTrail value, in any carrier, to an event. */
export function normalizeCloudTrail(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  const unwrapped = unwrapCloudTrail(value);
  if ('code' in unwrapped) return unwrapped;

  const { record, raw } = unwrapped;
  if (unwrapped.time === undefined || unwrapped.time === null) {
    return { code: 'missing_time', reason: 'the record has no eventTime' };
  }
  const time = parseTimestamp(unwrapped.time);
  if (time === null)
    return { code: 'invalid_time', reason: 'the record time is not a valid timestamp' };

  const eventSource = text(record.eventSource);
  const eventName = text(record.eventName);
  const readOnly = flag(record.readOnly);
  const { status, detail } = statusOf(record, eventName);
  const actor = actorOf(record);
  const src = sourceOf(record);
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};

  return {
    uid: eventUid(ref),
    time,
    source: 'aws.cloudtrail',
    category: categoryOf(eventSource, eventName),
    ...ocsfClassOf(eventName, readOnly),
    status,
    status_detail: detail,
    actor,
    src,
    dst: emptyEndpoint(),
    user_agent: text(record.userAgent),
    cloud: {
      provider: 'aws',
      account: text(record.recipientAccountId) ?? text(identity.accountId),
      region: text(record.awsRegion),
    },
    api: {
      service: eventSource,
      operation: eventName,
      request_id: text(record.requestID) ?? text(record.requestId),
      read_only: readOnly,
    },
    resources: resourcesOf(record, unwrapped.resources),
    message: summaryOf(actor.uid, eventSource, eventName, src, detail),
    tags: [],
    evidence: ref,
    raw,
    ...metadataUid(text(record.eventID)),
  };
}

// A failed console sign-in has no errorCode; its response contains `Failure` instead.
function statusOf(record: JsonObject, eventName: string | null) {
  const errorCode = text(record.errorCode);
  if (errorCode !== null) return { status: 'failure' as const, detail: errorCode };

  const response = record.responseElements;
  const signIn = eventName === 'ConsoleLogin' && isObject(response) ? response.ConsoleLogin : null;
  if (signIn === 'Failure') {
    return { status: 'failure' as const, detail: text(record.errorMessage) ?? 'Failure' };
  }

  return { status: 'success' as const, detail: null };
}

// sourceIPAddress contains a service name such as `ec2.amazonaws.com` when a service acted.
function sourceOf(record: JsonObject): Endpoint {
  const endpoint = emptyEndpoint();
  const address = text(record.sourceIPAddress);
  if (address === null) return endpoint;

  if (isIP(address) !== 0) endpoint.ip = address;
  else endpoint.domain = address;

  return endpoint;
}

function summaryOf(
  actor: string | null,
  eventSource: string | null,
  eventName: string | null,
  src: Endpoint,
  detail: string | null,
): string {
  const who = clip(actor ?? 'unknown principal');
  const what = `${clip(serviceName(eventSource))}:${clip(eventName ?? 'unknown')}`;
  const from = src.ip ?? src.domain;
  const where = from === null ? '' : ` from ${clip(from)}`;
  const outcome = detail === null ? '' : ` (${clip(detail)})`;

  return `${who} called ${what}${where}${outcome}`;
}
