import type { Readable } from 'node:stream';
import {
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Resource,
  type Status,
} from '../core/event.ts';
import { elbFieldsOfJson, sniffElbJson } from './elb-json.ts';
import { type ElbLayout, ElbLineParser, layoutOf, layoutOfRecord } from './elb-layouts.ts';
import { clipPart } from './message.ts';
import { integerField, present, splitEndpoint, splitFields } from './text-fields.ts';
import { headLines, RAW_LINE_KEY, scoreLines } from './text-lines.ts';
import { scanTextOrJsonRecords } from './text-or-json.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

const SNIFF_LINES = 5;
const HTTP_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);
const ARN_PLACE = /^arn:aws[\w-]*:[\w-]+:([a-z0-9-]*):(\d{12})?:/;

/**
 * Elastic Load Balancing logs as S3 delivers them (`…_elasticloadbalancing_<region>_<lb>_<time>
 * _<ip>_<id>.log.gz`): Application Load Balancer access and connection logs, Network Load
 * Balancer TLS access logs and Classic Load Balancer access logs, which may be mixed in one
 * file. Each line is read by its own layout. Each record's `raw` maps the field names to their
 * text as written (`-` for missing), with the line itself under `original`. JSON renderings of
 * the same records (see `elb-json.ts`) are read too, and keep the JSON object as `raw`.
 */
export const elb: SourceFormat = {
  id: 'aws.elb',
  description: 'Elastic Load Balancing access logs (ALB, NLB, Classic) and ALB connection logs',
  example:
    '123456789012_elasticloadbalancing_us-east-1_app.my-alb.0123456789abcdef_20240101T0000Z_198.51.100.1_abc.log.gz',
  logCategory: 'network',
  sniff: sniffElb,
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanTextOrJsonRecords(input, new ElbLineParser()),
  normalize: normalizeElb,
};

/** Scores how much the first bytes of a stream look like load balancer log lines. */
export function sniffElb(head: Buffer, _name: string): number {
  const textHead = head.toString('latin1').trimStart();
  if (textHead.startsWith('{') || textHead.startsWith('[')) return sniffElbJson(textHead);

  const elbLike = (line: string): boolean => {
    const fields = splitFields(line);
    if (!Array.isArray(fields) || fields.length < 11) return false;

    const layout = layoutOf(fields);
    if (layout === null) return false;
    // A Classic line names its load balancer, then the client and backend as address:port.
    if (layout === 'classic') return splitEndpoint(fields[2]).port !== null;
    return true;
  };
  return scoreLines(headLines(head, SNIFF_LINES), elbLike, 0.85);
}

type Fields = Record<string, unknown>;

function field(record: Fields, name: string): string | null {
  const value = record[name];
  return typeof value === 'string' ? present(value) : null;
}

function count(record: Fields, name: string): number | null {
  return integerField(field(record, name) ?? undefined);
}

/** Maps one load balancer log record, an object of named text fields, to an event. */
export function normalizeElb(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { code: 'not_elb', reason: 'the record is not an object of load balancer log fields' };
  }
  // A record read from a text line carries the line; any other is a JSON rendering.
  const original = value as Fields;
  const fromText = typeof original[RAW_LINE_KEY] === 'string';
  const record = fromText ? original : elbFieldsOfJson(original);
  if (record === null) {
    return { code: 'not_elb', reason: 'the record has no load balancer log fields' };
  }

  const written = field(record, 'time');
  if (written === null) return { code: 'missing_time', reason: 'the record has no time' };
  const time = parseTimestamp(written);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the record time is not a valid timestamp' };
  }

  const layout = layoutOfRecord(record);
  let part: EventPart;
  if (layout === 'connection') part = connectionOf(record);
  else if (layout === 'nlb') part = tlsAccessOf(record);
  else part = httpAccessOf(record, layout);

  // Fields are copied one by one, because spreading two objects into the event cost more than
  // the rest of normalizing together (measured on Node 20.20 under tsx, 2 cores).
  return {
    uid: eventUid(ref),
    time,
    source: 'aws.elb',
    category: 'network',
    class_uid: part.class_uid,
    class_name: part.class_name,
    activity: part.activity,
    status: part.status,
    status_detail: part.status_detail,
    actor: emptyActor(),
    src: part.src,
    dst: part.dst,
    user_agent: part.user_agent,
    cloud: part.cloud,
    api: part.api,
    resources: part.resources,
    message: part.message,
    tags: [],
    evidence: ref,
    raw: original,
  };
}

type EventPart = Omit<
  Event,
  'uid' | 'time' | 'source' | 'category' | 'actor' | 'tags' | 'evidence' | 'raw'
>;

/** Maps an HTTP request through an Application or Classic Load Balancer to event fields. */
function httpAccessOf(record: Fields, layout: ElbLayout): EventPart {
  const request = parseRequest(field(record, 'request'));
  const src = endpointOf(field(record, 'client:port'));
  src.bytes = count(record, 'received_bytes');
  const dst = endpointOf(field(record, layout === 'alb' ? 'target:port' : 'backend:port'));
  dst.bytes = count(record, 'sent_bytes');
  dst.domain = field(record, 'domain_name') ?? request.host;
  const { status, detail } = httpStatusOf(record);
  const resources = resourcesOf(record, layout);
  const method = request.method;

  const what = method === null ? 'malformed request' : `${method} ${clipPart(request.url ?? '')}`;
  const code = field(record, 'elb_status_code') ?? 'no response';
  const message = `${what} from ${clipPart(src.ip ?? 'unknown client')} -> ${clipPart(code)}`;

  return {
    class_uid: 4002,
    class_name: 'HTTP Activity',
    activity: method === null ? 'Other' : `${method[0]}${method.slice(1).toLowerCase()}`,
    status,
    status_detail: detail,
    src,
    dst,
    user_agent: field(record, 'user_agent'),
    cloud: cloudOf(record),
    api: {
      service: null,
      operation: method,
      request_id: field(record, 'trace_id'),
      read_only: null,
    },
    resources,
    message: `${message}${onBalancer(resources)}`,
  };
}

