/**
 * Turns logging calls into windows: when logging was stopped or deleted (until it was started
 * or created again, or until the end of the evidence), narrowed, or its retention shortened.
 */
import type { JsonObject } from '../sources/cloudtrail-unwrap.ts';
import type { LoggingCall } from './logging-calls.ts';
import type { GapFinding, GapKind, RetentionWarning } from './types.ts';

/** Retention below this many days is reported: 90 days is the common minimum for evidence. */
export const MIN_RETENTION_DAYS = 90;

/** A call that opens a window and the calls that close it again. */
interface WindowRule {
  opens: string;
  closes: readonly string[];
  kind: GapKind;
  what: string;
  cannotSee: string;
}

// Each rule is keyed by the lower-case operation that opens its window. The first closing call
// on the same resource closes the window, or on the same account and region when the call names
// no resource.
const WINDOW_RULES: readonly WindowRule[] = [
  {
    opens: 'stoplogging',
    closes: ['startlogging', 'deletetrail'],
    kind: 'logging_stopped',
    what: 'CloudTrail logging was stopped',
    cannotSee: 'API activity that this trail would have delivered, in every region it covers',
  },
  {
    opens: 'deletetrail',
    closes: ['createtrail'],
    kind: 'logging_deleted',
    what: 'the CloudTrail trail was deleted',
    cannotSee: 'API activity that this trail would have delivered, in every region it covered',
  },
  {
    opens: 'deleteflowlogs',
    closes: ['createflowlogs'],
    kind: 'logging_stopped',
    what: 'VPC flow logs were deleted',
    cannotSee: 'network connections of the interfaces, subnets or VPCs those flow logs covered',
  },
  {
    opens: 'deletedetector',
    closes: ['createdetector'],
    kind: 'logging_stopped',
    what: 'the GuardDuty detector was deleted',
    cannotSee: 'GuardDuty findings in this account and region',
  },
  {
    opens: 'stopconfigurationrecorder',
    closes: ['startconfigurationrecorder'],
    kind: 'logging_stopped',
    what: 'the AWS Config recorder was stopped',
    cannotSee: 'configuration changes of resources in this account and region',
  },
  {
    opens: 'deleteconfigurationrecorder',
    closes: ['startconfigurationrecorder'],
    kind: 'logging_deleted',
    what: 'the AWS Config recorder was deleted',
    cannotSee: 'configuration changes of resources in this account and region',
  },
  {
    opens: 'deletedeliverychannel',
    closes: ['startconfigurationrecorder'],
    kind: 'logging_deleted',
    what: 'the AWS Config delivery channel was deleted',
    cannotSee: 'configuration snapshots and history files delivered to S3',
  },
  {
    opens: 'deleteresolverquerylogconfig',
    closes: [],
    kind: 'logging_deleted',
    what: 'a Route 53 Resolver query logging configuration was deleted',
    cannotSee: 'DNS queries from the VPCs it covered',
  },
  {
    opens: 'disassociateresolverquerylogconfig',
    closes: [],
    kind: 'logging_stopped',
    what: 'Route 53 Resolver query logging was removed from a VPC',
    cannotSee: 'DNS queries from that VPC',
  },
  {
    opens: 'google.logging.v2.configservicev2.deletesink',
    closes: [],
    kind: 'logging_deleted',
    what: 'a Cloud Logging sink was deleted',
    cannotSee: 'log entries that the sink exported, in its destination',
  },
  {
    opens: 'microsoft.insights/diagnosticsettings/delete',
    closes: [],
    kind: 'logging_deleted',
    what: 'an Azure diagnostic setting was deleted',
    cannotSee: 'the resource or activity logs that the setting sent to its destination',
  },
  {
    opens: 'microsoft.insights/logprofiles/delete',
    closes: [],
    kind: 'logging_deleted',
    what: 'an Azure activity log profile was deleted',
    cannotSee: 'activity log entries that the profile exported',
  },
  {
    opens: 'system.log_stream.lifecycle.deactivate',
    closes: [],
    kind: 'logging_stopped',
    what: 'an Okta log stream was deactivated',
    cannotSee: 'System Log events that the stream sent to its destination',
  },
  {
    opens: 'system.log_stream.lifecycle.delete',
    closes: [],
    kind: 'logging_deleted',
    what: 'an Okta log stream was deleted',
    cannotSee: 'System Log events that the stream sent to its destination',
  },
  {
    opens: 'audit_log_streaming.destroy',
    closes: [],
    kind: 'logging_deleted',
    what: 'a GitHub audit log stream was deleted',
    cannotSee: 'audit log events that the stream sent to its destination',
  },
];

