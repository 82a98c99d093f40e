/**
 * Azure network flow logs: NSG flow logs (category `NetworkSecurityGroupFlowEvent`, versions 1
 * and 2) and virtual network flow logs (category `FlowLogFlowEvent`), as the storage account of
 * a flow log holds them: `{"records": [...]}`, one record per resource and hour, each with many
 * flow tuples in nested flow groups.
 *
 * One tuple is one connection, so a record yields one event per tuple. Each tuple is read as a
 * record of its own: its index counts tuples, its offset and line are those of the enclosing
 * record, and its value (the event's `raw`) is the tuple text with the fields of the record and
 * flow group it sits in. The enclosing record itself stays in the evidence at that offset.
 */
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Resource,
} from '../core/event.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

const MARKERS: [RegExp, number][] = [
  [/"flowTuples"\s*:/, 0.95],
  [/"category"\s*:\s*"(NetworkSecurityGroupFlowEvent|FlowLogFlowEvent)"/, 0.95],
];

/** Which of the two layouts a tuple has. */
type Layout = 'nsg' | 'vnet';

/** The value of one flow tuple read as a record, kept as the event's `raw`. */
export interface AzureFlowTuple {
  layout: Layout;
  /** The enclosing record's time: the end of the hour or minute it covers. */
  time: string | null;
  category: string | null;
  /** The NSG of an NSG flow log, the flow log's target (VNet, subnet, NIC) otherwise. */
  resourceId: string | null;
  flowLogResourceID?: string | null;
  version: number | null;
  rule: string | null;
  aclID?: string | null;
  mac: string | null;
  flowTuple: string;
}

export const azureFlow: SourceFormat = {
  id: 'azure.flow',
  description: 'Azure NSG and virtual network flow logs (one event per flow tuple)',
  example: 'PT1H.json',
  logCategory: 'network',
  sniff: (head: Buffer, _name: string): number => jsonMarkerScore(head, MARKERS),
  records: (input: Readable): AsyncIterable<RecordResult> => flowTupleRecords(input),
  normalize: normalizeAzureFlow,
};

