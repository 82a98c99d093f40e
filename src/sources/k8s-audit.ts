import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Actor,
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
import { normalizeGcpAudit } from './gcp-audit.ts';
import { parseJsonLossless } from './json-numbers.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

/**
 * Record arrays: `kubectl`-style `EventList` items, and Azure diagnostic exports of AKS
 * (`records`, each with the audit event as JSON text in `properties.log`).
 */
const RECORD_KEYS = ['items', 'records', 'logEvents', 'events'];

const MARKERS: [RegExp, number][] = [
  [/"apiVersion"\s*:\s*"audit\.k8s\.io\/v1(beta1)?"/, 0.95],
  [/"category"\s*:\s*"kube-audit(-admin)?"/, 0.9],
  [/\\"apiVersion\\"\s*:\s*\\"audit\.k8s\.io\/v1(beta1)?\\"/, 0.85],
  [/"auditID"\s*:[\s\S]*"verb"\s*:|"verb"\s*:[\s\S]*"auditID"\s*:/, 0.8],
];

// Maximum length, in characters, of a wrapped audit event, which AKS and CloudWatch carry as text.
const MAX_WRAPPED_CHARS = 8 * 1024 * 1024;

const READ_VERBS = new Set(['get', 'list', 'watch']);
const ACTIVITIES = new Map([
  ['get', 'Read'],
  ['list', 'Read'],
  ['watch', 'Read'],
  ['create', 'Create'],
  ['update', 'Update'],
  ['patch', 'Update'],
  ['delete', 'Delete'],
  ['deletecollection', 'Delete'],
]);

/**
 * Kubernetes API server audit events (`audit.k8s.io/v1` and `v1beta1`), bare, as JSON lines or
 * arrays, as an `EventList`, and inside the wrappers of managed clusters: CloudWatch Logs exports
 * of EKS (`message` or `@message` holding the event as text) and Azure diagnostic exports of AKS
 * (`records[].properties.log`). GKE writes its audit log as Cloud Audit Logs entries; those are
 * read as `gcp.audit` events, also when a file mixes them with bare events.
 */
export const k8sAudit: SourceFormat = {
  id: 'k8s.audit',
  description: 'Kubernetes API server audit events, also from EKS (CloudWatch) and AKS exports',
  example: 'kube-apiserver-audit.log',
  logCategory: 'kubernetes',
  // Reads and writes of Secret objects show secret access.
  alsoCovers: ['secrets'],
  sniff: sniffK8sAudit,
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanJsonRecords(input, { recordKeys: RECORD_KEYS }),
  normalize: normalizeK8sAudit,
};

/** Scores how much the first bytes of a stream look like Kubernetes audit events. */
export function sniffK8sAudit(head: Buffer, _name: string): number {
  return jsonMarkerScore(head, MARKERS);
}

/** Maps one parsed audit event, bare or wrapped, to an event. */
export function normalizeK8sAudit(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  // GKE's audit entries are Cloud Audit Logs entries; a file may mix them with bare events.
  if (isObject(value) && isObject(value.protoPayload)) return normalizeGcpAudit(value, ref);

  const unwrapped = unwrap(value);
  if ('code' in unwrapped) return unwrapped;
  const { record, wrapperTime } = unwrapped;

  const found =
    record.requestReceivedTimestamp ?? record.stageTimestamp ?? wrapperTime ?? record.p_event_time;
  if (found === undefined || found === null) {
    return { code: 'missing_time', reason: 'the audit event has no requestReceivedTimestamp' };
  }
  const time = parseTimestamp(found);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the audit event time is not a valid timestamp' };
  }

  const verb = text(record.verb);
  const objectRef = isObject(record.objectRef) ? record.objectRef : null;
  const { status, detail } = statusOf(record);
  const actor = actorOf(record);
  const src = sourceOf(record);
  const operation = operationOf(verb, objectRef, text(record.requestURI));

  return {
    uid: eventUid(ref),
    time,
    source: 'k8s.audit',
    category: objectRef?.resource === 'secrets' ? 'secrets' : 'kubernetes',
    class_uid: 6003,
    class_name: 'API Activity',
    activity: (verb === null ? undefined : ACTIVITIES.get(verb)) ?? 'Other',
    status,
    status_detail: detail,
    actor,
    src,
    dst: emptyEndpoint(),
    user_agent: text(record.userAgent),
    cloud: { provider: 'kubernetes', account: actor.account, region: null },
    api: {
      service: serviceOf(objectRef),
      operation,
      request_id: text(record.auditID),
      read_only: verb === null ? null : READ_VERBS.has(verb),
    },
    resources: resourcesOf(objectRef),
    message: summaryOf(actor.uid, operation, objectRef, src, detail),
    tags: [],
    evidence: ref,
    raw: record,
    ...metadataUid(recordIdOf(record)),
  };
}

