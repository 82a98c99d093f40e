import { describe, expect, it } from 'vitest';
import { LogWipes, MAX_WIPE_UIDS } from './log-wipes.ts';
import type { LoggingCall } from './logging-calls.ts';
import { loggingWindows } from './logging-windows.ts';

const START = Date.parse('2024-05-13T10:00:00.000Z');
const MALLORY = 'arn:aws:iam::111122223333:user/mallory';

// A DeleteObject (or `operation`) in `bucket`, `minutes` after 10:00.
function deletion(
  minutes: number,
  options: { bucket?: string; actor?: string | null; operation?: string } = {},
): LoggingCall {
  const time = new Date(START + minutes * 60_000).toISOString();
  const operation = options.operation ?? 'DeleteObject';
  const bucketName = options.bucket ?? 'trail-bucket';
  return {
    uid: `uid-${bucketName}-${minutes}`,
    time,
    source: 'aws.cloudtrail',
    account: '111122223333',
    region: 'us-east-1',
    operation,
    op: operation.toLowerCase(),
    actor: options.actor === undefined ? MALLORY : options.actor,
    request:
      operation === 'DeleteObject'
        ? { bucketName, key: `AWSLogs/${minutes}.json.gz` }
        : { bucketName },
  };
}

const context = {
  evidenceEnd: '2024-05-20T00:00:00.000Z',
  trailBuckets: new Set(['trail-bucket', 'other-trail-bucket']),
};

describe('log wipes', () => {
  it('makes a slow wipe one finding', () => {
    // One deletion every 6 minutes, longer apart than the 5 minutes that make a repeat.
    const calls = Array.from({ length: 200 }, (_, i) => deletion(i * 6));

    const { findings } = loggingWindows(calls, context);

    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'logs_deleted',
      resource: 'trail-bucket',
      start: '2024-05-13T10:00:00.000Z',
      end: '2024-05-14T05:54:00.000Z',
    });
    expect(findings[0]?.summary).toBe(
      '200 calls deleted log objects in trail bucket trail-bucket from ' +
        '2024-05-13T10:00:00.000Z to 2024-05-14T05:54:00.000Z (200 DeleteObject) by ' +
        `${MALLORY}.`,
    );
  });

  it('lists the first uids and the last', () => {
    const calls = Array.from({ length: 200 }, (_, i) => deletion(i * 6));

    const uids = loggingWindows(calls, context).findings[0]?.event_uids;

    expect(uids).toHaveLength(MAX_WIPE_UIDS);
    expect(uids?.slice(0, -1)).toEqual(calls.slice(0, MAX_WIPE_UIDS - 1).map((c) => c.uid));
    expect(uids?.at(-1)).toBe(calls.at(-1)?.uid);
  });

  it('separates wipes after a quiet hour', () => {
    const calls = [deletion(0), deletion(30), deletion(95), deletion(100), deletion(400)];

    const { findings } = loggingWindows(calls, context);

    expect(findings.map((f) => [f.start, f.end, f.event_uids.length])).toEqual([
      ['2024-05-13T10:00:00.000Z', '2024-05-13T10:30:00.000Z', 2],
      ['2024-05-13T11:35:00.000Z', '2024-05-13T11:40:00.000Z', 2],
      ['2024-05-13T16:40:00.000Z', '2024-05-13T16:40:00.000Z', 1],
    ]);
  });

  it('keeps a single deletion with its key', () => {
    const { findings } = loggingWindows([deletion(0)], context);

    expect(findings[0]?.resource).toBe('trail-bucket/AWSLogs/0.json.gz');
    expect(findings[0]?.summary).toBe(
      `DeleteObject at 2024-05-13T10:00:00.000Z by ${MALLORY}: ` +
        'log objects were deleted (trail-bucket/AWSLogs/0.json.gz).',
    );
  });

  it('keeps the wipes of two buckets apart', () => {
    const calls = [0, 1, 2, 3].map((i) =>
      deletion(i * 6, { bucket: i % 2 === 0 ? 'trail-bucket' : 'other-trail-bucket' }),
    );

    const { findings } = loggingWindows(calls, context);

    expect(findings.map((f) => [f.resource, f.event_uids.length])).toEqual([
      ['trail-bucket', 2],
      ['other-trail-bucket', 2],
    ]);
  });

  it('ignores deletions outside trail buckets', () => {
    const calls = [deletion(0, { bucket: 'data' }), deletion(1, { bucket: 'data' })];

    expect(loggingWindows(calls, context).findings).toEqual([]);
  });

  it('counts DeleteObject and DeleteObjects together', () => {
    const calls = [
      deletion(0),
      deletion(6, { operation: 'DeleteObjects' }),
      deletion(12, { operation: 'DeleteObjects' }),
    ];

    const [finding] = loggingWindows(calls, context).findings;

    expect(finding?.summary).toContain('(1 DeleteObject, 2 DeleteObjects)');
    expect(finding?.cannot_see).toContain('CloudTrail does not record their keys');
  });

  it('names the first identities of a wipe', () => {
    // An intruder who switches role sessions while deleting still makes one wipe.
    const actors = [MALLORY, null, ...Array.from({ length: 8 }, (_, i) => `session-${i}`)];
    const calls = actors.map((actor, i) => deletion(i * 6, { actor }));

    const { findings } = loggingWindows(calls, context);

    expect(findings).toHaveLength(1);
    expect(findings[0]?.summary).toContain(
      `by ${MALLORY}, session-0, session-1, session-2, session-3 ` +
        'and by other or unnamed identities in 5 calls.',
    );
  });

  it('adds the deletions grouped while streaming', () => {
    const wipes = new LogWipes();
    for (let i = 0; i < 30; i++) wipes.add(deletion(i * 6));

    const { findings } = loggingWindows([deletion(180)], { ...context, wipes });

    expect(findings).toHaveLength(1);
    expect(findings[0]?.summary).toMatch(/^31 calls deleted log objects/);
  });
});
