/**
 * Test helper that wraps a raw CloudTrail record in an `Event`, so rule tests can run before and
 * independently of the CloudTrail normalizer. Only the fields the Sigma matcher and the
 * correlation engine read are derived with care: `raw`, `uid`, `time` and `source`.
 */
import { createHash } from 'node:crypto';
import { type Event, emptyActor, emptyEndpoint, eventUid } from '../src/core/event.ts';

type RawRecord = Record<string, unknown>;

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function objectAt(value: unknown): RawRecord {
  return typeof value === 'object' && value !== null ? (value as RawRecord) : {};
}

/**
 * Reads the activity time: `eventTime`, or `@timestamp` for records shipped through Logstash,
 * which drops `eventTime`.
 */
function recordTime(raw: RawRecord): string {
  const value = text(raw.eventTime) ?? text(raw['@timestamp']);
  if (value === null)
    throw new Error('CloudTrail test record has neither eventTime nor @timestamp.');
  return new Date(value).toISOString();
}

/**
 * Builds an event from a raw CloudTrail record. `label` names the record's origin (a file name)
 * and `index` its position, which together make the evidence hash and the event uid.
 */
export function cloudTrailEvent(raw: RawRecord, label: string, index: number): Event {
  const sha256 = createHash('sha256').update(label).digest('hex');
  const evidence = { sha256, member: null, record: index, offset: 0 };
  const identity = objectAt(raw.userIdentity);
  const errorCode = text(raw.errorCode);
  const actor = {
    ...emptyActor(),
    uid: text(identity.arn),
    name: text(identity.userName),
    type: text(identity.type),
    access_key: text(identity.accessKeyId),
    account: text(identity.accountId),
    invoked_by: text(identity.invokedBy),
  };

  return {
    uid: eventUid(evidence),
    time: recordTime(raw),
    source: 'aws.cloudtrail',
    category: 'audit',
    class_uid: 6003,
    class_name: 'API Activity',
    activity: 'Other',
    status: errorCode === null ? 'success' : 'failure',
    status_detail: errorCode,
    actor,
    src: { ...emptyEndpoint(), ip: text(raw.sourceIPAddress) },
    dst: emptyEndpoint(),
    user_agent: text(raw.userAgent),
    cloud: { provider: 'aws', account: text(raw.recipientAccountId), region: text(raw.awsRegion) },
    api: {
      service: text(raw.eventSource),
      operation: text(raw.eventName),
      request_id: text(raw.requestID),
      read_only: typeof raw.readOnly === 'boolean' ? raw.readOnly : null,
    },
    resources: [],
    message: `${text(raw.eventName) ?? 'unknown'} by ${actor.uid ?? 'unknown'}`,
    tags: [],
    evidence,
    raw,
  };
}
