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
  metadataUid,
  type Resource,
  type Status,
} from '../core/event.ts';
import { text } from './cloudtrail-actor.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { isGcpFlowEntry, normalizeGcpFlow } from './gcp-vpc-flow.ts';
import { isGkeAudit, normalizeGkeAudit } from './gke-audit.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

/** `gcloud logging read --format=json` prints an array; Logging API exports use `entries`. */
const RECORD_KEYS = ['entries'];

const MARKERS: [RegExp, number][] = [
  [/"(@type|at_sign_type)"\s*:\s*"type\.googleapis\.com\/google\.cloud\.audit\.AuditLog"/, 0.95],
  [/"logName"\s*:\s*"[^"]*cloudaudit\.googleapis\.com/, 0.95],
  [/"protoPayload"\s*:[\s\S]*"methodName"\s*:/, 0.85],
  [/"logName"\s*:\s*"[^"]*\/logs\/compute\.googleapis\.com(%2F|\/)vpc_flows"/, 0.9],
];

// Canonical gRPC status codes (google.rpc.Code), which `protoPayload.status.code` carries.
const RPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const SERVICE_CATEGORIES = new Map<string, Category>([
  ['iam.googleapis.com', 'identity'],
  ['iamcredentials.googleapis.com', 'identity'],
  ['sts.googleapis.com', 'identity'],
  ['login.googleapis.com', 'identity'],
  ['admin.googleapis.com', 'identity'],
  ['cloudidentity.googleapis.com', 'identity'],
  ['secretmanager.googleapis.com', 'secrets'],
  ['cloudkms.googleapis.com', 'secrets'],
  ['storage.googleapis.com', 'storage'],
  ['compute.googleapis.com', 'compute'],
  ['run.googleapis.com', 'compute'],
  ['cloudfunctions.googleapis.com', 'compute'],
  ['container.googleapis.com', 'kubernetes'],
  ['k8s.io', 'kubernetes'],
  ['sqladmin.googleapis.com', 'database'],
  ['bigquery.googleapis.com', 'database'],
  ['spanner.googleapis.com', 'database'],
  ['firestore.googleapis.com', 'database'],
  ['dns.googleapis.com', 'network'],
  ['networkservices.googleapis.com', 'network'],
]);

// Compute Engine methods that change networks rather than instances.
const COMPUTE_NETWORK =
  /\.(networks|subnetworks|firewalls|routes|routers|addresses|forwardingRules|vpnTunnels|globalAddresses)\./;

const VERBS: [RegExp, string][] = [
  [/\.(get|list|search|read|lookup|query|testIamPermissions|aggregatedList)\w*$/i, 'Read'],
  [/\.(create|insert|add|generate\w*|upload|import|signBlob|signJwt)$/i, 'Create'],
  [/\.(delete|remove|destroy|purge|undelete)$/i, 'Delete'],
  [
    /\.(update|patch|set\w*|enable|disable|start|stop|reset|resize|move|attach\w*|detach\w*)$/i,
    'Update',
  ],
];

/**
 * Google Cloud Audit Logs (Admin Activity, Data Access, System Event and Policy Denied): Cloud
 * Logging `LogEntry` records whose `protoPayload` is an `AuditLog`, as JSON lines, the JSON array
 * `gcloud logging read --format=json` prints, or Logging API responses (`entries`). GKE's
 * Kubernetes audit log arrives in this shape with service `k8s.io`; its entries become
 * `k8s.audit` events (see `gke-audit.ts`).
 */
export const gcpAudit: SourceFormat = {
  id: 'gcp.audit',
  description:
    'Google Cloud Audit Logs (admin activity, data access, system event, GKE) and VPC Flow Logs',
  eventSources: ['gcp.audit', 'gcp.vpcflow', 'k8s.audit'],
  sourceCoverage: { 'gcp.vpcflow': { logCategory: 'network' } },
  example: 'cloudaudit.googleapis.com%2Factivity.json',
  logCategory: 'audit',
  // GKE's audit entries show what happened inside clusters.
  alsoCovers: ['identity', 'secrets', 'storage', 'kubernetes'],
  sniff: sniffGcpAudit,
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanJsonRecords(input, { recordKeys: RECORD_KEYS }),
  normalize: normalizeGcpAudit,
};

/** Scores how much the first bytes of a stream look like Cloud Audit Logs entries. */
export function sniffGcpAudit(head: Buffer, _name: string): number {
  return jsonMarkerScore(head, MARKERS);
}

