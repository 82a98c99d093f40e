import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Actor,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Resource,
  type Status,
} from '../core/event.ts';
import { clipPart } from './message.ts';
import { fieldsOfJson, sniffS3AccessJson } from './s3-access-json.ts';
import { integerField, present, splitFields } from './text-fields.ts';
import {
  headLines,
  type LineParse,
  type LineParser,
  RAW_LINE_KEY,
  scoreLines,
} from './text-lines.ts';
import { scanTextOrJsonRecords } from './text-or-json.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

/**
 * Fields of an S3 server access log record in the order the AWS documentation ("Amazon S3
 * server access log format") lists them, in snake_case. Older records end earlier, and fields
 * that AWS adds later are kept as `field_<n>`, numbered from 1.
 */
const FIELDS = [
  'bucket_owner',
  'bucket',
  'time',
  'remote_ip',
  'requester',
  'request_id',
  'operation',
  'key',
  'request_uri',
  'http_status',
  'error_code',
  'bytes_sent',
  'object_size',
  'total_time',
  'turn_around_time',
  'referrer',
  'user_agent',
  'version_id',
  'host_id',
  'signature_version',
  'cipher_suite',
  'authentication_type',
  'host_header',
  'tls_version',
  'access_point_arn',
  'acl_required',
] as const;

// NOTE: 17 fields, through the user agent, is an estimate of the shortest record S3 has written.
// AWS has appended fields since 2006.
const MIN_FIELDS = 17;
const CANONICAL_ID = /^[0-9a-f]{64}$/;
const OPERATION = /^(REST|SOAP|WEBSITE|BATCH|S3)\.[A-Z_]+(\.[A-Z_]+)?$/;
// `[06/Feb/2019:00:00:38 +0000]`, the strftime layout `%d/%b/%Y:%H:%M:%S %z`.
const BRACKET_TIME =
  /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// `s3.us-east-1.amazonaws.com`, `bucket.s3-us-west-2.amazonaws.com`, `s3.dualstack.…`.
const REGION_IN_HOST =
  /(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com$/;
const SNIFF_LINES = 5;

/**
 * Amazon S3 server access logs: the space-separated text records S3 writes to a target bucket,
 * with the time in brackets and the request line, referrer and user agent in quotes. Each
 * record's `raw` maps the field names to their text as written (`-` for missing), with the line
 * itself under `original`.
 */
export const s3Access: SourceFormat = {
  id: 'aws.s3access',
  description: 'Amazon S3 server access logs',
  example: '2024-01-01-00-00-00-0123456789ABCDEF',
  logCategory: 'storage',
  sniff: sniffS3Access,
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanTextOrJsonRecords(input, new AccessLineParser()),
  normalize: normalizeS3Access,
};

class AccessLineParser implements LineParser {
  parse(line: string): LineParse {
    const fields = splitFields(line, { brackets: true });
    if (!Array.isArray(fields)) return { kind: 'rejected', ...fields };
    if (fields.length < MIN_FIELDS) {
      const reason = `the line has ${fields.length} fields, fewer than the ${MIN_FIELDS} of an access log record`;
      return { kind: 'rejected', code: 'field_count', reason };
    }

    const value: Record<string, unknown> = {};
    fields.forEach((text, i) => {
      value[FIELDS[i] ?? `field_${i + 1}`] = text;
    });
    value[RAW_LINE_KEY] = line;
    return { kind: 'record', value };
  }
}

/** Scores how much the first bytes of a stream look like S3 server access log lines. */
export function sniffS3Access(head: Buffer, _name: string): number {
  const textHead = head.toString('latin1').trimStart();
  if (textHead.startsWith('{') || textHead.startsWith('[')) return sniffS3AccessJson(textHead);

  const accessLike = (line: string): boolean => {
    const fields = splitFields(line, { brackets: true });
    if (!Array.isArray(fields) || fields.length < MIN_FIELDS) return false;
    return (
      CANONICAL_ID.test(fields[0] ?? '') &&
      BRACKET_TIME.test(fields[2] ?? '') &&
      OPERATION.test(fields[6] ?? '')
    );
  };
  return scoreLines(headLines(head, SNIFF_LINES), accessLike, 0.9);
}

/** Parses the bracketed access log time to UTC ISO 8601, or `null`. */
export function parseBracketTime(value: string): string | null {
  const match = BRACKET_TIME.exec(value);
  if (match === null) return null;

  const [, day, monthName, year, hour, minute, second, sign, zoneHours, zoneMinutes] = match;
  const month = MONTHS.indexOf(monthName ?? '');
  if (month === -1) return null;

  const ms = Date.UTC(
    Number(year),
    month,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  const date = new Date(ms);
  if (date.getUTCDate() !== Number(day) || Number(hour) > 23 || Number(minute) > 59) return null;

  const offset = (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes));
  return new Date(ms - offset * 60_000).toISOString();
}

type Fields = Record<string, unknown>;

function field(record: Fields, name: string): string | null {
  const value = record[name];
  return typeof value === 'string' ? present(value) : null;
}

/** Maps one access log record, an object of named text fields, to an event. */
export function normalizeS3Access(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { code: 'not_s3_access', reason: 'the record is not an object of access log fields' };
  }
  // A record read from a text line carries the line; any other is a JSON rendering.
  const fromText = typeof (value as Fields)[RAW_LINE_KEY] === 'string';
  const record = fromText ? (value as Fields) : fieldsOfJson(value as Fields);
  if (record === null) {
    return { code: 'not_s3_access', reason: 'the record has no access log fields' };
  }

  const written = field(record, 'time');
  if (written === null) return { code: 'missing_time', reason: 'the record has no time' };
  const time = fromText ? parseBracketTime(written) : parseTimestamp(written);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the record time is not a valid timestamp' };
  }

  const operation = field(record, 'operation');
  const { status, detail } = statusOf(record);
  const actor = actorOf(field(record, 'requester'));
  const src = emptyEndpoint();
  const remote = field(record, 'remote_ip');
  if (remote !== null && isIP(remote) !== 0) src.ip = remote;
  // S3 sent these bytes, so they count on the destination side. S3 writes `-` for zero bytes,
  // so a request with an HTTP status and `-` sent none.
  const dst = emptyEndpoint();
  const noBytes = record.bytes_sent === '-' && field(record, 'http_status') !== null;
  dst.bytes = noBytes ? 0 : integerField(field(record, 'bytes_sent') ?? undefined);
  const host = field(record, 'host_header');
  dst.domain = host;
  const resources = resourcesOf(field(record, 'bucket'), field(record, 'key'));

  return {
    uid: eventUid(ref),
    time,
    source: 'aws.s3access',
    category: 'storage',
    class_uid: 6003,
    class_name: 'API Activity',
    activity: activityOf(operation),
    status,
    status_detail: detail,
    actor,
    src,
    dst,
    user_agent: field(record, 'user_agent'),
    cloud: { provider: 'aws', account: actor.account, region: regionOf(host) },
    api: {
      service: 's3.amazonaws.com',
      operation,
      request_id: field(record, 'request_id'),
      read_only: readOnlyOf(operation),
    },
    resources,
    message: summaryOf(actor, operation, resources, src, detail),
    tags: [],
    evidence: ref,
    raw: value as Fields,
  };
}

