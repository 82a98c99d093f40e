/**
 * Turns logging calls into windows: when logging was stopped or deleted (until it was started
 * or created again, or until the end of the evidence), narrowed, or its retention shortened.
 */
import { capital, resourceOf, sameTarget, text } from './call-fields.ts';
import { LogWipes, OBJECT_DELETIONS } from './log-wipes.ts';
import type { LoggingCall } from './logging-calls.ts';
import { trailLosses } from './logging-losses.ts';
import { logDeletion, retentionChange } from './logging-retention.ts';
import type { GapFinding, RetentionWarning } from './types.ts';
import { WINDOW_RULES, type WindowRule } from './window-rules.ts';

/** Inputs besides the calls: the end of the evidence and the buckets known to hold logs. */
export interface WindowContext {
  evidenceEnd: string | null;
  /** Buckets that CloudTrail delivers to, from trail calls and digest files. */
  trailBuckets: ReadonlySet<string>;
  /**
   * Object deletions that `readLoggingCalls` already grouped while the rows streamed. The
   * object deletions among the calls are added to it.
   */
  wipes?: LogWipes;
}

/** Builds the findings and the retention warnings that the logging calls show. */
export function loggingWindows(
  calls: readonly LoggingCall[],
  context: WindowContext,
): { findings: GapFinding[]; retention: RetentionWarning[] } {
  const buckets = new Set(context.trailBuckets);
  for (const call of calls) {
    const bucket = text(call.request.s3BucketName);
    if ((call.op === 'createtrail' || call.op === 'updatetrail') && bucket) buckets.add(bucket);
  }

  const findings: GapFinding[] = [];
  const retention: RetentionWarning[] = [];
  const wipes = context.wipes ?? new LogWipes();
  const lastSeen = new Map<string, number>();
  // The deletion finding of each repeat key, with the deletions that repeated it.
  const deletions = new Map<string, { finding: GapFinding; more: number }>();
  calls.forEach((call, index) => {
    // Each object deletion removes other objects, so none is a repeat of another. They are
    // grouped into wipes of a bucket instead.
    if (OBJECT_DELETIONS.has(call.op)) {
      const bucket = text(call.request.bucketName);
      if (bucket !== null && buckets.has(bucket)) wipes.add(call);
      return;
    }
    const key = repeatKey(call);
    if (isRepeat(call, key, lastSeen)) {
      const open = deletions.get(key);
      if (open !== undefined && logDeletion(call, buckets) !== null) {
        open.more++;
        open.finding.end = call.time;
        if (open.finding.event_uids.length <= MAX_REPEAT_UIDS)
          open.finding.event_uids.push(call.uid);
      }
      return;
    }
    const rule = WINDOW_RULES.find((r) => r.opens === call.op);
    if (rule) findings.push(openWindow(rule, call, laterCalls(calls, index)));
    findings.push(...narrowing(call, laterCalls(calls, index)));
    const shortened = retentionChange(call, buckets);
    if (shortened) {
      findings.push(shortened.finding);
      retention.push(shortened.warning);
    }
    const deleted = logDeletion(call, buckets);
    if (deleted) {
      findings.push(deleted);
      deletions.set(key, { finding: deleted, more: 0 });
    }
  });
  // Repeated deletions of a log group or bucket are one finding that counts them.
  for (const { finding, more } of deletions.values()) {
    if (more > 0)
      finding.summary = `${finding.summary.slice(0, -1)}, and ${more} more until ${finding.end}.`;
  }
  findings.push(...wipes.findings());

  return { findings, retention };
}

/** Maximum number of repeated deletions whose uids a deletion finding lists besides its first. */
const MAX_REPEAT_UIDS = 50;

/**
 * Calls of one operation on one target this close together are one change, in ms. Each of
 * these calls opens or closes a window, or sets a setting, so a call hours later is a second
 * change that must stay a finding of its own (a second StopLogging after a StartLogging opens a
 * new window). Object deletions are grouped by `LogWipes` instead.
 */
const REPEAT_MS = 5 * 60_000;