/** Maps one parsed `LogEntry` with an `AuditLog` payload to an event. */
export function normalizeGcpAudit(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) return notAudit('the record is not a JSON object');
  const time = entryTime(value);
  if (typeof time !== 'string') return time;

  const payload = value.protoPayload;
  if (!isObject(payload)) {
    if (isGcpFlowEntry(value)) return normalizeGcpFlow(value, time, ref, projectOf(value));
    if (isLogEntry(value)) return normalizeLogEntry(value, time, ref);
    return notAudit('the log entry has no protoPayload');
  }

  if (isGkeAudit(payload)) return normalizeGkeAudit(value, payload, time, ref);

  const service = text(payload.serviceName);
  const method = text(payload.methodName);
  const resource = isObject(value.resource) ? value.resource : {};
  const labels = isObject(resource.labels) ? resource.labels : {};
  const { status, detail } = statusOf(payload);
  const actor = actorOf(payload);
  const src = sourceOf(payload);
  const requestMetadata = isObject(payload.requestMetadata) ? payload.requestMetadata : {};

  return {
    uid: eventUid(ref),
    time,
    source: 'gcp.audit',
    category: categoryOf(service, method),
    class_uid: 6003,
    class_name: 'API Activity',
    activity: activityOf(method),
    status,
    status_detail: detail,
    actor,
    src,
    dst: emptyEndpoint(),
    user_agent: text(requestMetadata.callerSuppliedUserAgent),
    cloud: {
      provider: 'gcp',
      account: projectOf(value),
      region: regionOf(labels),
    },
    api: {
      service,
      operation: method,
      request_id: text(value.insertId),
      read_only: readOnlyOf(payload, text(value.logName)),
    },
    resources: resourcesOf(payload, text(resource.type)),
    message: summaryOf(actor.uid, service, method, src, detail),
    tags: [],
    evidence: ref,
    raw: value,
    ...metadataUid(text(value.insertId)),
  };
}

function entryTime(value: JsonObject): string | NormalizeError {
  // Panther re-exports keep the entry's time in `p_event_time` when the entry lost its own.
  const found = value.timestamp ?? value.receiveTimestamp ?? value.p_event_time;
  if (found === undefined || found === null) {
    return { code: 'missing_time', reason: 'the log entry has no timestamp' };
  }
  const time = parseTimestamp(found);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the log entry time is not a valid timestamp' };
  }
  return time;
}

function isLogEntry(value: JsonObject): boolean {
  const hasPayload = 'textPayload' in value || isObject(value.jsonPayload);
  return typeof value.logName === 'string' && hasPayload;
}

/**
 * Maps a Cloud Logging entry that is no audit log, such as an application's `textPayload` or
 * `jsonPayload`, to a `gcp.logging` event whose operation is the log name.
 */