/** Inputs besides the calls: the end of the evidence and the buckets known to hold logs. */
export interface WindowContext {
  evidenceEnd: string | null;
  /** Buckets that CloudTrail delivers to, from trail calls and digest files. */
  trailBuckets: ReadonlySet<string>;
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
  const lastSeen = new Map<string, number>();
  calls.forEach((call, index) => {
    if (isRepeat(call, lastSeen)) return;
    const rule = WINDOW_RULES.find((r) => r.opens === call.op);
    if (rule) findings.push(openWindow(rule, call, calls.slice(index + 1)));
    findings.push(...narrowing(call, calls.slice(index + 1)));
    const shortened = retentionChange(call, buckets);
    if (shortened) {
      findings.push(shortened.finding);
      retention.push(shortened.warning);
    }
    const deleted = logDeletion(call, buckets);
    if (deleted) findings.push(deleted);
  });

  return { findings, retention };
}

/** Calls of one operation on one target this close together are one change, in ms. */
const REPEAT_MS = 5 * 60_000;

// Azure writes a Started and a Succeeded entry for one operation, and clients retry, so a
// call repeated on the same target within minutes is not a second change.
function isRepeat(call: LoggingCall, lastSeen: Map<string, number>): boolean {
  const key = [call.source, call.op, call.account, resourceOf(call) ?? call.region].join('|');
  const time = Date.parse(call.time);
  const previous = lastSeen.get(key);
  lastSeen.set(key, time);
  return previous !== undefined && time - previous <= REPEAT_MS;
}

