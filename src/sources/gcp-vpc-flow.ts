/**
 * Google Cloud VPC Flow Logs: Cloud Logging entries of the log `compute.googleapis.com/vpc_flows`,
 * whose `jsonPayload` holds one sampled connection with its bytes and packets. The entries
 * arrive in the same exports as audit logs, so the `gcp.audit` format reads them and hands each
 * to `normalizeGcpFlow`.
 */
import { isIP } from 'node:net';
import {
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  metadataUid,
  type Resource,
} from '../core/event.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { clipPart } from './message.ts';

/** Tells a VPC flow log entry by its log name. */
export function isGcpFlowEntry(value: JsonObject): boolean {
  const logName = value.logName;
  return (
    typeof logName === 'string' &&
    /\/logs\/compute\.googleapis\.com(%2F|\/)vpc_flows$/.test(logName)
  );
}

// GCP writes 64-bit counts as decimal strings.
function count(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d{1,19}$/.test(value)) return Number(value);
  return null;
}

function endpoint(ip: unknown, port: unknown): Endpoint {
  const found = emptyEndpoint();
  if (typeof ip === 'string' && isIP(ip) !== 0) found.ip = ip;
  found.port = count(port);
  return found;
}

function vmName(value: unknown): string | null {
  if (!isObject(value)) return null;
  const name = value.vm_name;
  return typeof name === 'string' ? name : null;
}

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** Maps one VPC flow log entry to a network event; bytes and packets are the sender's. */
export function normalizeGcpFlow(
  value: JsonObject,
  time: string,
  ref: EvidenceRef,
  project: string | null,
): Event {
  const payload = isObject(value.jsonPayload) ? value.jsonPayload : {};
  const connection = isObject(payload.connection) ? payload.connection : {};
  const src = endpoint(connection.src_ip, connection.src_port);
  const dst = endpoint(connection.dest_ip, connection.dest_port);
  src.bytes = count(payload.bytes_sent);
  src.packets = count(payload.packets_sent);
  const protocol = count(connection.protocol);
  const protocolName = protocol === null ? 'IP' : (PROTOCOLS[protocol] ?? `protocol ${protocol}`);
  const reporter = typeof payload.reporter === 'string' ? payload.reporter : null;
  const resources: Resource[] = [];
  for (const name of [vmName(payload.src_instance), vmName(payload.dest_instance)]) {
    if (name !== null) resources.push({ uid: name, type: 'gce_instance' });
  }
  const bytes = src.bytes === null ? '' : `, ${src.bytes} bytes`;

  return {
    uid: eventUid(ref),
    time,
    source: 'gcp.vpcflow',
    category: 'network',
    class_uid: 4001,
    class_name: 'Network Activity',
    activity: 'Traffic',
    status: 'unknown',
    status_detail: null,
    actor: emptyActor(),
    src,
    dst,
    user_agent: null,
    cloud: { provider: 'gcp', account: project, region: null },
    api: {
      service: 'vpc_flows',
      operation: reporter,
      request_id: typeof value.insertId === 'string' ? value.insertId : null,
      read_only: null,
    },
    resources,
    message: `${protocolName} ${clipPart(endpointText(src))} -> ${clipPart(endpointText(dst))}${bytes}`,
    tags: [],
    evidence: ref,
    raw: value,
    ...metadataUid(typeof value.insertId === 'string' ? value.insertId : null),
  };
}

// Module-level rather than a closure per record, which the TypeScript loader would name each time.
function endpointText(end: Endpoint): string {
  return `${end.ip ?? '?'}${end.port === null ? '' : `:${end.port}`}`;
}
