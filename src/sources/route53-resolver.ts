import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Resource,
  type Status,
} from '../core/event.ts';
import { text } from './cloudtrail-actor.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { parseJsonLossless } from './json-numbers.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

const MARKERS: [RegExp, number][] = [
  [
    /"query_timestamp"\s*:[\s\S]*"query_name"\s*:|"query_name"\s*:[\s\S]*"query_timestamp"\s*:/,
    0.9,
  ],
  // A record as the text of a CloudWatch Logs event, with its quotes escaped.
  [
    /\\"query_timestamp\\"\s*:[\s\S]*\\"query_name\\"|\\"query_name\\"\s*:[\s\S]*\\"query_timestamp\\"/,
    0.85,
  ],
];

/** `aws logs filter-log-events` output (`events`) and subscription payloads (`logEvents`). */
const RECORD_KEYS = ['events', 'logEvents'];
/** Maximum length, in characters, of a log event message that is parsed as a query record. */
const MAX_MESSAGE_CHARS = 1024 * 1024;

/** Keys of a record's `srcids`, with the resource type each names. */
const SOURCE_IDS: [string, string][] = [
  ['instance', 'AWS::EC2::Instance'],
  ['resolver_endpoint', 'AWS::Route53Resolver::ResolverEndpoint'],
  ['resolver_network_interface', 'AWS::EC2::NetworkInterface'],
];

/**
 * Amazon Route 53 Resolver query logs (record version 1.1), one JSON object per query, as S3
 * delivery files contain them (JSON lines, usually gz) and inside CloudWatch Logs JSON, where
 * each log event's `message` is a record as text. The query record is kept as `raw`.
 */
export const route53Resolver: SourceFormat = {
  id: 'aws.route53resolver',
  description: 'Amazon Route 53 Resolver DNS query logs from VPCs',
  example: '123456789012_vpcdnsquerylogs_vpc-0123456789abcdef0_20240101T0000Z_a1b2c3d4.log.gz',
  logCategory: 'network',
  sniff: sniffRoute53Resolver,
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanJsonRecords(input, { recordKeys: RECORD_KEYS }),
  normalize: normalizeRoute53Resolver,
};

/** Scores how much the first bytes of a stream look like Resolver query log records. */
export function sniffRoute53Resolver(head: Buffer, _name: string): number {
  return jsonMarkerScore(head, MARKERS);
}

/** Maps one Resolver query log record to an event. */
export function normalizeRoute53Resolver(
  record: unknown,
  ref: EvidenceRef,
): Event | NormalizeError {
  const unwrapped = unwrap(record);
  if ('error' in unwrapped) return unwrapped.error;
  const value = unwrapped.query;
  if (value.query_timestamp === undefined || value.query_timestamp === null) {
    return { code: 'missing_time', reason: 'the record has no query_timestamp' };
  }
  const time = parseTimestamp(value.query_timestamp);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the query_timestamp is not a valid timestamp' };
  }

  const name = value.query_name.replace(/\.$/, '');
  const src = emptyEndpoint();
  const address = text(value.srcaddr);
  if (address !== null && isIP(address) !== 0) src.ip = address;
  src.port = portOf(value.srcport);
  const dst = emptyEndpoint();
  dst.domain = name;
  const { status, detail } = statusOf(value);
  const queryType = text(value.query_type);

  return {
    uid: eventUid(ref),
    time,
    source: 'aws.route53resolver',
    category: 'network',
    class_uid: 4003,
    class_name: 'DNS Activity',
    activity: 'Query',
    status,
    status_detail: detail,
    actor: emptyActor(),
    src,
    dst,
    user_agent: null,
    cloud: { provider: 'aws', account: text(value.account_id), region: text(value.region) },
    api: { service: null, operation: queryType, request_id: null, read_only: null },
    resources: resourcesOf(value),
    message: summaryOf(value, src.ip, queryType, name, detail),
    tags: [],
    evidence: ref,
    raw: value,
  };
}

type Query = JsonObject & { query_name: string };

function isQuery(value: unknown): value is Query {
  return isObject(value) && typeof value.query_name === 'string';
}

// A CloudWatch Logs event carries the record as the text of `message` or `@message`.
function unwrap(value: unknown): { query: Query } | { error: NormalizeError } {
  if (isQuery(value)) return { query: value };

  const message = isObject(value) ? (value['@message'] ?? value.message) : undefined;
  if (typeof message !== 'string') {
    return { error: notQuery('the record is no Resolver query log record') };
  }
  if (message.length > MAX_MESSAGE_CHARS) {
    const reason = 'the log event message is larger than 1 MiB';
    return { error: { code: 'record_too_large', reason } };
  }
  let inner: unknown;
  try {
    inner = parseJsonLossless(message);
  } catch {
    return { error: { code: 'invalid_json', reason: 'the log event message is not valid JSON' } };
  }
  if (!isQuery(inner)) return { error: notQuery('the log event message is no query log record') };

  return { query: inner };
}

function notQuery(reason: string): NormalizeError {
  return { code: 'not_dns_query', reason };
}

// The log writes the port as a string, and some copies write a number.
function portOf(value: unknown): number | null {
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port <= 65535 ? port : null;
}

// A query that DNS Firewall blocked fails whatever the response code is.
function statusOf(record: JsonObject): { status: Status; detail: string | null } {
  const firewall = text(record.firewall_rule_action);
  if (firewall === 'BLOCK') return { status: 'failure', detail: 'BLOCK' };

  const rcode = text(record.rcode);
  if (rcode === null) return { status: 'unknown', detail: null };
  if (rcode === 'NOERROR') return { status: 'success', detail: null };

  return { status: 'failure', detail: rcode };
}

function resourcesOf(record: JsonObject): Resource[] {
  const resources: Resource[] = [];
  const vpc = text(record.vpc_id);
  if (vpc !== null) resources.push({ uid: vpc, type: 'AWS::EC2::VPC' });

  const ids = isObject(record.srcids) ? record.srcids : {};
  for (const [key, type] of SOURCE_IDS) {
    const uid = text(ids[key]);
    if (uid !== null) resources.push({ uid, type });
  }
  const group = text(record.firewall_rule_group_id);
  if (group !== null)
    resources.push({ uid: group, type: 'AWS::Route53Resolver::FirewallRuleGroup' });

  return resources;
}

// `answers` is a list of `{Rdata, Type, Class}`, which some copies flatten to one object.
function firstAnswer(record: JsonObject): string | null {
  const answers = Array.isArray(record.answers) ? record.answers : [record.answers];
  const first = answers[0];
  return isObject(first) ? text(first.Rdata) : null;
}

// Such as `10.0.0.5 queried A evil.example -> NOERROR 203.0.113.9`.
function summaryOf(
  record: JsonObject,
  from: string | null,
  queryType: string | null,
  name: string,
  detail: string | null,
): string {
  const who = clipPart(from ?? 'unknown client');
  const what = queryType === null ? '' : `${clipPart(queryType)} `;
  const rcode = detail ?? text(record.rcode) ?? 'no response code';
  const answer = firstAnswer(record);
  const resolved = answer === null ? '' : ` ${clipPart(answer)}`;

  return `${who} queried ${what}${clipPart(name)} -> ${clipPart(rcode)}${resolved}`;
}
