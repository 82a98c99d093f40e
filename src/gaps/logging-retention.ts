/** Retention settings and log deletions among the logging calls. */
import type { JsonObject } from '../sources/cloudtrail-unwrap.ts';
import { capital, objectOf, text } from './call-fields.ts';
import type { LoggingCall } from './logging-calls.ts';
import type { GapFinding, RetentionWarning } from './types.ts';

/** Retention below this many days is reported: 90 days is the common minimum for evidence. */
export const MIN_RETENTION_DAYS = 90;

/** Returns the finding and warning of a retention setting under 90 days, or `null`. */
export function retentionChange(
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

/**
 * Returns the finding of a call that deleted a trail bucket, a log group, a log stream or a GCP
 * log bucket, or `null`. Object deletions are grouped into wipes by `LogWipes`.
 */
export function logDeletion(
  call: LoggingCall,
  trailBuckets: ReadonlySet<string>,
): GapFinding | null {
  const request = call.request;
  let resource: string | null = null;
  let what = '';
  if (call.op === 'deletebucket') {
    const bucket = text(request.bucketName);
    if (bucket === null || !trailBuckets.has(bucket)) return null;
    resource = bucket;
    what = 'the trail bucket was deleted';
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
    // The deletion is over once made: its window ends at the last deletion, not at the end of
    // the evidence.
    end: call.time,
    event_uids: [call.uid],
    summary: `${call.operation} at ${call.time}${call.actor ? ` by ${call.actor}` : ''}: ${what}${resource ? ` (${resource})` : ''}.`,
    cannot_see: 'The deleted logs, whatever period they held, unless a copy exists elsewhere.',
  };
}
