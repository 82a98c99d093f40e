import { describe, expect, it } from 'vitest';
import type { Event } from '../../core/event.ts';
import { normalizeCloudTrail } from '../../sources/cloudtrail.ts';
import { isNormalizeError } from '../../sources/types.ts';
import { TEST_SHA } from '../../store/test-events.ts';
import { onEvents } from '../test-case.ts';
import { scopeOf } from './index.ts';

// A CloudTrail record that lists `count` objects of one bucket, each with a long key.
function listing(record: number, count: number): Event {
  const resources = Array.from({ length: count }, (_, i) => ({
    type: 'AWS::S3::Object',
    ARN: `arn:aws:s3:::exports/${'k'.repeat(200)}-${record}-${i}`,
  }));
  const raw = {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
    eventTime: `2024-05-01T12:00:0${record}Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    eventID: `e${record}`,
    resources,
  };
  const event = normalizeCloudTrail(raw, { sha256: TEST_SHA, member: null, record, offset: 0 });
  if (isNormalizeError(event)) throw new Error(event.reason);
  return event;
}

describe('scope of a resource', () => {
  it('finds resources left out of a long resources column', async () => {
    // 100 resources of about 240 characters pass the column's 16,384, so it keeps the first
    // ones only, and the record is stored in parts. 30 resources fit whole.
    const long = listing(0, 100);
    const short = listing(1, 30);
    const dropped = long.resources[90]?.uid ?? '';
    const kept = short.resources[20]?.uid ?? '';

    const [droppedScope, keptScope] = await onEvents([long, short], async (connection) => [
      await scopeOf(connection, { kind: 'resource', value: dropped }),
      await scopeOf(connection, { kind: 'resource', value: kept }),
    ]);

    expect(dropped).toMatch(/-0-90$/);
    expect(droppedScope?.event_list.map((event) => event.uid)).toEqual([long.uid]);
    expect(keptScope?.event_list.map((event) => event.uid)).toEqual([short.uid]);
  });
});