function openWindow(rule: WindowRule, call: LoggingCall, later: LoggingCall[]): GapFinding {
  const resource = resourceOf(call);
  const close = later.find(
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
function narrowing(call: LoggingCall, later: LoggingCall[]): GapFinding[] {
  const losses = trailLosses(call);
  if (losses.length === 0) return [];

  const resource = resourceOf(call);
  const close = later.find((next) => next.op === call.op && sameTarget(next, call, resource));
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

function trailLosses(call: LoggingCall): string[] {
  const request = call.request;
  switch (call.op) {
    case 'puteventselectors':
      return selectorLosses(request);
    case 'putinsightselectors': {
      const selectors = request.insightSelectors;
      return Array.isArray(selectors) && selectors.length === 0
        ? ['CloudTrail Insights events (unusual API call rates) are no longer recorded']
        : [];
    }
    case 'updatetrail':
      return updateTrailLosses(request);
    case 'google.logging.v2.configservicev2.updatesink': {
      const sink = objectOf(request.sink);
      return sink.disabled === true ? ['the log sink was disabled and exports nothing'] : [];
    }
    case 'google.logging.v2.configservicev2.createexclusion':
    case 'google.logging.v2.configservicev2.updateexclusion': {
      const exclusion = objectOf(request.exclusion);
      const filter = text(exclusion.filter);
      return exclusion.disabled === true
        ? []
        : [`log entries matching an exclusion filter are dropped${filter ? ` (${filter})` : ''}`];
    }
    case 'set-adminauditlogconfig':
      return String(request.UnifiedAuditLogIngestionEnabled).toLowerCase() === 'false'
        ? ['the Microsoft 365 unified audit log no longer records activity']
        : [];
    case 'updatedetector':
      return request.enable === false ? ['GuardDuty stopped producing findings'] : [];
    default:
      return [];
  }
}

function selectorLosses(request: JsonObject): string[] {
  const losses: string[] = [];
  const selectors = request.eventSelectors;
  if (Array.isArray(selectors)) {
    const list = selectors.map(objectOf);
    if (list.length > 0 && list.every((s) => s.includeManagementEvents === false)) {
      losses.push('management events are no longer logged');
    }
    const kinds = new Set(list.map((s) => text(s.readWriteType) ?? 'All'));
    if (list.length > 0 && !kinds.has('All') && kinds.size === 1) {
      losses.push(`only ${[...kinds][0]} events are logged`);
    }
    const excluded = list.flatMap((s) =>
      Array.isArray(s.excludeManagementEventSources) ? s.excludeManagementEventSources : [],
    );
    if (excluded.length > 0) {
      losses.push(`management events of ${excluded.map(String).join(', ')} are excluded`);
    }
    if (list.length === 0) losses.push('no events are selected');
  }
  const advanced = request.advancedEventSelectors;
  if (Array.isArray(advanced)) losses.push(...advancedLosses(advanced.map(objectOf)));

  return losses;
}

function advancedLosses(selectors: JsonObject[]): string[] {
  if (selectors.length === 0) return ['no events are selected'];
  const categories = new Set<string>();
  const losses: string[] = [];
  for (const selector of selectors) {
    const fields = Array.isArray(selector.fieldSelectors) ? selector.fieldSelectors : [];
    for (const field of fields.map(objectOf)) {
      const name = text(field.field);
      const equals = Array.isArray(field.equals) ? field.equals.map(String) : [];
      if (name === 'eventCategory') for (const value of equals) categories.add(value);
      if (name === 'readOnly' && equals.length === 1) {
        losses.push(`only ${equals[0] === 'true' ? 'read' : 'write'} events match a selector`);
      }
      if (name === 'eventSource' && Array.isArray(field.notEquals)) {
        losses.push(`events of ${field.notEquals.map(String).join(', ')} are excluded`);
      }
    }
  }
  if (!categories.has('Management')) losses.unshift('management events are no longer logged');

  return losses;
}

function updateTrailLosses(request: JsonObject): string[] {
  const losses: string[] = [];
  if (request.isMultiRegionTrail === false) {
    losses.push('the trail no longer logs regions other than its home region');
  }
  if (request.includeGlobalServiceEvents === false) {
    losses.push('global service events (IAM, STS, CloudFront) are no longer logged');
  }
  if (request.enableLogFileValidation === false) {
    losses.push('digest files are no longer written, so deleted or edited log files go unnoticed');
  }
  const bucket = text(request.s3BucketName);
  if (bucket) losses.push(`log files now go to bucket ${bucket}, which must be collected too`);

  return losses;
}

function retentionChange(
  call: LoggingCall,
  trailBuckets: ReadonlySet<string>,
): { finding: GapFinding; warning: RetentionWarning } | null {
  const found = retentionDays(call, trailBuckets);
  if (found === null || found.days >= MIN_RETENTION_DAYS) return null;

  const { days, resource, what } = found;
  const message =
    `${call.operation} at ${call.time}${call.actor ? ` by ${call.actor}` : ''} keeps ${what} ` +
    `${resource} for ${days} days, less than ${MIN_RETENTION_DAYS}.`;
  const finding: GapFinding = {
    kind: 'retention_shortened',
    severity: found.trail ? 'high' : 'medium',
    source: call.source,
    account: call.account,
    region: call.region,
    resource,
    start: call.time,
    end: null,
    event_uids: [call.uid],
    summary: message,
    cannot_see: `${capital(what)} older than ${days} days at collection time, from ${call.time} on.`,
  };
  const warning: RetentionWarning = {
    source: call.source,
    kind: 'setting',
    message,
    days,
    event_uids: [call.uid],
  };

  return { finding, warning };
}

function retentionDays(
  call: LoggingCall,
  trailBuckets: ReadonlySet<string>,
): { days: number; resource: string; what: string; trail: boolean } | null {
  const request = call.request;
  if (call.op === 'putretentionpolicy') {
    const days = Number(request.retentionInDays);
    const group = text(request.logGroupName) ?? 'a log group';
    return Number.isFinite(days)
      ? { days, resource: group, what: 'the log events of log group', trail: false }
      : null;
  }
  if (call.op === 'putbucketlifecycle' || call.op === 'putbucketlifecycleconfiguration') {
    const bucket = text(request.bucketName);
    if (bucket === null) return null;
    const trail = trailBuckets.has(bucket);
    if (!trail && !/trail|log|audit/i.test(bucket)) return null;
    const days = shortestExpiration(request);
    const what = trail
      ? 'the CloudTrail log files in bucket'
      : 'the objects (possibly logs) in bucket';
    return days === null ? null : { days, resource: bucket, what, trail };
  }
  if (call.op === 'google.logging.v2.configservicev2.updatebucket') {
    const bucket = objectOf(request.bucket);
    const days = Number(bucket.retentionDays);
    const name = text(request.name) ?? text(bucket.name) ?? 'a log bucket';
    return Number.isFinite(days)
      ? { days, resource: name, what: 'the log entries of log bucket', trail: false }
      : null;
  }
  return null;
}

// The lifecycle arrives as `LifecycleConfiguration.Rule` (one object or a list) in CloudTrail.
function shortestExpiration(request: JsonObject): number | null {
  const config = objectOf(request.LifecycleConfiguration ?? request.lifecycleConfiguration);
  const rawRules = config.Rule ?? config.Rules ?? config.rules;
  const rules = (Array.isArray(rawRules) ? rawRules : [rawRules]).map(objectOf);
  let shortest: number | null = null;
  for (const rule of rules) {
    if (text(rule.Status) === 'Disabled') continue;
    for (const key of ['Expiration', 'NoncurrentVersionExpiration']) {
      const expiration = objectOf(rule[key]);
      const days = Number(expiration.Days ?? expiration.NoncurrentDays);
      if (Number.isFinite(days) && (shortest === null || days < shortest)) shortest = days;
    }
  }
  return shortest;
}

function logDeletion(call: LoggingCall, trailBuckets: ReadonlySet<string>): GapFinding | null {
  const request = call.request;
  let resource: string | null = null;
  let what = '';
  if (call.op === 'deletebucket' || call.op === 'deleteobject' || call.op === 'deleteobjects') {
    const bucket = text(request.bucketName);
    if (bucket === null || !trailBuckets.has(bucket)) return null;
    const key = text(request.key);
    resource = key ? `${bucket}/${key}` : bucket;
    what = call.op === 'deletebucket' ? 'the trail bucket was deleted' : 'log objects were deleted';
  } else if (call.op === 'deleteloggroup' || call.op === 'deletelogstream') {
    resource = text(request.logGroupName);
    what = call.op === 'deleteloggroup' ? 'a log group was deleted' : 'a log stream was deleted';
  } else if (call.op === 'google.logging.v2.configservicev2.deletebucket') {
    resource = text(request.name);
    what = 'a log bucket was deleted';
  } else {
    return null;
  }

  return {
    kind: 'logs_deleted',
    severity: 'high',
    source: call.source,
    account: call.account,
    region: call.region,
    resource,
    start: call.time,
    end: null,
    event_uids: [call.uid],
    summary: `${call.operation} at ${call.time}${call.actor ? ` by ${call.actor}` : ''}: ${what}${resource ? ` (${resource})` : ''}.`,
    cannot_see: 'The deleted logs, whatever period they held, unless a copy exists elsewhere.',
  };
}

function resourceOf(call: LoggingCall): string | null {
  const request = call.request;
  const named =
    text(request.name) ??
    text(request.trailName) ??
    text(request.detectorId) ??
    text(request.configurationRecorderName) ??
    text(request.sinkName) ??
    text(request.resolverQueryLogConfigId);
  if (named === null) return null;
  // A trail may be named by its ARN or its name; both name the same trail.
  const trail = /:trail\/(.+)$/.exec(named);
  return trail?.[1] ?? named;
}

function sameTarget(next: LoggingCall, call: LoggingCall, resource: string | null): boolean {
  if (next.account !== call.account) return false;
  const nextResource = resourceOf(next);
  if (resource !== null && nextResource !== null) return nextResource === resource;
  return next.region === call.region;
}

function objectOf(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function capital(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
