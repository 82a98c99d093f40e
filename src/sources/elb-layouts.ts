/**
 * Field layouts of Elastic Load Balancing logs, named as the AWS documentation names them
 * ("Access logs for your Application Load Balancer", "… Network Load Balancer", "… Classic Load
 * Balancer" and "Connection logs for your Application Load Balancer"). Fields that AWS adds at
 * the end later are kept as `field_<n>`, numbered from 1.
 */
import { isIP } from 'node:net';
import { splitFields } from './text-fields.ts';
import { type LineParse, type LineParser, RAW_LINE_KEY } from './text-lines.ts';
import { parseTimestamp } from './time.ts';

/** Kind of load balancer log that a line belongs to. */
export type ElbLayout = 'alb' | 'nlb' | 'classic' | 'connection';

const ALB_FIELDS = [
  'type',
  'time',
  'elb',
  'client:port',
  'target:port',
  'request_processing_time',
  'target_processing_time',
  'response_processing_time',
  'elb_status_code',
  'target_status_code',
  'received_bytes',
  'sent_bytes',
  'request',
  'user_agent',
  'ssl_cipher',
  'ssl_protocol',
  'target_group_arn',
  'trace_id',
  'domain_name',
  'chosen_cert_arn',
  'matched_rule_priority',
  'request_creation_time',
  'actions_executed',
  'redirect_url',
  'error_reason',
  'target:port_list',
  'target_status_code_list',
  'classification',
  'classification_reason',
  'conn_trace_id',
];

const NLB_FIELDS = [
  'type',
  'version',
  'time',
  'elb',
  'listener',
  'client:port',
  'destination:port',
  'connection_time',
  'tls_handshake_time',
  'received_bytes',
  'sent_bytes',
  'incoming_tls_alert',
  'chosen_cert_arn',
  'chosen_cert_serial',
  'tls_cipher',
  'tls_protocol_version',
  'tls_named_group',
  'domain_name',
  'alpn_fe_protocol',
  'alpn_be_protocol',
  'alpn_client_preference_list',
  'tls_connection_creation_time',
];

const CLASSIC_FIELDS = [
  'time',
  'elb',
  'client:port',
  'backend:port',
  'request_processing_time',
  'backend_processing_time',
  'response_processing_time',
  'elb_status_code',
  'backend_status_code',
  'received_bytes',
  'sent_bytes',
  'request',
  'user_agent',
  'ssl_cipher',
  'ssl_protocol',
];

const CONNECTION_FIELDS = [
  'time',
  'client_ip',
  'client_port',
  'listener_port',
  'tls_protocol',
  'tls_cipher',
  'tls_handshake_latency',
  'leaf_client_cert_subject',
  'leaf_client_cert_validity',
  'leaf_client_cert_serial_number',
  'tls_verify_status',
  'conn_trace_id',
];

/**
 * Field names of each layout, with the fewest fields a line must have to be read.
 * NOTE: the minimums are estimates of the shortest lines AWS has written: the fields through
 * the user agent for HTTP logs, and a connection log line without its trace id.
 */
const LAYOUTS: Record<ElbLayout, { fields: string[]; min: number }> = {
  alb: { fields: ALB_FIELDS, min: 14 },
  nlb: { fields: NLB_FIELDS, min: 20 },
  classic: { fields: CLASSIC_FIELDS, min: 13 },
  connection: { fields: CONNECTION_FIELDS, min: 11 },
};

/** Every field name of the layouts, for JSON renderings that use the same names. */
export const ELB_TEXT_FIELDS: readonly string[] = [
  ...new Set([...ALB_FIELDS, ...NLB_FIELDS, ...CLASSIC_FIELDS, ...CONNECTION_FIELDS]),
];

// Classic and connection log lines start with an ISO 8601 time in UTC.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/;
const ALB_TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);

/** Tells which layout a line's fields follow from its first two fields, or `null`. */
export function layoutOf(fields: string[]): ElbLayout | null {
  const [first = '', second = ''] = fields;
  if (ALB_TYPES.has(first)) return 'alb';
  if (first === 'tls' && /^\d+\.\d+$/.test(second)) return 'nlb';
  if (!ISO_TIME.test(first) || parseTimestamp(first) === null) return null;

  return isIP(second) === 0 ? 'classic' : 'connection';
}

/** Tells a record's layout from the fields it has. */
export function layoutOfRecord(record: Record<string, unknown>): ElbLayout {
  if ('tls_verify_status' in record) return 'connection';
  if ('listener' in record) return 'nlb';
  if ('type' in record) return 'alb';
  return 'classic';
}

/** Cuts ELB log lines into named fields, each line by its own layout. */
export class ElbLineParser implements LineParser {
  parse(line: string): LineParse {
    const fields = splitFields(line);
    if (!Array.isArray(fields)) return { kind: 'rejected', ...fields };

    const layout = layoutOf(fields);
    if (layout === null) {
      const reason = 'the line starts with neither a load balancer log type nor a time';
      return { kind: 'rejected', code: 'unknown_layout', reason };
    }
    const { fields: names, min } = LAYOUTS[layout];
    if (fields.length < min) {
      const reason = `the line has ${fields.length} fields, fewer than the ${min} of a ${layout} log line`;
      return { kind: 'rejected', code: 'field_count', reason };
    }

    const value: Record<string, unknown> = {};
    fields.forEach((text, i) => {
      value[names[i] ?? `field_${i + 1}`] = text;
    });
    value[RAW_LINE_KEY] = line;
    return { kind: 'record', value };
  }
}
