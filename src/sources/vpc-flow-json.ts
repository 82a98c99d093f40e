/**
 * Flow log lines inside CloudWatch Logs JSON: `aws logs filter-log-events` output (`events`),
 * subscription filter payloads (`logEvents`) and Logs Insights exports (`@message`). Each log
 * event carries one flow log line, without the header.
 */

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
