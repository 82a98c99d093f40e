/**
 * CloudWatch Logs exports: `aws logs filter-log-events` and `get-log-events` output (`events`),
 * subscription filter payloads (`logEvents`, with the log group and stream beside them), Logs
 * Insights results (`@message`, `@timestamp`) and S3 exports of `create-export-task` (text lines
 * `<time> <message>`, see `cloudwatch-export.ts`). JSON files whose messages are all flow,
 * Resolver, CloudTrail or Kubernetes audit records go to those formats, whose sniffs score them
 * higher.
 *
 * A message that is a flow log line, or CloudTrail, Kubernetes audit or Route 53 Resolver JSON,
 * becomes an event of that format with the record's own time; `raw` keeps the log event. A
 * message that is a syslog line, as the CloudWatch agent ships `/var/log/secure` or
 * `auth.log`, is read as one, so sshd and sudo lines become sign-ins and commands (`host.syslog`
 * events). Any other message becomes an `aws.cloudwatch` event with its log group and stream.
 * The event time is the log event's `timestamp`, which CloudWatch sets in UTC. `raw` keeps the
 * log event.
 */
import type { Readable } from 'node:stream';
import {
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
} from '../core/event.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import {
  ExportLineParser,
  exportStreamOf,
  joinContinuations,
  normalizeEmbedded,
  sniffCloudWatchExport,
} from './cloudwatch-export.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import type { RecordContext } from './local-time.ts';
import { ZonedClock } from './local-time.ts';
import { clipPart } from './message.ts';
import { normalizeSyslog, parseSyslogLine, YearInference } from './syslog.ts';
import { scanTextOrJsonRecords } from './text-or-json.ts';
import { parseTimestamp } from './time.ts';
import {
  isNormalizeError,
  type NormalizeError,
  type RecordResult,
  type SourceFormat,
} from './types.ts';

const RECORD_KEYS = ['events', 'logEvents', 'results'];

const MARKERS: [RegExp, number][] = [
  [/"logStreamName"\s*:[\s\S]*"message"\s*:|"message"\s*:[\s\S]*"logStreamName"\s*:/, 0.6],
  [/"messageType"\s*:\s*"DATA_MESSAGE"[\s\S]*"logEvents"\s*:/, 0.6],
  [/"@message"\s*:[\s\S]*"@timestamp"\s*:|"@timestamp"\s*:[\s\S]*"@message"\s*:/, 0.6],
  [/"logEvents"\s*:\s*\[\s*\{\s*"id"\s*:/, 0.6],
];

/** Maximum length, in characters, of a message read as a syslog line; longer ones stay plain text. */
const MAX_SYSLOG_CHARS = 64 * 1024;
const UTC = new ZonedClock('UTC');

export const cloudWatchLogs: SourceFormat = {
  id: 'aws.cloudwatch',
  description:
    'CloudWatch Logs exports (API output, subscriptions, S3 export tasks): syslog, flows, any text',
  example: 'exportedlogs/1a2b3c4d-task/i-0a1b2c3d4e5f60718/000000.gz',
  eventSources: [
    'aws.cloudwatch',
    'host.syslog',
    'aws.vpcflow',
    'aws.cloudtrail',
    'k8s.audit',
    'aws.route53resolver',
  ],
  logCategory: 'compute',
  alsoCovers: ['identity'],
  sniff: (head: Buffer, name: string): number =>
    Math.max(jsonMarkerScore(head, MARKERS), sniffCloudWatchExport(head, name)),
  records: (input: Readable, context?: RecordContext): AsyncIterable<RecordResult> => {
    const parser = new ExportLineParser(exportStreamOf(context?.filePath));
    return joinContinuations(scanTextOrJsonRecords(input, parser, { recordKeys: RECORD_KEYS }));
  },
  normalize: normalizeCloudWatchEvent,
};

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * Maps one log event to an event of the format its message holds: flow, CloudTrail, Kubernetes
 * audit, Resolver or syslog, else to a log line.
 */
export function normalizeCloudWatchEvent(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) {
    return { code: 'not_cloudwatch_event', reason: 'the record is not a JSON object' };
  }
  const message = text(value.message) ?? text(value['@message']);
  if (message === null) {
    return { code: 'missing_message', reason: 'the log event has no message' };
  }
  const embedded = normalizeEmbedded(value, message, ref);
  if (embedded !== null) return embedded;

  const stamp = value.timestamp ?? value['@timestamp'];
  if (stamp === undefined || stamp === null) {
    return { code: 'missing_time', reason: 'the log event has no timestamp' };
  }
  const time = parseTimestamp(stamp);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the log event timestamp is not a valid instant' };
  }

  const line = message.replace(/\r?\n$/, '');
  if (line.length <= MAX_SYSLOG_CHARS) {
    const fields = parseSyslogLine(line, new YearInference(Date.parse(time)), UTC);
    if (fields !== null) {
      const event = normalizeSyslog({ ...fields, time }, ref);
      return isNormalizeError(event) ? event : { ...event, raw: value };
    }
  }
  return logLine(value, line, time, ref);
}

function logLine(value: JsonObject, line: string, time: string, ref: EvidenceRef): Event {
  const group = text(value.logGroup) ?? text(value['@log']);
  const stream = text(value.logStreamName) ?? text(value.logStream) ?? text(value['@logStream']);
  const resources = [
    ...(group === null ? [] : [{ uid: group, type: 'log_group' }]),
    ...(stream === null ? [] : [{ uid: stream, type: 'log_stream' }]),
  ];
  const where = group ?? stream ?? 'log';

  return {
    uid: eventUid(ref),
    time,
    source: 'aws.cloudwatch',
    category: 'compute',
    class_uid: 0,
    class_name: 'Base Event',
    activity: 'Other',
    status: 'unknown',
    status_detail: null,
    actor: emptyActor(),
    src: emptyEndpoint(),
    dst: emptyEndpoint(),
    user_agent: null,
    cloud: { provider: 'aws', account: text(value.owner), region: null },
    api: { service: 'logs', operation: null, request_id: null, read_only: null },
    resources,
    message: `${clipPart(where)}: ${clipPart(line.replace(/\s+/g, ' '))}`,
    tags: [],
    evidence: ref,
    raw: value,
  };
}