/** Maps a TLS connection through a Network Load Balancer's TLS listener to event fields. */
function tlsAccessOf(record: Fields): EventPart {
  const src = endpointOf(field(record, 'client:port'));
  src.bytes = count(record, 'received_bytes');
  const dst = endpointOf(field(record, 'destination:port'));
  dst.bytes = count(record, 'sent_bytes');
  dst.domain = field(record, 'domain_name');
  const alert = field(record, 'incoming_tls_alert');
  const resources = resourcesOf(record, 'nlb');
  const from = clipPart(src.ip ?? 'unknown client');
  const to = clipPart(dst.ip ?? 'unknown listener');

  return {
    class_uid: 4001,
    class_name: 'Network Activity',
    activity: 'Traffic',
    status: alert === null ? 'success' : 'failure',
    status_detail: alert,
    src,
    dst,
    user_agent: null,
    cloud: cloudOf(record),
    api: { service: null, operation: null, request_id: null, read_only: null },
    resources,
    message: `TLS connection from ${from} to ${to}${onBalancer(resources)}`,
  };
}

/** Maps a TLS handshake from an Application Load Balancer's connection log to event fields. */
function connectionOf(record: Fields): EventPart {
  const src = emptyEndpoint();
  src.ip = field(record, 'client_ip');
  src.port = count(record, 'client_port');
  const dst = emptyEndpoint();
  dst.port = count(record, 'listener_port');
  const verify = field(record, 'tls_verify_status');
  let status: Status = 'unknown';
  if (verify === 'Success') status = 'success';
  else if (verify?.startsWith('Failed') === true) status = 'failure';
  const port = dst.port === null ? '' : ` on port ${dst.port}`;
  const outcome = verify === null ? '' : `: ${clipPart(verify)}`;

  return {
    class_uid: 4001,
    class_name: 'Network Activity',
    activity: 'Open',
    status,
    status_detail: status === 'failure' ? verify : null,
    src,
    dst,
    user_agent: null,
    cloud: { provider: 'aws', account: null, region: null },
    api: {
      service: null,
      operation: null,
      request_id: field(record, 'conn_trace_id'),
      read_only: null,
    },
    resources: [],
    message: `TLS handshake from ${clipPart(src.ip ?? 'unknown client')}${port}${outcome}`,
  };
}

function endpointOf(value: string | null): Endpoint {
  const endpoint = emptyEndpoint();
  const { ip, port } = splitEndpoint(value ?? undefined);
  endpoint.ip = ip;
  endpoint.port = port;
  return endpoint;
}

/**
 * Splits `"GET http://host:80/path HTTP/1.1"`. The URL runs up to the protocol, because ELB logs
 * a URL that contains spaces as the client sent it. A request that ELB could not parse, such as
 * `"- - - "`, gives nulls.
 */
function parseRequest(request: string | null): {
  method: string | null;
  url: string | null;
  host: string | null;
} {
  const parts = (request ?? '').trim().split(' ');
  const method = parts[0];
  if (method === undefined || !HTTP_METHODS.has(method)) {
    return { method: null, url: null, host: null };
  }

  const hasProtocol = parts.length > 2 && /^HTTP\/\d/.test(parts.at(-1) ?? '');
  const url = parts.slice(1, hasProtocol ? -1 : undefined).join(' ');
  const host = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#\s]+)/i.exec(url)?.[1] ?? null;
  return { method, url: url === '' ? null : url, host };
}

// The load balancer's own status decides, because a target may return 200 while ELB times out
// with 504.
function httpStatusOf(record: Fields): { status: Status; detail: string | null } {
  const code = count(record, 'elb_status_code');
  const reason = field(record, 'error_reason');
  if (code === null) return { status: 'unknown', detail: reason };
  if (code >= 400) return { status: 'failure', detail: reason ?? String(code) };

  return { status: 'success', detail: reason };
}

function resourcesOf(record: Fields, layout: ElbLayout): Resource[] {
  const resources: Resource[] = [];
  const name = field(record, 'elb');
  if (name !== null) {
    const type =
      layout === 'classic'
        ? 'AWS::ElasticLoadBalancing::LoadBalancer'
        : 'AWS::ElasticLoadBalancingV2::LoadBalancer';
    resources.push({ uid: name, type });
  }
  const group = field(record, 'target_group_arn');
  if (group !== null)
    resources.push({ uid: group, type: 'AWS::ElasticLoadBalancingV2::TargetGroup' });
  const certificate = field(record, 'chosen_cert_arn');
  if (certificate?.startsWith('arn:') === true) {
    resources.push({ uid: certificate, type: 'AWS::CertificateManager::Certificate' });
  }
  return resources;
}

// Access logs name no account or region, but the target group and certificate ARNs do.
function cloudOf(record: Fields): Event['cloud'] {
  for (const name of ['target_group_arn', 'chosen_cert_arn']) {
    const match = ARN_PLACE.exec(field(record, name) ?? '');
    if (match !== null) {
      return { provider: 'aws', account: match[2] ?? null, region: present(match[1]) };
    }
  }
  return { provider: 'aws', account: null, region: null };
}

function onBalancer(resources: Resource[]): string {
  const balancer = resources[0];
  return balancer === undefined ? '' : ` via ${clipPart(balancer.uid)}`;
}
