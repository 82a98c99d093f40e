/**
 * GKE's Kubernetes audit log: Cloud Audit Logs entries with `protoPayload.serviceName` `k8s.io`.
 * GKE writes the Kubernetes audit event as an `AuditLog`: the verb ends `methodName`
 * (`io.k8s.core.v1.pods.exec.create`), the object path is `resourceName`
 * (`core/v1/namespaces/prod/pods/web-1/exec`), the user is `authenticationInfo.principalEmail`
 * and the audit ID is `operation.id`. Such an entry becomes a `k8s.audit` event whose `raw` is
 * the entry with the Kubernetes audit fields derived from it beside the entry's own, so that
 * Kubernetes audit rules see `verb`, `objectRef.*`, `user.username`, `sourceIPs` and the rest,
 * and the `gcp/gcp.audit` rules on Kubernetes methods (`io.k8s.…`) still see `protoPayload`.
 */
import { type Event, type EvidenceRef, metadataUid } from '../core/event.ts';
import { text } from './cloudtrail-actor.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { normalizeK8sAudit } from './k8s-audit.ts';
import { isNormalizeError, type NormalizeError } from './types.ts';

/** HTTP status of a Kubernetes response, by the gRPC code GKE writes in `status.code`. */
const HTTP_STATUS_BY_RPC: ReadonlyMap<number, number> = new Map([
  [0, 200],
  [3, 400],
  [5, 404],
  [6, 409],
  [7, 403],
  [9, 422],
  [10, 409],
  [13, 500],
  [14, 503],
  [16, 401],
]);

/** Tells whether a Cloud Audit Logs payload is GKE's Kubernetes audit log. */
export function isGkeAudit(payload: JsonObject): boolean {
  return payload.serviceName === 'k8s.io';
}

/**
 * Maps one GKE Kubernetes audit entry to a `k8s.audit` event, with the project and location
 * of the cluster as the event's account and region.
 */
export function normalizeGkeAudit(
  entry: JsonObject,
  payload: JsonObject,
  time: string,
  ref: EvidenceRef,
): Event | NormalizeError {
  const audit = auditFieldsOf(entry, payload, time);
  const event = normalizeK8sAudit({ apiVersion: 'audit.k8s.io/v1', ...audit }, ref);
  if (isNormalizeError(event)) return event;

  const resource = isObject(entry.resource) ? entry.resource : {};
  const labels = isObject(resource.labels) ? resource.labels : {};
  return {
    ...event,
    cloud: {
      provider: 'gcp',
      account: text(labels.project_id),
      region: text(labels.location),
    },
    raw: { ...entry, ...audit },
    // Cloud Logging's id of the entry: a watch request has two entries with one operation id.
    ...metadataUid(text(entry.insertId) ?? event.metadata_uid ?? null),
  };
}

/** Derives the fields of a Kubernetes audit event (`audit.k8s.io/v1`) from a GKE entry. */
export function auditFieldsOf(entry: JsonObject, payload: JsonObject, time: string): JsonObject {
  const method = text(payload.methodName) ?? '';
  const resourceName = text(payload.resourceName) ?? '';
  const auth = isObject(payload.authenticationInfo) ? payload.authenticationInfo : {};
  const metadata = isObject(payload.requestMetadata) ? payload.requestMetadata : {};
  const operation = isObject(entry.operation) ? entry.operation : {};
  const path = objectPathOf(resourceName);
  const username = text(auth.principalEmail);
  const callerIp = text(metadata.callerIp);
  const userAgent = text(metadata.callerSuppliedUserAgent);
  const rpc = isObject(payload.status) && typeof payload.status.code === 'number';
  const code = rpc ? HTTP_STATUS_BY_RPC.get((payload.status as JsonObject).code as number) : 200;

  const audit: JsonObject = {
    verb: method.slice(method.lastIndexOf('.') + 1),
    requestURI: path === null ? `/${resourceName}` : path.uri,
    requestReceivedTimestamp: time,
  };
  const auditId = text(operation.id);
  if (auditId !== null) audit.auditID = auditId;
  if (username !== null) audit.user = { username };
  if (callerIp !== null) audit.sourceIPs = [callerIp];
  if (userAgent !== null) audit.userAgent = userAgent;
  if (path !== null) audit.objectRef = path.objectRef;
  if (code !== undefined) audit.responseStatus = { code };
  if (isObject(payload.request)) audit.requestObject = payload.request;
  if (isObject(payload.response)) audit.responseObject = payload.response;
  if (isObject(entry.labels)) audit.annotations = entry.labels;
  return audit;
}

/**
 * Reads `<group>/<version>/[namespaces/<namespace>/]<resource>[/<name>[/<subresource>]]`, with
 * `core` for the core group, into an `objectRef` and the request URI the API server served.
 * Returns `null` for a non-resource path such as `readyz`.
 */
function objectPathOf(resourceName: string): { objectRef: JsonObject; uri: string } | null {
  const parts = resourceName.split('/');
  const [group, version] = parts;
  if (group === undefined || version === undefined || parts.length < 3) return null;

  let rest = parts.slice(2);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  // The core group has no name, so Kubernetes writes no `apiGroup` for it.
  const objectRef: JsonObject = group === 'core' ? {} : { apiGroup: group };
  objectRef.apiVersion = version;
  objectRef.resource = resource;
  if (namespace !== undefined) objectRef.namespace = namespace;
  if (name !== undefined) objectRef.name = name;
  if (subresource !== undefined) objectRef.subresource = subresource;

  const base = group === 'core' ? `/api/${version}` : `/apis/${group}/${version}`;
  return { objectRef, uri: `${base}/${parts.slice(2).join('/')}` };
}