// An API server writes one event per stage of a request (RequestReceived, ResponseComplete)
// with the same auditID and request time, so the stage distinguishes the records.
function recordIdOf(record: JsonObject): string | null {
  const auditId = text(record.auditID);
  const stage = text(record.stage);
  if (auditId === null) return null;
  return stage === null ? auditId : `${auditId}/${stage}`;
}

interface Unwrapped {
  record: JsonObject;
  wrapperTime: unknown;
}

function isAuditEvent(value: JsonObject): boolean {
  const version = text(value.apiVersion);
  if (version !== null) return version.startsWith('audit.k8s.io/');
  return typeof value.auditID === 'string' && typeof value.verb === 'string';
}

function unwrap(value: unknown): Unwrapped | NormalizeError {
  // Some shippers write each event as a JSON string holding the event's JSON text.
  if (typeof value === 'string') return fromText(value, undefined);
  if (!isObject(value)) return notAudit('the record is not a JSON object');
  if (isAuditEvent(value)) return { record: value, wrapperTime: undefined };

  // AKS diagnostic settings: { category: "kube-audit", properties: { log }, time }, where the
  // log is the event as JSON text or, in some exports, as an object.
  if (isObject(value.properties)) {
    const log = value.properties.log;
    if (typeof log === 'string') return fromText(log, value.time);
    if (isObject(log) && isAuditEvent(log)) return { record: log, wrapperTime: value.time };
  }
  // CloudWatch Logs: Logs Insights (`@message`), filter-log-events and subscriptions (`message`).
  const message = value['@message'] ?? value.message;
  if (typeof message === 'string') return fromText(message, value['@timestamp'] ?? value.timestamp);

  return notAudit('the record is no Kubernetes audit event');
}

function fromText(textValue: string, wrapperTime: unknown): Unwrapped | NormalizeError {
  if (textValue.length > MAX_WRAPPED_CHARS) {
    return { code: 'record_too_large', reason: 'the wrapped audit event is larger than 8 MiB' };
  }
  let inner: unknown;
  try {
    inner = parseJsonLossless(textValue);
  } catch {
    return { code: 'invalid_json', reason: 'the wrapped audit event is not valid JSON' };
  }
  if (!isObject(inner) || !isAuditEvent(inner)) {
    return notAudit('the wrapped text is no Kubernetes audit event');
  }
  return { record: inner, wrapperTime };
}

function notAudit(reason: string): NormalizeError {
  return { code: 'not_k8s_audit', reason };
}

// A response code of 400 or more, or an authorizer's "forbid", is a failure.
function statusOf(record: JsonObject): { status: Status; detail: string | null } {
  const response = isObject(record.responseStatus) ? record.responseStatus : null;
  const code = typeof response?.code === 'number' ? response.code : null;
  const annotations = isObject(record.annotations) ? record.annotations : {};
  const decision = text(annotations['authorization.k8s.io/decision']);

  if (code !== null && code >= 400) {
    const reason = text(response?.reason);
    return { status: 'failure', detail: reason === null ? String(code) : `${code} ${reason}` };
  }
  if (decision === 'forbid') return { status: 'failure', detail: 'forbidden' };
  if (code !== null) return { status: 'success', detail: null };

  return { status: 'unknown', detail: null };
}

