import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Actor,
  type Category,
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Resource,
} from '../core/event.ts';
import { text } from './cloudtrail-actor.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

/** `aws guardduty get-findings` prints `{"Findings": [...]}`. */
const RECORD_KEYS = ['Findings'];

const MARKERS: [RegExp, number][] = [
  [/"detail-type"\s*:\s*"GuardDuty Finding"/, 0.95],
  [
    /"serviceName"\s*:\s*"guardduty"[\s\S]*"detectorId"|"detectorId"[\s\S]*"serviceName"\s*:\s*"guardduty"/,
    0.9,
  ],
  [/"arn"\s*:\s*"arn:aws[\w-]*:guardduty:[\w-]*:\d*:detector\/\w+\/finding\//, 0.9],
];

const RESOURCE_CATEGORIES = new Map<string, Category>([
  ['AccessKey', 'identity'],
  ['Instance', 'compute'],
  ['Lambda', 'compute'],
  ['ECSCluster', 'compute'],
  ['Container', 'compute'],
  ['S3Bucket', 'storage'],
  ['S3Object', 'storage'],
  ['EKSCluster', 'kubernetes'],
  ['KubernetesCluster', 'kubernetes'],
  ['RDSDBInstance', 'database'],
  ['RDSLimitlessDB', 'database'],
]);

/**
 * Amazon GuardDuty findings (finding schema 2.0): bare findings as JSON lines or arrays, `aws
 * guardduty get-findings` output, and EventBridge events whose `detail` is the finding. The
 * record as read is kept as `raw`.
 */
export const guardDuty: SourceFormat = {
  id: 'aws.guardduty',
  description: 'Amazon GuardDuty findings (get-findings output, EventBridge, JSON lines)',
  example: 'guardduty-findings.json',
  sniff: sniffGuardDuty,
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanJsonRecords(input, { recordKeys: RECORD_KEYS }),
  normalize: normalizeGuardDuty,
};

/** Scores how much the first bytes of a stream look like GuardDuty findings. */
export function sniffGuardDuty(head: Buffer, _name: string): number {
  return jsonMarkerScore(head, MARKERS);
}

function findingOf(value: unknown): JsonObject | null {
  if (!isObject(value)) return null;
  if (text(value['detail-type']) === 'GuardDuty Finding' && isObject(value.detail)) {
    return value.detail;
  }
  return typeof value.type === 'string' && isObject(value.service) ? value : null;
}

function objectAt(value: unknown, ...path: string[]): JsonObject | null {
  let current: unknown = value;
  for (const key of path) {
    if (!isObject(current)) return null;
    current = current[key];
  }
  return isObject(current) ? current : null;
}

/** Maps one GuardDuty finding, bare or in an EventBridge event, to an event. */
export function normalizeGuardDuty(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  const finding = findingOf(value);
  if (finding === null) {
    return { code: 'not_guardduty', reason: 'the record is no GuardDuty finding' };
  }
  const service = objectAt(finding, 'service') ?? {};

  // The time the activity was first seen leads the timeline, because GuardDuty may create and
  // update the finding much later as it counts repeats.
  const found = service.eventFirstSeen ?? finding.createdAt ?? finding.updatedAt;
  if (found === undefined || found === null) {
    return { code: 'missing_time', reason: 'the finding has no eventFirstSeen or createdAt' };
  }
  const time = parseTimestamp(found);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the finding time is not a valid timestamp' };
  }

  const type = text(finding.type);
  const resource = objectAt(finding, 'resource') ?? {};
  const action = objectAt(service, 'action') ?? {};
  const apiCall = objectAt(action, 'awsApiCallAction');
  const { src, dst } = endpointsOf(action);
  const actor = actorOf(resource, text(finding.accountId));
  const errorCode = apiCall === null ? null : text(apiCall.errorCode);

  return {
    uid: eventUid(ref),
    time,
    source: 'aws.guardduty',
    category: RESOURCE_CATEGORIES.get(text(resource.resourceType) ?? '') ?? 'audit',
    class_uid: 2004,
    class_name: 'Detection Finding',
    activity: service.archived === true ? 'Close' : 'Create',
    status: errorCode === null ? 'unknown' : 'failure',
    status_detail: errorCode,
    actor,
    src,
    dst,
    user_agent: text(objectAt(apiCall, 'userAgent')?.fullUserAgent) ?? text(apiCall?.userAgent),
    cloud: { provider: 'aws', account: text(finding.accountId), region: text(finding.region) },
    api: {
      service: apiCall === null ? null : text(apiCall.serviceName),
      operation: apiCall === null ? null : text(apiCall.api),
      request_id: text(finding.id),
      read_only: null,
    },
    resources: resourcesOf(finding, resource, apiCall),
    message: summaryOf(finding, type, src),
    tags: [],
    evidence: ref,
    raw: isObject(value) ? value : finding,
  };
}

