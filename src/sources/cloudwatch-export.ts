/**
 * CloudWatch Logs exports to S3 (`aws logs create-export-task`): gzip files at
 * `<prefix>/<task id>/<log stream>/000000.gz`, each line `<ISO 8601 UTC time> <message>`, where
 * the time is the log event's `timestamp` written with milliseconds and `Z`. The messages are
 * whatever the log group holds, often another log format whose own readers take them from here.
 */
import type { Event, EvidenceRef } from '../core/event.ts';
import { normalizeCloudTrail } from './cloudtrail.ts';
import { normalizeK8sAudit } from './k8s-audit.ts';
import { normalizeRoute53Resolver } from './route53-resolver.ts';
import { headLines, type LineParse, type LineParser } from './text-lines.ts';
import { isNormalizeError, type NormalizeError } from './types.ts';
import { normalizeVpcFlow } from './vpc-flow.ts';
import { isFlowLine } from './vpc-flow-json.ts';

// CloudWatch writes the time in UTC with milliseconds and `Z`. rsyslog's RFC 3339 layout
// (RSYSLOG_FileFormat) has microseconds and a numeric offset instead.
const EXPORT_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (.*)$/s;
// An export object's name: six digits, gzip or already unpacked.
const EXPORT_NAME = /(^|[/\\])\d{6}(\.gz)?$/;
const SNIFF_LINES = 5;
// Reason codes of the formats' normalizers for a record that is not of their format.
const NOT_THE_FORMAT = /^(not_|invalid_json$|unknown_layout$|field_count$)/;

type Normalizer = (value: unknown, ref: EvidenceRef) => Event | NormalizeError;

/**
 * Key of `raw` under which an event read from a CloudWatch Logs message keeps the log event's
 * fields other than the message. No format read from messages has a field of that name.
 */
export const LOG_EVENT_KEY = 'cloudwatch_log_event';

/** Reads export lines into log events `{ timestamp, message }`, as CloudWatch's API returns them. */
export class ExportLineParser implements LineParser {
  parse(line: string): LineParse {
    const found = EXPORT_LINE.exec(line);
    // NOTE: an export writes a message's own line breaks as they are, so a line without the
    // time may continue the message before it. Such lines are rejected, not joined to it.
    if (found === null) {
      const reason =
        'the line does not start with a CloudWatch Logs export time; it may continue a multi-line message';
      return { kind: 'rejected', code: 'not_cloudwatch_export', reason };
    }
    return { kind: 'record', value: { timestamp: found[1], message: found[2] } };
  }
}

/**
 * Scores how much the first bytes of a stream look like a CloudWatch Logs export: the first line
 * and most others start with the export's time. Messages that are flow log lines or JSON, or the
 * export's file name, make it certain; other messages still score above syslog's rsyslog layout.
 */
export function sniffCloudWatchExport(head: Buffer, name: string): number {
  const lines = headLines(head, SNIFF_LINES);
  if (lines.length === 0) return 0;

  const messages: string[] = [];
  for (const line of lines) {
    const found = EXPORT_LINE.exec(line);
    if (found !== null) messages.push(found[2] ?? '');
  }
  // The first line starts a message; later ones may continue a multi-line message.
  if (!EXPORT_LINE.test(lines[0] ?? '') || messages.length * 2 < lines.length) return 0;

  const known = messages.some((message) => isFlowLine(message) || message.startsWith('{'));
  const score = known || EXPORT_NAME.test(name) ? 0.95 : 0.8;
  return messages.length === lines.length ? score : score - 0.1;
}

/**
 * Normalizes a log event whose message is a record of another format: a flow log line,
 * CloudTrail, Kubernetes audit or Route 53 Resolver JSON. Returns `null` for any other message
 * and for one that the format's reader does not take as its own.
 * The event time is the record's own. `raw` is the log event for a flow line, and otherwise the
 * record with the log event's other fields under `cloudwatch_log_event`.
 */
export function normalizeEmbedded(
  value: Record<string, unknown>,
  message: string,
  ref: EvidenceRef,
): Event | NormalizeError | null {
  const normalize = embeddedFormatOf(message);
  if (normalize === null) return null;

  const result = normalize(value, ref);
  // A message that only looked like the format stays a log line. A broken record of the format,
  // such as one without a time, is rejected with the format's reason.
  if (isNormalizeError(result)) return NOT_THE_FORMAT.test(result.code) ? null : result;
  if (result.raw === value) return result;

  // The format keeps the record it took from the message as `raw`, so that rules see its own
  // fields; the log event's other fields, such as its `timestamp`, go beside them.
  const { message: _message, '@message': _insights, ...logEvent } = value;
  return { ...result, raw: { ...result.raw, [LOG_EVENT_KEY]: logEvent } };
}

function embeddedFormatOf(message: string): Normalizer | null {
  if (isFlowLine(message)) return normalizeVpcFlow;
  if (!message.startsWith('{')) return null;

  if (message.includes('"eventVersion"') && message.includes('"eventSource"')) {
    return normalizeCloudTrail;
  }
  if (message.includes('"auditID"') && message.includes('"audit.k8s.io/')) {
    return normalizeK8sAudit;
  }
  if (message.includes('"query_name"') && message.includes('"query_timestamp"')) {
    return normalizeRoute53Resolver;
  }
  return null;
}