// Operations are `REST.<verb>.<object>`, such as `REST.GET.OBJECT`, or a lifecycle action
// such as `S3.EXPIRE.OBJECT`.
function verbOf(operation: string | null): string | null {
  return operation?.split('.')[1] ?? null;
}

function activityOf(operation: string | null): string {
  const verb = verbOf(operation);
  const target = operation?.split('.')[2] ?? '';
  if (verb === 'GET' || verb === 'HEAD') return 'Read';
  if (verb === 'DELETE' || verb === 'EXPIRE') return 'Delete';
  if (verb === 'COPY') return 'Create';
  if (verb === 'PUT' || verb === 'POST') {
    return /^(OBJECT|PART|UPLOAD|UPLOADS)$/.test(target) ? 'Create' : 'Update';
  }
  return 'Other';
}

function readOnlyOf(operation: string | null): boolean | null {
  const verb = verbOf(operation);
  if (verb === null) return null;
  return verb === 'GET' || verb === 'HEAD';
}

// A status of 400 or more is a failure. Lifecycle actions carry no status.
function statusOf(record: Fields): { status: Status; detail: string | null } {
  const code = integerField(field(record, 'http_status') ?? undefined);
  const errorCode = field(record, 'error_code');
  if (code === null) return { status: 'unknown', detail: errorCode };
  if (code >= 400) return { status: 'failure', detail: errorCode ?? String(code) };

  return { status: 'success', detail: null };
}

// The requester is an IAM ARN, a canonical user id, `svc:<service principal>` for an AWS
// service, `AmazonS3` for S3's own lifecycle actions, or `-` (`Anonymous` in early logs) for an
// unauthenticated request.
function actorOf(requester: string | null): Actor {
  const actor = emptyActor();
  if (requester === null || requester === 'Anonymous') {
    actor.type = 'Anonymous';
    return actor;
  }

  actor.uid = requester;
  const arn = /^arn:aws[\w-]*:(iam|sts)::(\d{1,12}):(\w[\w-]*)\/?(.*)$/.exec(requester);
  if (arn !== null) {
    const [, , account, kind, rest] = arn;
    actor.account = account ?? null;
    actor.type = arnType(kind ?? '');
    actor.name = rest?.split('/').pop() || null;
    if (kind === 'assumed-role') actor.session = requester;
    return actor;
  }
  if (requester.startsWith('svc:') || requester === 'AmazonS3') {
    actor.type = 'AWSService';
    actor.name = requester.replace(/^svc:/, '');
    actor.invoked_by = actor.name;
    return actor;
  }
  if (CANONICAL_ID.test(requester)) actor.type = 'CanonicalUser';
  return actor;
}

function arnType(kind: string): string {
  if (kind === 'assumed-role') return 'AssumedRole';
  if (kind === 'user') return 'IAMUser';
  if (kind === 'root') return 'Root';
  if (kind === 'role') return 'Role';
  return kind;
}

function regionOf(host: string | null): string | null {
  if (host === null) return null;
  return REGION_IN_HOST.exec(host.toLowerCase())?.[1] ?? null;
}

function resourcesOf(bucket: string | null, key: string | null): Resource[] {
  if (bucket === null) return [];
  const resources: Resource[] = [{ uid: `arn:aws:s3:::${bucket}`, type: 'AWS::S3::Bucket' }];
  if (key !== null)
    resources.push({ uid: `arn:aws:s3:::${bucket}/${key}`, type: 'AWS::S3::Object' });
  return resources;
}

// Such as `arn:aws:iam::123456789012:user/alice REST.GET.OBJECT arn:aws:s3:::b/k from … (403)`.
function summaryOf(
  actor: Actor,
  operation: string | null,
  resources: Resource[],
  src: { ip: string | null },
  detail: string | null,
): string {
  const who = clipPart(actor.uid ?? 'anonymous');
  const what = clipPart(operation ?? 'unknown operation');
  const target = resources.at(-1);
  const on = target === undefined ? '' : ` ${clipPart(target.uid)}`;
  const from = src.ip === null ? '' : ` from ${clipPart(src.ip)}`;
  const outcome = detail === null ? '' : ` (${clipPart(detail)})`;

  return `${who} ${what}${on}${from}${outcome}`;
}