function addressOf(details: JsonObject | null): string | null {
  if (details === null) return null;
  const address = text(details.ipAddressV4) ?? text(details.ipAddressV6);
  return address !== null && isIP(address) !== 0 ? address : null;
}

function portOf(details: JsonObject | null): number | null {
  const port = details?.port;
  return typeof port === 'number' && Number.isInteger(port) ? port : null;
}

// The remote party is the source of inbound connections, port probes and API calls, and the
// destination of outbound connections and DNS requests.
function endpointsOf(action: JsonObject): { src: Endpoint; dst: Endpoint } {
  const src = emptyEndpoint();
  const dst = emptyEndpoint();
  const connection = objectAt(action, 'networkConnectionAction');
  if (connection !== null) {
    const remote = {
      ip: addressOf(objectAt(connection, 'remoteIpDetails')),
      port: portOf(objectAt(connection, 'remotePortDetails')),
    };
    const local = {
      ip: addressOf(objectAt(connection, 'localIpDetails')),
      port: portOf(objectAt(connection, 'localPortDetails')),
    };
    const outbound = text(connection.connectionDirection) === 'OUTBOUND';
    Object.assign(src, outbound ? local : remote);
    Object.assign(dst, outbound ? remote : local);
    return { src, dst };
  }

  const probes = objectAt(action, 'portProbeAction')?.portProbeDetails;
  if (Array.isArray(probes) && isObject(probes[0])) {
    src.ip = addressOf(objectAt(probes[0], 'remoteIpDetails'));
    dst.port = portOf(objectAt(probes[0], 'localPortDetails'));
    return { src, dst };
  }

  const dns = objectAt(action, 'dnsRequestAction');
  if (dns !== null) {
    dst.domain = text(dns.domain);
    return { src, dst };
  }

  const call = objectAt(action, 'awsApiCallAction') ?? objectAt(action, 'kubernetesApiCallAction');
  if (call !== null) {
    const sourceIps = Array.isArray(call.sourceIps) ? call.sourceIps : [];
    src.ip = addressOf(objectAt(call, 'remoteIpDetails')) ?? text(sourceIps[0]);
    src.domain = text(objectAt(call, 'domainDetails')?.domain);
  }
  return { src, dst };
}

function actorOf(resource: JsonObject, account: string | null): Actor {
  const actor = emptyActor();
  const key = objectAt(resource, 'accessKeyDetails');
  if (key === null) return actor;

  actor.uid = text(key.principalId);
  actor.name = text(key.userName);
  actor.type = text(key.userType);
  actor.access_key = text(key.accessKeyId);
  actor.account = account;
  return actor;
}

function resourcesOf(
  finding: JsonObject,
  resource: JsonObject,
  apiCall: JsonObject | null,
): Resource[] {
  const found = new Map<string, Resource>();
  const add = (uid: string | null, type: string): void => {
    if (uid !== null && uid !== '' && !found.has(uid)) found.set(uid, { uid, type });
  };

  add(text(objectAt(resource, 'instanceDetails')?.instanceId), 'AWS::EC2::Instance');
  add(text(objectAt(resource, 'accessKeyDetails')?.accessKeyId), 'AWS::IAM::AccessKey');
  add(text(objectAt(resource, 'eksClusterDetails')?.arn), 'AWS::EKS::Cluster');
  add(text(objectAt(resource, 'lambdaDetails')?.functionArn), 'AWS::Lambda::Function');
  const buckets = resource.s3BucketDetails;
  if (Array.isArray(buckets)) {
    for (const bucket of buckets) if (isObject(bucket)) add(text(bucket.arn), 'AWS::S3::Bucket');
  }
  const affected = objectAt(apiCall, 'affectedResources') ?? {};
  for (const [type, uid] of Object.entries(affected)) add(text(uid), type);
  add(text(finding.arn), 'AWS::GuardDuty::Finding');

  return [...found.values()];
}

// GuardDuty's severity levels: 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0 and above critical.
function severityLabel(severity: unknown): string {
  if (typeof severity !== 'number') return 'unrated';
  if (severity >= 9) return 'critical';
  if (severity >= 7) return 'high';
  if (severity >= 4) return 'medium';
  return 'low';
}

// Such as `GuardDuty high UnauthorizedAccess:EC2/SSHBruteForce from 198.51.100.7: <title>`.
function summaryOf(finding: JsonObject, type: string | null, src: Endpoint): string {
  const severity = severityLabel(finding.severity);
  const what = clipPart(type ?? 'finding');
  const from = src.ip ?? src.domain;
  const where = from === null ? '' : ` from ${clipPart(from)}`;
  const title = text(finding.title);
  const about = title === null ? '' : `: ${clipPart(title)}`;

  return `GuardDuty ${severity} ${what}${where}${about}`;
}
