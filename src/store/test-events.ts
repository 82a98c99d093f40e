/** Hand-made events for store and report tests. */
import {
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
} from '../core/event.ts';

/** SHA-256 of an imaginary evidence file, used by the test events. */
export const TEST_SHA = 'a'.repeat(64);

/**
 * Builds an event uid with the member name whole, however long. Cases written before `eventUid` put a
 * digest in place of a long name hold such uids, and the stores and reports must still handle
 * them within their memory limits.
 */
export function wholeMemberUid(ref: EvidenceRef): string {
  const member = ref.member === null ? '' : `${ref.member}#`;
  return `${ref.sha256.slice(0, 16)}:${member}${ref.record}`;
}

/** Builds a CloudTrail-like event; `overrides` replaces top-level fields. */
export function testEvent(record: number, overrides: Partial<Event> = {}): Event {
  const evidence = { sha256: TEST_SHA, member: null, record, offset: record * 100 };

  return {
    uid: eventUid(evidence),
    time: new Date(Date.UTC(2024, 4, 1, 12, 0, record)).toISOString(),
    source: 'aws.cloudtrail',
    category: 'audit',
    class_uid: 6003,
    class_name: 'API Activity',
    activity: 'Create',
    status: 'success',
    status_detail: null,
    actor: {
      ...emptyActor(),
      uid: 'arn:aws:iam::111122223333:user/alice',
      name: 'alice',
      type: 'IAMUser',
      access_key: 'AKIAIOSFODNN7EXAMPLE',
      mfa: false,
      account: '111122223333',
    },
    src: { ...emptyEndpoint(), ip: '203.0.113.7', port: 443 },
    dst: emptyEndpoint(),
    user_agent: 'aws-cli/2.15.0',
    cloud: { provider: 'aws', account: '111122223333', region: 'us-east-1' },
    api: {
      service: 'iam.amazonaws.com',
      operation: 'CreateAccessKey',
      request_id: `req-${record}`,
      read_only: false,
    },
    resources: [{ uid: 'arn:aws:iam::111122223333:user/bob', type: 'AWS::IAM::User' }],
    message: `alice called CreateAccessKey (${record})`,
    tags: ['test'],
    evidence,
    raw: { eventName: 'CreateAccessKey', eventVersion: '1.08', nested: { list: [1, 'two', null] } },
    ...overrides,
  };
}