/** Streams the flow tuples of a flow log as records; a record without tuples is rejected. */
export async function* flowTupleRecords(
  input: Readable | AsyncIterable<Buffer | string>,
): AsyncGenerator<RecordResult> {
  let index = 0;
  for await (const result of scanJsonRecords(input, { recordKeys: ['records'] })) {
    if (result.kind === 'rejected') {
      yield { ...result, index: index++ };
      continue;
    }
    const tuples = isObject(result.value) ? tuplesOf(result.value) : [];
    if (tuples.length === 0) {
      const sample = (JSON.stringify(result.value) ?? '').slice(0, 200);
      const reason = 'the record holds no flow tuples';
      yield { ...result, kind: 'rejected', index: index++, code: 'no_flow_tuples', reason, sample };
      continue;
    }
    for (const value of tuples) {
      yield { kind: 'record', index: index++, offset: result.offset, line: result.line, value };
    }
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

// A tuple as read, before `normalizeAzureFlow` checks that it is text.
type TupleRecord = Omit<AzureFlowTuple, 'flowTuple'> & { flowTuple: unknown };

/**
 * Flattens a record's flow groups into tuples that carry their context. A tuple that is no
 * string is kept too, so that it is counted and rejected instead of dropped.
 */
function tuplesOf(record: JsonObject): TupleRecord[] {
  const category = text(record.category);
  const time = text(record.time);
  const out: TupleRecord[] = [];

  if (isObject(record.flowRecords) || category === 'FlowLogFlowEvent') {
    const flowRecords = isObject(record.flowRecords) ? record.flowRecords : {};
    const version = typeof record.flowLogVersion === 'number' ? record.flowLogVersion : null;
    for (const flow of list(flowRecords.flows)) {
      for (const group of list(flow.flowGroups)) {
        for (const tuple of Array.isArray(group.flowTuples) ? group.flowTuples : []) {
          out.push({
            layout: 'vnet',
            time,
            category,
            resourceId: text(record.targetResourceID),
            flowLogResourceID: text(record.flowLogResourceID),
            version,
            rule: text(group.rule),
            aclID: text(flow.aclID),
            mac: text(record.macAddress),
            flowTuple: tuple,
          });
        }
      }
    }
    return out;
  }

  const properties = isObject(record.properties) ? record.properties : {};
  const version = typeof properties.Version === 'number' ? properties.Version : null;
  for (const ruleFlows of list(properties.flows)) {
    for (const macFlows of list(ruleFlows.flows)) {
      for (const tuple of Array.isArray(macFlows.flowTuples) ? macFlows.flowTuples : []) {
        out.push({
          layout: 'nsg',
          time,
          category,
          resourceId: text(record.resourceId),
          version,
          rule: text(ruleFlows.rule),
          mac: text(macFlows.mac),
          flowTuple: tuple,
        });
      }
    }
  }
  return out;
}

/** Flow direction letters of a tuple. */
const DIRECTIONS: Record<string, 'inbound' | 'outbound'> = { I: 'inbound', O: 'outbound' };

const PROTOCOL_NAMES: Record<string, string> = {
  T: 'TCP',
  U: 'UDP',
  '1': 'ICMP',
  '6': 'TCP',
  '17': 'UDP',
  '58': 'ICMPv6',
};

// Counts are decimal digits; an empty field (a flow that has only begun) has none.
function count(field: string | undefined): number | null {
  return field !== undefined && /^\d{1,15}$/.test(field) ? Number(field) : null;
}

function endpoint(ip: string | undefined, port: string | undefined): Endpoint {
  const found = emptyEndpoint();
  if (ip !== undefined && isIP(ip) !== 0) found.ip = ip;
  found.port = count(port);
  return found;
}

/** The fields of a tuple, named; `denied` from the NSG decision or the VNet flow state. */
interface TupleFields {
  epoch: number;
  src: Endpoint;
  dst: Endpoint;
  protocol: string | null;
  direction: 'inbound' | 'outbound' | null;
  denied: boolean;
}

// NSG: time (s), src, dst, sport, dport, T|U, I|O, A|D, then in version 2 the state B|C|E and
// packets and bytes each way. VNet: time (ms), src, dst, sport, dport, protocol number, I|O,
// state B|C|E|D (D: denied), encryption, then packets and bytes each way.
function parseTuple(tuple: AzureFlowTuple): TupleFields | NormalizeError {
  const parts = tuple.flowTuple.split(',');
  if (parts.length < 8 || !/^\d{9,13}$/.test(parts[0] ?? '')) {
    return { code: 'invalid_flow_tuple', reason: 'the flow tuple has no time and addresses' };
  }
  const [time, srcIp, dstIp, srcPort, dstPort, protocol, direction, decision] = parts;
  const src = endpoint(srcIp, srcPort);
  const dst = endpoint(dstIp, dstPort);
  if (src.ip === null || dst.ip === null) {
    return { code: 'invalid_flow_tuple', reason: 'the flow tuple has no valid IP addresses' };
  }
  const vnet = tuple.layout === 'vnet';
  // Both layouts put the packets and bytes each way in fields 9 to 12.
  src.packets = count(parts[9]);
  src.bytes = count(parts[10]);
  dst.packets = count(parts[11]);
  dst.bytes = count(parts[12]);

  return {
    epoch: vnet ? Number(time) : Number(time) * 1000,
    src,
    dst,
    protocol: PROTOCOL_NAMES[protocol ?? ''] ?? (protocol || null),
    direction: DIRECTIONS[direction ?? ''] ?? null,
    // Field 7 is the decision (A or D) of an NSG tuple and the state of a VNet tuple, whose
    // state D means denied.
    denied: decision === 'D',
  };
}

// `/SUBSCRIPTIONS/<id>/RESOURCEGROUPS/...` in any case.
function subscriptionOf(resourceId: string | null): string | null {
  const found = /\/subscriptions\/([^/]+)/i.exec(resourceId ?? '');
  return found?.[1]?.toLowerCase() ?? null;
}

function resourcesOf(tuple: AzureFlowTuple): Resource[] {
  const resources: Resource[] = [];
  if (tuple.resourceId !== null) {
    const type = /\/networksecuritygroups\//i.test(tuple.resourceId)
      ? 'network_security_group'
      : 'flow_log_target';
    resources.push({ uid: tuple.resourceId, type });
  }
  if (tuple.mac !== null) resources.push({ uid: tuple.mac, type: 'mac_address' });
  return resources;
}

function lastSegment(resourceId: string | null): string | null {
  if (resourceId === null) return null;
  return resourceId.split('/').filter(Boolean).pop() ?? null;
}

/** Maps one flow tuple, read with its context by `flowTupleRecords`, to a network event. */
export function normalizeAzureFlow(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value) || !('flowTuple' in value)) {
    return { code: 'not_azure_flow', reason: 'the record is no Azure flow tuple' };
  }
  if (typeof value.flowTuple !== 'string') {
    return { code: 'invalid_flow_tuple', reason: 'the flow tuple is not a string' };
  }
  const tuple = value as unknown as AzureFlowTuple;
  const fields = parseTuple(tuple);
  if ('code' in fields) return fields;
  const time = parseTimestamp(fields.epoch);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the flow tuple time is not a valid instant' };
  }

  const verdict = fields.denied ? 'DENY' : 'ALLOW';
  const direction = fields.direction === null ? '' : ` ${fields.direction}`;
  const where = lastSegment(tuple.resourceId);
  const rule = tuple.rule === null ? '' : ` (${clipPart(tuple.rule)})`;
  const bytes = fields.src.bytes === null ? '' : `, ${fields.src.bytes} bytes`;

  return {
    uid: eventUid(ref),
    time,
    source: 'azure.flow',
    category: 'network',
    class_uid: 4001,
    class_name: 'Network Activity',
    activity: fields.denied ? 'Refuse' : 'Traffic',
    status: fields.denied ? 'failure' : 'success',
    status_detail: fields.denied ? (tuple.rule ?? 'Deny') : null,
    actor: emptyActor(),
    src: fields.src,
    dst: fields.dst,
    user_agent: null,
    cloud: { provider: 'azure', account: subscriptionOf(tuple.resourceId), region: null },
    api: { service: null, operation: null, request_id: null, read_only: null },
    resources: resourcesOf(tuple),
    message:
      `${verdict}${direction} ${fields.protocol ?? 'flow'} ${hostText(fields.src)} -> ${hostText(fields.dst)}` +
      `${bytes}${rule}${where === null ? '' : ` on ${clipPart(where)}`}`,
    tags: [],
    evidence: ref,
    raw: value,
  };
}

// Module-level rather than a closure per record, which the TypeScript loader would name each time.
function hostText(e: Endpoint): string {
  return e.port === null ? `${e.ip}` : `${e.ip}:${e.port}`;
}