// Operations whose request sets how much is logged or kept. Such a call repeats another only
// with the same request, because a harmless call would otherwise hide a narrowing one that
// follows it within minutes.
const SETTING_OPERATIONS: ReadonlySet<string> = new Set([
  'puteventselectors',
  'putinsightselectors',
  'updatetrail',
  'putbucketlifecycle',
  'putbucketlifecycleconfiguration',
  'putretentionpolicy',
  'updatedetector',
  'set-adminauditlogconfig',
  'google.logging.v2.configservicev2.updatesink',
  'google.logging.v2.configservicev2.createexclusion',
  'google.logging.v2.configservicev2.updateexclusion',
  'google.logging.v2.configservicev2.updatebucket',
]);

// The calls of one operation on one target, of which `isRepeat` keeps the first of each run. A
// bucket or log group is the target when the call names no trail, detector, recorder or sink,
// so that a call on one bucket does not hide a call on another.
function repeatKey(call: LoggingCall): string {
  const target =
    resourceOf(call) ??
    text(call.request.bucketName) ??
    text(call.request.logGroupName) ??
    call.region;
  const key = [call.source, call.op, call.account, target];
  if (SETTING_OPERATIONS.has(call.op)) key.push(JSON.stringify(call.request));

  return JSON.stringify(key);
}

// Azure writes a Started and a Succeeded entry for one operation, and clients retry, so a
// call repeated on the same target within minutes is not a second change.
function isRepeat(call: LoggingCall, key: string, lastSeen: Map<string, number>): boolean {
  const time = Date.parse(call.time);
  const previous = lastSeen.get(key);
  lastSeen.set(key, time);
  return previous !== undefined && time - previous <= REPEAT_MS;
}

// The calls after `calls[index]`, read lazily: copying them for every call took time and memory
// that grew with the square of the calls.
function* laterCalls(calls: readonly LoggingCall[], index: number): Iterable<LoggingCall> {
  for (let i = index + 1; i < calls.length; i++) yield calls[i] as LoggingCall;
}

// The first of `calls` that satisfies `test`, or undefined.
function findCall(
  calls: Iterable<LoggingCall>,
  test: (call: LoggingCall) => boolean,
): LoggingCall | undefined {
  for (const call of calls) if (test(call)) return call;
  return undefined;
}

function openWindow(rule: WindowRule, call: LoggingCall, later: Iterable<LoggingCall>): GapFinding {
  const resource = resourceOf(call);
  const close = findCall(
    later,
    (next) => rule.closes.includes(next.op) && sameTarget(next, call, resource),
  );
  const end = close?.time ?? null;
  const until = end === null ? 'still so at the end of the evidence' : `until ${end}`;

  return {
    kind: rule.kind,
    severity: 'high',
    source: call.source,
    account: call.account,
    region: call.region,
    resource,
    start: call.time,
    end,
    event_uids: [call.uid, ...(close ? [close.uid] : [])],
    summary:
      `${call.operation} at ${call.time}${call.actor ? ` by ${call.actor}` : ''}: ` +
      `${rule.what}${resource ? ` (${resource})` : ''}, ${until}` +
      `${close ? ` (${close.operation})` : ''}.`,
    cannot_see: `${capital(rule.cannotSee)}, from ${call.time}${end ? ` to ${end}` : ' on'}.`,
  };
}

// Trail settings that make a trail log less: each returns what is no longer logged.
function narrowing(call: LoggingCall, later: Iterable<LoggingCall>): GapFinding[] {
  const losses = trailLosses(call);
  if (losses.length === 0) return [];

  const resource = resourceOf(call);
  const close = findCall(later, (next) => next.op === call.op && sameTarget(next, call, resource));
  const end = close?.time ?? null;

  return [
    {
      kind: 'logging_narrowed',
      severity: 'high',
      source: call.source,
      account: call.account,
      region: call.region,
      resource,
      start: call.time,
      end,
      event_uids: [call.uid, ...(close ? [close.uid] : [])],
      summary:
        `${call.operation} at ${call.time}${call.actor ? ` by ${call.actor}` : ''} narrowed ` +
        `${resource ?? 'what is logged'}: ${losses.join('; ')}` +
        `${end ? `, until the next ${call.operation} at ${end}` : ', with no later change in the evidence'}.`,
      cannot_see: `${capital(losses.join('; '))}, from ${call.time}${end ? ` to ${end}` : ' on'}.`,
    },
  ];
}
