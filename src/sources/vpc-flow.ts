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
import type { RecordContext } from './local-time.ts';
import { clipPart } from './message.ts';
import { integerField, present } from './text-fields.ts';
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
import { KNOWN_FIELDS, LAYOUTS_BY_COUNT, PROTOCOL_NAMES } from './vpc-flow-fields.ts';
import {
  CLOUDWATCH_RECORD_KEYS,
  flowFieldsOfJson,
  flowLineOf,
  sniffFlowJson,
  sniffFlowRecordJson,
} from './vpc-flow-json.ts';

const FIELD_NAME = /^[a-z][a-z0-9-]*$/;
const LOG_STATUSES = new Set(['OK', 'NODATA', 'SKIPDATA']);
const ACTIONS = new Set(['ACCEPT', 'REJECT']);
const SNIFF_LINES = 5;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/** Resource fields of a flow record, with the resource type each names. */
const RESOURCE_FIELDS: [string, string][] = [
  ['interface-id', 'AWS::EC2::NetworkInterface'],
  ['instance-id', 'AWS::EC2::Instance'],
  ['vpc-id', 'AWS::EC2::VPC'],
  ['subnet-id', 'AWS::EC2::Subnet'],
  ['tgw-id', 'AWS::EC2::TransitGateway'],
  ['tgw-attachment-id', 'AWS::EC2::TransitGatewayAttachment'],
  ['tgw-src-eni', 'AWS::EC2::NetworkInterface'],
  ['tgw-dst-eni', 'AWS::EC2::NetworkInterface'],
  ['tgw-src-vpc-id', 'AWS::EC2::VPC'],
  ['tgw-dst-vpc-id', 'AWS::EC2::VPC'],
  ['ecs-cluster-arn', 'AWS::ECS::Cluster'],
  ['ecs-task-arn', 'AWS::ECS::Task'],
];

/**
 * Amazon VPC Flow Logs and Transit Gateway Flow Logs as text, flow log record versions 2 to 8.
 * S3 delivery files (`…_vpcflowlogs_<region>_<flow log id>_<time>_<hash>.log.gz`) start with a
 * header line that names the fields of a custom format in any order. Lines without a header, as
 * CloudWatch Logs exports them as text or as the `message` of JSON log events, are read with the
 * default format or with every field in the documented order. A text record's `raw` maps the
 * field names to their text as written (`-` for missing), with the line itself under
 * `original`. A JSON log event is kept as read.
 */
export const vpcFlow: SourceFormat = {
  id: 'aws.vpcflow',
  description: 'Amazon VPC and Transit Gateway flow logs (default and custom formats)',
  example: '123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20240101T0000Z_a1b2c3d4.log.gz',
  logCategory: 'network',
  sniff: sniffVpcFlow,
  records: (input: Readable, context?: RecordContext): AsyncIterable<RecordResult> =>
    scanTextOrJsonRecords(input, new FlowLineParser(deliveryOf(context?.fileName)), {
      recordKeys: CLOUDWATCH_RECORD_KEYS,
    }),
  normalize: normalizeVpcFlow,
};

/** Returns the field names when the tokens form a header line, or `null` for a record line. */
function headerFields(tokens: string[]): string[] | null {
  if (!tokens.every((token) => FIELD_NAME.test(token))) return null;

  const known = tokens.filter((token) => KNOWN_FIELDS.has(token)).length;
  return known * 2 >= tokens.length ? tokens : null;
}

/** Reads flow log lines, taking the field names from the latest header line seen. */
/**
 * Key under which a record read from an S3 delivery file keeps the account and region that the
 * file's name gives, for lines whose fields lack them (the default format has no region).
 */
export const FILE_NAME_KEY = 'from_file_name';

// `<account>_vpcflowlogs_<region>_<flow log id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`, as S3 holds them.
const DELIVERY_NAME = /^(\d{12})_vpcflowlogs_([a-z]{2}(?:-[a-z]+)+-\d)_/;

/** The account and region an S3 delivery file's name gives, or null for another name. */
export function deliveryOf(
  fileName: string | undefined,
): { account: string; region: string } | null {
  const found = DELIVERY_NAME.exec(fileName ?? '');
  return found === null ? null : { account: found[1] ?? '', region: found[2] ?? '' };
}

class FlowLineParser implements LineParser {
  #fields: string[] | null = null;
  readonly #delivery: { account: string; region: string } | null;

  constructor(delivery: { account: string; region: string } | null = null) {
    this.#delivery = delivery;
  }