function normalizeLogEntry(value: JsonObject, time: string, ref: EvidenceRef): Event {
  const resource = isObject(value.resource) ? value.resource : {};
  const labels = isObject(resource.labels) ? resource.labels : {};
  const type = text(resource.type);
  const logName = text(value.logName) ?? '';
  const log = decodeURIComponentSafe(logName.split('/logs/')[1] ?? logName);
  const json = isObject(value.jsonPayload) ? value.jsonPayload : {};
  const body = text(value.textPayload) ?? text(json.message) ?? text(json.content) ?? '';
  const instance = nonEmpty(labels.instance_id);

  return {
    uid: eventUid(ref),
    time,
    source: 'gcp.logging',
    category: type?.startsWith('k8s_')
      ? 'kubernetes'
      : type?.startsWith('gce_')
        ? 'compute'
        : 'audit',
    class_uid: 0,
    class_name: 'Base Event',
    activity: 'Other',
    status: 'unknown',
    status_detail: null,
    actor: emptyActor(),
    src: emptyEndpoint(),
    dst: emptyEndpoint(),
    user_agent: null,
    cloud: { provider: 'gcp', account: projectOf(value), region: regionOf(labels) },
    api: { service: null, operation: log, request_id: text(value.insertId), read_only: null },
    resources: instance === null ? [] : [{ uid: instance, type }],
    message: `${clipPart(log)}: ${clipPart(body.replace(/\s+/g, ' '))}`,
    tags: [],
    evidence: ref,
    raw: value,
    ...metadataUid(text(value.insertId)),
  };
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function nonEmpty(value: unknown): string | null {
  const found = text(value);
  return found === null || found === '' ? null : found;
}

function regionOf(labels: JsonObject): string | null {
  return nonEmpty(labels.location) ?? nonEmpty(labels.region) ?? nonEmpty(labels.zone);
}

function notAudit(reason: string): NormalizeError {
  return { code: 'not_gcp_audit', reason };
}

function statusOf(payload: JsonObject): { status: Status; detail: string | null } {
  const rpc = isObject(payload.status) ? payload.status : null;
  const code = typeof rpc?.code === 'number' ? rpc.code : 0;
  if (code === 0) return { status: 'success', detail: null };

  return { status: 'failure', detail: RPC_CODES[code] ?? String(code) };
}

function actorOf(payload: JsonObject): Actor {
  const actor = emptyActor();
  const auth = isObject(payload.authenticationInfo) ? payload.authenticationInfo : null;
  if (auth === null) return actor;

  const email = text(auth.principalEmail);
  const subject = text(auth.principalSubject);
  actor.uid = email ?? subject;
  actor.name = email?.split('@')[0] ?? null;
  actor.type = principalType(email ?? subject);
  // projects/P/serviceAccounts/A/keys/K: the key id is the last segment.
  const keyName = text(auth.serviceAccountKeyName);
  actor.access_key = keyName === null ? null : (keyName.split('/').pop() ?? null);

  const delegation = Array.isArray(auth.serviceAccountDelegationInfo)
    ? auth.serviceAccountDelegationInfo[0]
    : null;
  if (isObject(delegation) && isObject(delegation.firstPartyPrincipal)) {
    actor.invoked_by = text(delegation.firstPartyPrincipal.principalEmail);
  }
  return actor;
}

function principalType(principal: string | null): string | null {
  if (principal === null) return null;
  if (principal.endsWith('.gserviceaccount.com')) return 'ServiceAccount';
  if (principal.startsWith('principal://') || principal.startsWith('principalSet://')) {
    return 'FederatedIdentity';
  }
  if (principal.startsWith('system:')) return 'KubernetesUser';
  return 'User';
}

// callerIp is an address, or a word such as `private` or `gce-internal-ip`.
function sourceOf(payload: JsonObject): Endpoint {
  const endpoint = emptyEndpoint();
  const metadata = isObject(payload.requestMetadata) ? payload.requestMetadata : {};
  const address = text(metadata.callerIp);
  if (address === null) return endpoint;

  if (isIP(address) !== 0) endpoint.ip = address;
  else endpoint.domain = address;
  return endpoint;
}

function categoryOf(service: string | null, method: string | null): Category {
  if (service === 'compute.googleapis.com' && method !== null && COMPUTE_NETWORK.test(method)) {
    return 'network';
  }
  return service === null ? 'audit' : (SERVICE_CATEGORIES.get(service) ?? 'audit');
}

function activityOf(method: string | null): string {
  if (method === null) return 'Other';
  return VERBS.find(([pattern]) => pattern.test(method))?.[1] ?? 'Other';
}

// A Data Access entry gives a read in its permission type, and the log name marks admin writes.
function readOnlyOf(payload: JsonObject, logName: string | null): boolean | null {
  const authorization = Array.isArray(payload.authorizationInfo)
    ? payload.authorizationInfo[0]
    : null;
  const permissionType = isObject(authorization) ? text(authorization.permissionType) : null;
  if (permissionType !== null) return permissionType.endsWith('_READ');
  if (logName?.includes('cloudaudit.googleapis.com%2Factivity')) return false;
  return null;
}

function projectOf(value: JsonObject): string | null {
  const resource = isObject(value.resource) ? value.resource : {};
  const labels = isObject(resource.labels) ? resource.labels : {};
  const project = nonEmpty(labels.project_id);
  if (project !== null) return project;

  const logName = text(value.logName);
  return logName === null ? null : (/^projects\/([^/]+)\//.exec(logName)?.[1] ?? null);
}

function resourcesOf(payload: JsonObject, type: string | null): Resource[] {
  const name = text(payload.resourceName);
  return name === null ? [] : [{ uid: name, type }];
}

function summaryOf(
  actor: string | null,
  service: string | null,
  method: string | null,
  src: Endpoint,
  detail: string | null,
): string {
  const who = clipPart(actor ?? 'unknown principal');
  const short = service?.replace(/\.googleapis\.com$/, '') ?? 'unknown';
  const what = `${clipPart(short)}:${clipPart(method ?? 'unknown')}`;
  const from = src.ip ?? src.domain;
  const where = from === null ? '' : ` from ${clipPart(from)}`;
  const outcome = detail === null ? '' : ` (${clipPart(detail)})`;

  return `${who} called ${what}${where}${outcome}`;
}