// EKS puts the IAM identity behind a Kubernetes user in `user.extra`.
function actorOf(record: JsonObject): Actor {
  const actor = emptyActor();
  const user = isObject(record.user) ? record.user : null;
  if (user === null) return actor;

  const username = text(user.username);
  actor.uid = username;
  actor.name = username;
  actor.type = userType(username);

  const extra = isObject(user.extra) ? user.extra : {};
  actor.access_key = firstText(extra.accessKeyId);
  const arn = firstText(extra.arn);
  if (arn !== null) {
    actor.session = arn;
    actor.account = /^arn:aws[\w-]*:[\w-]+::(\d{12}):/.exec(arn)?.[1] ?? null;
  }

  const impersonated = isObject(record.impersonatedUser) ? record.impersonatedUser : null;
  if (impersonated !== null) actor.invoked_by = text(impersonated.username);

  return actor;
}

function userType(username: string | null): string | null {
  if (username === null) return null;
  if (username.startsWith('system:serviceaccount:')) return 'ServiceAccount';
  if (username.startsWith('system:node:')) return 'Node';
  if (username === 'system:anonymous') return 'Anonymous';
  if (username.startsWith('system:')) return 'System';
  return 'User';
}

function firstText(value: unknown): string | null {
  if (Array.isArray(value)) return text(value[0]);
  return text(value);
}

function sourceOf(record: JsonObject): Endpoint {
  const endpoint = emptyEndpoint();
  const address = firstText(record.sourceIPs);
  if (address === null) return endpoint;

  if (isIP(address) !== 0) endpoint.ip = address;
  else endpoint.domain = address;
  return endpoint;
}

function serviceOf(objectRef: JsonObject | null): string | null {
  if (objectRef === null) return null;
  const group = text(objectRef.apiGroup);
  return group === null || group === '' ? 'core' : group;
}

// The verb with what it acted on, such as `create pods/exec`, or the path of a request that
// names no object, such as `get /healthz`.
function operationOf(
  verb: string | null,
  objectRef: JsonObject | null,
  requestUri: string | null,
): string | null {
  if (verb === null) return null;
  const resource = objectRef === null ? null : text(objectRef.resource);
  if (resource !== null) {
    const subresource = text(objectRef?.subresource);
    return `${verb} ${resource}${subresource === null ? '' : `/${subresource}`}`;
  }
  if (requestUri === null) return verb;
  return `${verb} ${clipPart(requestUri.split('?')[0] ?? requestUri)}`;
}

function resourcesOf(objectRef: JsonObject | null): Resource[] {
  if (objectRef === null) return [];
  const resource = text(objectRef.resource);
  const name = text(objectRef.name);
  if (resource === null || name === null) return [];

  const namespace = text(objectRef.namespace);
  const uid = namespace === null ? `${resource}/${name}` : `${namespace}/${resource}/${name}`;
  return [{ uid, type: resource }];
}

function summaryOf(
  actor: string | null,
  operation: string | null,
  objectRef: JsonObject | null,
  src: Endpoint,
  detail: string | null,
): string {
  const who = clipPart(actor ?? 'unknown user');
  const what = clipPart(operation ?? 'unknown request');
  const name = objectRef === null ? null : text(objectRef.name);
  const namespace = objectRef === null ? null : text(objectRef.namespace);
  const target = name === null ? '' : ` ${clipPart(name)}`;
  const scope = namespace === null ? '' : ` in ${clipPart(namespace)}`;
  const from = src.ip ?? src.domain;
  const where = from === null ? '' : ` from ${clipPart(from)}`;
  const outcome = detail === null ? '' : ` (${clipPart(detail)})`;

  return `${who} ${what}${target}${scope}${where}${outcome}`;
}