  parse(line: string): LineParse {
    const tokens = line.trim().split(/ +/);
    const header = headerFields(tokens);
    if (header !== null) {
      this.#fields = header;
      return { kind: 'skip' };
    }

    const fields = this.#fields ?? LAYOUTS_BY_COUNT.get(tokens.length) ?? null;
    if (fields === null) {
      const reason = `no header line names the fields, and ${tokens.length} fields match no default layout`;
      return { kind: 'rejected', code: 'unknown_layout', reason };
    }
    if (fields.length !== tokens.length) {
      const reason = `the line has ${tokens.length} fields but the header names ${fields.length}`;
      return { kind: 'rejected', code: 'field_count', reason };
    }

    const value: Record<string, unknown> = {};
    fields.forEach((name, i) => {
      value[name] = tokens[i];
    });
    value[RAW_LINE_KEY] = line;
    if (this.#delivery !== null) value[FILE_NAME_KEY] = this.#delivery;
    return { kind: 'record', value };
  }
}

/** Scores how much the first bytes of a stream look like flow log lines. */
export function sniffVpcFlow(head: Buffer, _name: string): number {
  const textHead = head.toString('latin1').trimStart();
  if (textHead.startsWith('{') || textHead.startsWith('[')) {
    return Math.max(sniffFlowJson(textHead), sniffFlowRecordJson(textHead));
  }

  const lines = headLines(head, SNIFF_LINES);
  const first = lines[0];
  if (first === undefined) return 0;

  const firstTokens = first.trim().split(/ +/);
  const header = headerFields(firstTokens);
  if (header !== null) {
    const hasFlow = header.includes('srcaddr') || header.includes('interface-id');
    return hasFlow && header.some((name) => name === 'start' || name === 'end') ? 0.95 : 0;
  }

  const flowLike = (line: string): boolean => {
    const tokens = line.trim().split(/ +/);
    if (!LAYOUTS_BY_COUNT.has(tokens.length) || !/^[2-8]$/.test(tokens[0] ?? '')) return false;
    return tokens.some((token) => LOG_STATUSES.has(token));
  };
  return scoreLines(lines, flowLike, 0.9);
}

type Fields = Record<string, unknown>;

function field(record: Fields, name: string): string | null {
  const value = record[name];
  return typeof value === 'string' ? present(value) : null;
}

function count(record: Fields, name: string): number | null {
  const value = record[name];
  return typeof value === 'string' ? integerField(value) : null;
}

/** Maps one flow log record, an object of named text fields, to an event. */
export function normalizeVpcFlow(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { code: 'not_vpc_flow', reason: 'the record is not an object of flow log fields' };
  }
  const found = fieldsOf(value as Fields);
  if ('error' in found) return found.error;
  const record = found.fields;

  // The end of the capture window is the event time, as in Elastic's AWS integration: a record
  // is written once its window closes, and `start` alone is a fallback.
  const epoch = count(record, 'end') ?? count(record, 'start');
  const written = field(record, 'end') ?? field(record, 'start');
  if (epoch === null && written === null) {
    return { code: 'missing_time', reason: 'the flow record has no start or end time' };
  }
  // JSON renderings may write the time as an RFC 3339 text in place of epoch seconds.
  const time = parseTimestamp(epoch ?? (ISO_TIME.test(written ?? '') ? written : null));
  if (epoch === null && time === null) {
    const reason = 'the flow record time is neither a number of seconds nor an RFC 3339 time';
    return { code: 'invalid_time', reason };
  }
  if (time === null) {
    return { code: 'invalid_time', reason: 'the flow record time is not a valid instant' };
  }

  const action = field(record, 'action');
  const logStatus = field(record, 'log-status');
  const { status, detail } = statusOf(action, logStatus, field(record, 'reject-reason'));
  const src = endpointOf(record, 'src');
  src.bytes = count(record, 'bytes');
  src.packets = count(record, 'packets');
  const dst = endpointOf(record, 'dst');
  const resources = resourcesOf(record);

  return {
    uid: eventUid(ref),
    time,
    source: 'aws.vpcflow',
    category: 'network',
    class_uid: 4001,
    class_name: 'Network Activity',
    activity: activityOf(action),
    status,
    status_detail: detail,
    actor: emptyActor(),
    src,
    dst,
    user_agent: null,
    cloud: {
      provider: 'aws',
      account: field(record, 'account-id') ?? fromFileName(record, 'account'),
      region: regionOf(record),
    },
    api: { service: null, operation: null, request_id: null, read_only: null },
    resources,
    message: summaryOf(record, action, logStatus, src, dst, resources),
    tags: [],
    evidence: ref,
    raw: value as Fields,
  };
}

