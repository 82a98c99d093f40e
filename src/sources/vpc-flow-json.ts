/**
 * Flow records as JSON. Flow log lines inside CloudWatch Logs JSON: `aws logs filter-log-events`
 * output (`events`), subscription filter payloads (`logEvents`) and Logs Insights exports
 * (`@message`), where each log event carries one flow log line without the header. And JSON
 * renderings of flow records by log pipelines, one object per record with a key per field.
 */
import { KNOWN_FIELDS } from './vpc-flow-fields.ts';

/** Keys of a top-level object whose array contains the log events. */
export const CLOUDWATCH_RECORD_KEYS = ['events', 'logEvents'];

const FLOW_MESSAGE = /"@?message"\s*:\s*"[2-8] [\w-]+ [\w-]+ /;
const FLOW_VERDICT = /\b(ACCEPT|REJECT) OK\b|\b(NODATA|SKIPDATA)\b/;

const FLOW_LINE = /^[2-8] [\w-]+ [\w-]+ /;

/** Tells whether a log event message is a flow log line of a default layout. */
export function isFlowLine(message: string): boolean {
  return FLOW_LINE.test(message) && FLOW_VERDICT.test(message);
}

/** Scores how much the first bytes of a JSON stream look like CloudWatch Logs flow log events. */
export function sniffFlowJson(textHead: string): number {
  return FLOW_MESSAGE.test(textHead) && FLOW_VERDICT.test(textHead) ? 0.8 : 0;
}

/** Returns the flow log line of a CloudWatch Logs event, or `null` when it has none. */
export function flowLineOf(record: Record<string, unknown>): string | null {
  const message = record['@message'] ?? record.message;
  return typeof message === 'string' ? message : null;
}

/**
 * AWS flow log field names by the compacted key (lower case, without `-` and `_`) that JSON
 * renderings of flow records use for them. Panther (`srcAddr`, `subNetId`), Microsoft Sentinel's
 * `AWSVPCFlow` table (`SrcAddr`, `LogStatus`) and Athena or OpenSearch (`account_id`,
 * `log_status`) compact to the AWS names; Panther's `account` and `status` are aliases.
 */
const JSON_FIELD_NAMES: ReadonlyMap<string, string> = new Map([
  ...[...KNOWN_FIELDS].map((name): [string, string] => [compact(name), name]),
  ['account', 'account-id'],
  ['status', 'log-status'],
]);

// Keys that name the two ends of a flow in the renderings above.
const JSON_FLOW_KEYS = /"(srcAddr|SrcAddr|srcaddr)"\s*:[\s\S]*"(dstAddr|DstAddr|dstaddr)"\s*:/;
// A Route 53 Resolver record names a `srcaddr` too, but never a destination address.
const JSON_FLOW_SOLE = /"query_name"\s*:/;

function compact(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** Scores how much the first bytes of a JSON stream look like JSON renderings of flow records. */
export function sniffFlowRecordJson(textHead: string): number {
  return JSON_FLOW_KEYS.test(textHead) && !JSON_FLOW_SOLE.test(textHead) ? 0.85 : 0;
}

/**
 * Reads a JSON rendering of one flow record into the AWS field names with text values, as a text
 * line gives them. Returns `null` when the object names neither address of a flow.
 */
export function flowFieldsOfJson(record: Record<string, unknown>): Record<string, string> | null {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    const name = JSON_FIELD_NAMES.get(compact(key));
    if (name === undefined || fields[name] !== undefined) continue;
    if (typeof value === 'string') fields[name] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) fields[name] = String(value);
  }
  if (fields.srcaddr === undefined && fields.dstaddr === undefined) return null;

  // Panther's re-exports keep the record's time in `p_event_time` when the record lost its own.
  const eventTime = record.p_event_time;
  if (fields.end === undefined && fields.start === undefined && typeof eventTime === 'string') {
    fields.end = eventTime;
  }
  return fields;
}
