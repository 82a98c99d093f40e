/**
 * CloudWatch Logs exports to S3 (`aws logs create-export-task`): gzip files at
 * `<prefix>/<task id>/<log stream>/000000.gz`, each line `<ISO 8601 UTC time> <message>`, where
 * the time is the log event's `timestamp` written with milliseconds and `Z`. The messages are
 * whatever the log group holds, often another log format whose own readers take them from here.
 * An export writes a message's own line breaks as they are, so a line without the time
 * continues the message before it.
 */
import type { Event, EvidenceRef } from '../core/event.ts';
import { normalizeCloudTrail } from './cloudtrail.ts';
import { normalizeK8sAudit } from './k8s-audit.ts';
import { normalizeRoute53Resolver } from './route53-resolver.ts';
import {
  DEFAULT_MAX_LINE_BYTES,
  headLines,
  type LineParse,
  type LineParser,
} from './text-lines.ts';
import { isNormalizeError, type NormalizeError, type RecordResult } from './types.ts';
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

// Key of the record a line without the export's time becomes until it is joined to a message.
const CONTINUATION_KEY = Symbol('continuation');

/** Maximum length of a message, in UTF-16 code units, that continuation lines are joined into. */
export const MAX_EXPORT_MESSAGE_CHARS = DEFAULT_MAX_LINE_BYTES;

/**
 * Reads export lines into log events `{ timestamp, message }`, as CloudWatch's API returns them,
 * with `logStreamName` when the export's folder names the stream. A line without the export's
 * time becomes a continuation, which `joinContinuations` appends to the message before it.
 */
export class ExportLineParser implements LineParser {
  readonly #stream: string | null;

  constructor(stream: string | null = null) {
    this.#stream = stream;
  }

  parse(line: string): LineParse {
    const found = EXPORT_LINE.exec(line);
    if (found === null) return { kind: 'record', value: { [CONTINUATION_KEY]: line } };

    const value: Record<string, unknown> = { timestamp: found[1], message: found[2] };
    if (this.#stream !== null) value.logStreamName = this.#stream;
    return { kind: 'record', value };
  }
}

// An export task's id, the folder under the export prefix.
const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Returns the log stream an export object's path names (`<prefix>/<task id>/<log stream>/
 * 000000.gz`), or `null` when the path is not shaped like one. A stream name with `/` in it,
 * such as Lambda's `2024/04/02/[$LATEST]…`, spans several folders after the task id.
 * NOTE: without a task id (a UUID) in the path, only the last folder is taken as the stream.
 */
export function exportStreamOf(filePath: string | undefined): string | null {
  if (filePath === undefined || !EXPORT_NAME.test(filePath)) return null;
  const folders = filePath.split(/[/\\]/).slice(0, -1);
  const task = folders.findLastIndex((folder) => TASK_ID.test(folder));
  if (task !== -1 && task < folders.length - 1) return folders.slice(task + 1).join('/');

  const stream = folders.at(-1);
  return stream === undefined || stream === '' || stream === '.' ? null : stream;
}

/**
 * Joins the continuation lines of `ExportLineParser` to the message before them, with a line
 * feed between. A joined message keeps the offset and line of its first line; later records are
 * renumbered so that indexes stay consecutive. A continuation with no message before it, or one
 * that would make the message longer than `maxChars`, is rejected. Only one message is held.
 */
export async function* joinContinuations(
  results: AsyncIterable<RecordResult>,
  maxChars = MAX_EXPORT_MESSAGE_CHARS,
): AsyncGenerator<RecordResult> {
  let pending: (RecordResult & { kind: 'record' }) | null = null;
  let joined = 0;

  for await (const result of results) {
    const renumbered = { ...result, index: result.index - joined };
    const continuation = continuationOf(result);
    if (continuation === null) {
      if (pending !== null) yield pending;
      pending = renumbered.kind === 'record' ? renumbered : null;
      if (renumbered.kind === 'rejected') yield renumbered;
      continue;
    }

    const event = pending?.value as Record<string, unknown> | undefined;
    const message = typeof event?.message === 'string' ? event.message : null;
    if (
      event !== undefined &&
      message !== null &&
      message.length + continuation.length < maxChars
    ) {
      event.message = `${message}\n${continuation}`;
      joined++;
      continue;
    }
    if (pending !== null) yield pending;
    pending = null;
    yield rejectContinuation(renumbered, continuation, message !== null, maxChars);
  }
  if (pending !== null) yield pending;
}

function continuationOf(result: RecordResult): string | null {
  if (result.kind !== 'record' || typeof result.value !== 'object' || result.value === null) {
    return null;
  }
  const line = (result.value as Record<symbol, unknown>)[CONTINUATION_KEY];
  return typeof line === 'string' ? line : null;
}

function rejectContinuation(
  result: RecordResult,
  line: string,
  afterMessage: boolean,
  maxChars: number,
): RecordResult {
  const { index, offset, line: lineNumber } = result;
  const sample = line.slice(0, 200);
  if (afterMessage) {
    const reason = `the line continues a message that would pass ${maxChars} characters`;
    return {
      kind: 'rejected',
      index,
      offset,
      line: lineNumber,
      code: 'message_too_long',
      reason,
      sample,
    };
  }
  const reason = 'the line does not start with a CloudWatch Logs export time';
  return {
    kind: 'rejected',
    index,
    offset,
    line: lineNumber,
    code: 'not_cloudwatch_export',
    reason,
    sample,
  };
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
  // The first line starts a message; later ones may continue a multi-line message. Where most
  // sniffed lines continue one, only the export's file name tells the format.
  if (!EXPORT_LINE.test(lines[0] ?? '')) return 0;
  if (messages.length * 2 < lines.length) return EXPORT_NAME.test(name) ? 0.75 : 0;

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