// A record read from a text line carries the line. A CloudWatch Logs event carries it as its
// message, which is read with the layouts of lines without a header. A JSON rendering names the
// fields as keys.
function fieldsOf(value: Fields): { fields: Fields } | { error: NormalizeError } {
  if (typeof value[RAW_LINE_KEY] === 'string') return { fields: value };

  const line = flowLineOf(value);
  if (line === null) {
    const fromJson = flowFieldsOfJson(value);
    if (fromJson !== null) return { fields: fromJson };
    const reason = 'the record is no log event with a message and names no flow addresses';
    return { error: { code: 'not_vpc_flow', reason } };
  }
  const parsed = new FlowLineParser().parse(line);
  if (parsed.kind === 'record') return { fields: parsed.value };
  if (parsed.kind === 'rejected') return { error: { code: parsed.code, reason: parsed.reason } };

  const reason = 'the log event contains a header line, not a record';
  return { error: { code: 'not_vpc_flow', reason } };
}

// OCSF Network Activity: traffic that a security group or network ACL refused is `Refuse`.
function activityOf(action: string | null): string {
  if (action === 'ACCEPT') return 'Traffic';
  if (action === 'REJECT') return 'Refuse';
  return 'Other';
}

// A record with no data (`NODATA`, `SKIPDATA`) has no action, so its status is unknown.
function statusOf(
  action: string | null,
  logStatus: string | null,
  rejectReason: string | null,
): { status: Status; detail: string | null } {
  if (action === 'ACCEPT') return { status: 'success', detail: null };
  if (action === 'REJECT') return { status: 'failure', detail: rejectReason ?? 'REJECT' };
  if (logStatus !== null && logStatus !== 'OK') return { status: 'unknown', detail: logStatus };

  return { status: 'unknown', detail: null };
}

// Records without the `region` field still name it in the ARNs of ECS fields.
function regionOf(record: Fields): string | null {
  const region = field(record, 'region');
  if (region !== null) return region;

  const arn = field(record, 'ecs-cluster-arn') ?? field(record, 'ecs-task-arn');
  const fromArn = arn === null ? null : (/^arn:aws[\w-]*:ecs:([a-z0-9-]+):/.exec(arn)?.[1] ?? null);
  return fromArn ?? fromFileName(record, 'region');
}

function fromFileName(record: Fields, key: 'account' | 'region'): string | null {
  const delivery = record[FILE_NAME_KEY];
  if (typeof delivery !== 'object' || delivery === null) return null;
  const value = (delivery as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
}

function endpointOf(record: Fields, side: 'src' | 'dst'): Endpoint {
  const endpoint = emptyEndpoint();
  endpoint.ip = field(record, `${side}addr`);
  endpoint.port = count(record, `${side}port`);
  return endpoint;
}

function resourcesOf(record: Fields): Resource[] {
  const found = new Map<string, Resource>();
  for (const [name, type] of RESOURCE_FIELDS) {
    const uid = field(record, name);
    if (uid !== null && !found.has(uid)) found.set(uid, { uid, type });
  }
  return [...found.values()];
}

function protocolOf(record: Fields): string | null {
  const number = count(record, 'protocol');
  if (number === null) return null;
  return PROTOCOL_NAMES.get(number) ?? `protocol ${number}`;
}

function endpointText(endpoint: Endpoint): string {
  const ip = clipPart(endpoint.ip ?? '?');
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return endpoint.port === null ? host : `${host}:${endpoint.port}`;
}

// Such as `REJECT tcp 198.51.100.7:50041 -> 10.0.0.5:22, 3 packets, 180 bytes on eni-0a1b`.
function summaryOf(
  record: Fields,
  action: string | null,
  logStatus: string | null,
  src: Endpoint,
  dst: Endpoint,
  resources: Resource[],
): string {
  const where = resources[0] === undefined ? '' : ` on ${clipPart(resources[0].uid)}`;
  if (src.ip === null && dst.ip === null) {
    return `${clipPart(logStatus ?? 'no traffic')}${where}`;
  }

  const verdict = action !== null && ACTIONS.has(action) ? action : clipPart(logStatus ?? 'flow');
  const protocol = protocolOf(record);
  const what = protocol === null ? verdict : `${verdict} ${protocol}`;
  const packets = src.packets === null ? '' : `, ${src.packets} packets`;
  const bytes = src.bytes === null ? '' : `, ${src.bytes} bytes`;

  return `${what} ${endpointText(src)} -> ${endpointText(dst)}${packets}${bytes}${where}`;
}
