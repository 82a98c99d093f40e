import { describe, expect, it } from 'vitest';
import { onEvents } from '../analyze/test-case.ts';
import { testEvent } from '../store/test-events.ts';
import { type LoggingCall, readLoggingCalls } from './logging-calls.ts';
import { loggingWindows } from './logging-windows.ts';

function call(time: string, operation: string, request: Record<string, unknown>): LoggingCall {
  return {
    uid: `uid-${operation}-${time}`,
    time,
    source: 'aws.cloudtrail',
    account: '111122223333',
    region: 'us-east-1',
    operation,
    op: operation.toLowerCase(),
    actor: 'arn:aws:iam::111122223333:user/mallory',
    request,
  };
}

const context = {
  evidenceEnd: '2024-05-14T00:00:00.000Z',
  trailBuckets: new Set(['trail-bucket']),
};
const TRAIL = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main';

describe('logging windows', () => {
  it('closes a StopLogging window at StartLogging of the same trail', () => {
    const { findings } = loggingWindows(
      [
        call('2024-05-13T01:00:00.000Z', 'StopLogging', { name: TRAIL }),
        call('2024-05-13T02:00:00.000Z', 'StartLogging', { name: 'other' }),
        call('2024-05-13T03:00:00.000Z', 'StartLogging', { name: 'main' }),
      ],
      context,
    );

    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'logging_stopped',
      resource: 'main',
      start: '2024-05-13T01:00:00.000Z',
      end: '2024-05-13T03:00:00.000Z',
      event_uids: [
        'uid-StopLogging-2024-05-13T01:00:00.000Z',
        'uid-StartLogging-2024-05-13T03:00:00.000Z',
      ],
    });
  });

  it('counts a repeated call within minutes once', () => {
    const { findings } = loggingWindows(
      [
        call('2024-05-13T01:00:00.000Z', 'DeleteTrail', { name: 'main' }),
        call('2024-05-13T01:01:00.000Z', 'DeleteTrail', { name: 'main' }),
      ],
      context,
    );

    expect(findings).toHaveLength(1);
  });

  it('keeps calls on other buckets and log groups', () => {
    const { findings } = loggingWindows(
      [
        call('2024-05-13T01:00:00.000Z', 'DeleteBucket', { bucketName: 'data' }),
        call('2024-05-13T01:01:00.000Z', 'DeleteBucket', { bucketName: 'trail-bucket' }),
        call('2024-05-13T01:02:00.000Z', 'DeleteLogGroup', { logGroupName: '/aws/eks/audit' }),
        call('2024-05-13T01:03:00.000Z', 'DeleteLogGroup', { logGroupName: '/aws/lambda/x' }),
      ],
      context,
    );

    expect(findings.map((f) => [f.kind, f.resource])).toEqual([
      ['logs_deleted', 'trail-bucket'],
      ['logs_deleted', '/aws/eks/audit'],
      ['logs_deleted', '/aws/lambda/x'],
    ]);
  });

  it('counts repeated deletions of one log group', () => {
    const streams = Array.from({ length: 60 }, (_, i) =>
      call(`2024-05-13T01:${String(i).padStart(2, '0')}:00.000Z`, 'DeleteLogStream', {
        logGroupName: '/aws/eks/audit',
        logStreamName: `stream-${i}`,
      }),
    );

    const { findings } = loggingWindows(streams, context);

    expect(findings).toHaveLength(1);
    expect(findings[0]?.summary).toMatch(/, and 59 more until 2024-05-13T01:59:00\.000Z\.$/);
    expect(findings[0]?.event_uids).toEqual(streams.slice(0, 51).map((s) => s.uid));
  });

  it('reports a narrowing right after a harmless change', () => {
    const all = [{ readWriteType: 'All', includeManagementEvents: true }];
    const none = [{ readWriteType: 'All', includeManagementEvents: false }];
    const lifecycle = (days: number) => ({
      bucketName: 'trail-bucket',
      LifecycleConfiguration: { Rule: { Status: 'Enabled', Expiration: { Days: days } } },
    });
    const { findings } = loggingWindows(
      [
        call('2024-05-13T01:00:00.000Z', 'PutEventSelectors', {
          trailName: 'main',
          eventSelectors: all,
        }),
        call('2024-05-13T01:01:00.000Z', 'PutEventSelectors', {
          trailName: 'main',
          eventSelectors: none,
        }),
        call('2024-05-13T01:02:00.000Z', 'PutBucketLifecycle', lifecycle(365)),
        call('2024-05-13T01:03:00.000Z', 'PutBucketLifecycle', lifecycle(1)),
      ],
      context,
    );

    expect(findings.map((f) => [f.kind, f.start])).toEqual([
      ['logging_narrowed', '2024-05-13T01:01:00.000Z'],
      ['retention_shortened', '2024-05-13T01:03:00.000Z'],
    ]);
  });

  it('leaves a deleted trail open at the end of the evidence', () => {
    const { findings } = loggingWindows(
      [call('2024-05-13T01:00:00.000Z', 'DeleteTrail', { name: 'main' })],
      context,
    );

    expect(findings[0]?.kind).toBe('logging_deleted');
    expect(findings[0]?.end).toBeNull();
    expect(findings[0]?.summary).toContain('still so at the end of the evidence');
  });

  it('reports event selectors that drop management events', () => {
    const selectors = {
      trailName: 'main',
      eventSelectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: false }],
    };
    const { findings } = loggingWindows(
      [call('2024-05-13T01:00:00.000Z', 'PutEventSelectors', selectors)],
      context,
    );

    expect(findings[0]?.kind).toBe('logging_narrowed');
    expect(findings[0]?.cannot_see).toContain('Management events are no longer logged');
    expect(findings[0]?.cannot_see).toContain('only WriteOnly events are logged');
  });

  it('ignores event selectors that log everything', () => {
    const selectors = {
      trailName: 'main',
      eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true }],
    };
    expect(
      loggingWindows([call('2024-05-13T01:00:00.000Z', 'PutEventSelectors', selectors)], context)
        .findings,
    ).toEqual([]);
  });

  it('warns of a short lifecycle on a trail bucket and a log group', () => {
    const lifecycle = {
      bucketName: 'trail-bucket',
      LifecycleConfiguration: { Rule: { Status: 'Enabled', Expiration: { Days: 1 } } },
    };
    const { findings, retention } = loggingWindows(
      [
        call('2024-05-13T01:00:00.000Z', 'PutBucketLifecycleConfiguration', lifecycle),
        call('2024-05-13T02:00:00.000Z', 'PutRetentionPolicy', {
          logGroupName: '/aws/eks/audit',
          retentionInDays: 7,
        }),
        call('2024-05-13T03:00:00.000Z', 'PutRetentionPolicy', {
          logGroupName: '/keep',
          retentionInDays: 365,
        }),
      ],
      context,
    );

    expect(findings.map((f) => [f.kind, f.resource, f.severity])).toEqual([
      ['retention_shortened', 'trail-bucket', 'high'],
      ['retention_shortened', '/aws/eks/audit', 'medium'],
    ]);
    expect(retention.map((w) => w.days)).toEqual([1, 7]);
  });

  it('reads only successful logging calls from the case', async () => {
    const stop = (record: number, status: 'success' | 'failure') =>
      testEvent(record, {
        status,
        api: {
          service: 'cloudtrail.amazonaws.com',
          operation: 'StopLogging',
          request_id: null,
          read_only: false,
        },
        raw: { eventName: 'StopLogging', requestParameters: { name: TRAIL } },
      });
    const calls = await onEvents(
      [stop(0, 'failure'), stop(1, 'success'), testEvent(2)],
      readLoggingCalls,
    );

    expect(calls.map((c) => [c.operation, c.request.name])).toEqual([['StopLogging', TRAIL]]);
  });

  it('reads object deletions only from trail buckets', async () => {
    const apiCall = (record: number, operation: string, request: Record<string, unknown>) =>
      testEvent(record, {
        api: { service: 's3.amazonaws.com', operation, request_id: null, read_only: false },
        raw: { eventName: operation, requestParameters: request },
      });
    const events = [
      apiCall(0, 'CreateTrail', { name: 'main', s3BucketName: 'trail-logs' }),
      ...Array.from({ length: 50 }, (_, i) =>
        apiCall(i + 1, 'DeleteObjects', { bucketName: 'data', delete: { objects: [i] } }),
      ),
      apiCall(60, 'DeleteObject', { bucketName: 'trail-logs', key: 'AWSLogs/x.json.gz', extra: 1 }),
      apiCall(61, 'DeleteObject', { bucketName: 'digests', key: 'AWSLogs/y.json.gz' }),
    ];

    const calls = await onEvents(events, (connection) =>
      readLoggingCalls(connection, new Set(['digests'])),
    );

    expect(calls.map((c) => [c.operation, c.request])).toEqual([
      ['CreateTrail', { name: 'main', s3BucketName: 'trail-logs' }],
      ['DeleteObject', { bucketName: 'trail-logs', key: 'AWSLogs/x.json.gz' }],
      ['DeleteObject', { bucketName: 'digests', key: 'AWSLogs/y.json.gz' }],
    ]);
  });

  it('shortens long request values of listed calls', async () => {
    const policy = 'p'.repeat(15_000);
    const stop = testEvent(0, {
      api: {
        service: 'cloudtrail.amazonaws.com',
        operation: 'StopLogging',
        request_id: null,
        read_only: false,
      },
      raw: { eventName: 'StopLogging', requestParameters: { name: TRAIL, policy } },
    });

    const [call] = await onEvents([stop], readLoggingCalls);

    expect(call?.request.name).toBe(TRAIL);
    expect(String(call?.request.policy)).toMatch(
      /^p{896}…\(15000 characters, SHA-256 [0-9a-f]{64}\)$/,
    );
  });

  it('reads deletions whose records are stored in parts', async () => {
    // A record over 16,384 code units is stored in parts, with `raw` NULL in its row, so the
    // bucket comes from the stored resources.
    const deletion = testEvent(0, {
      api: {
        service: 's3.amazonaws.com',
        operation: 'DeleteObject',
        request_id: null,
        read_only: false,
      },
      resources: [
        { uid: 'trail-logs', type: 'AWS::S3::Bucket' },
        { uid: 'trail-logs/AWSLogs/x.json.gz', type: 'AWS::S3::Object' },
      ],
      raw: {
        eventName: 'DeleteObject',
        userAgent: 'u'.repeat(20_000),
        requestParameters: { bucketName: 'trail-logs', key: 'AWSLogs/x.json.gz' },
      },
    });

    const calls = await onEvents([deletion], (connection) =>
      readLoggingCalls(connection, new Set(['trail-logs'])),
    );

    expect(calls.map((c) => [c.operation, c.request])).toEqual([
      ['DeleteObject', { bucketName: 'trail-logs' }],
    ]);
  });

  it('reads the requests of calls stored in parts', async () => {
    // The user agent makes the record longer than 16,384 code units, so it is stored in parts.
    const stop = testEvent(0, {
      api: {
        service: 'cloudtrail.amazonaws.com',
        operation: 'StopLogging',
        request_id: null,
        read_only: false,
      },
      raw: {
        eventName: 'StopLogging',
        userAgent: 'u'.repeat(20_000),
        requestParameters: { name: TRAIL },
      },
    });
    const setup = testEvent(1, {
      api: {
        service: 'cloudtrail.amazonaws.com',
        operation: 'UpdateTrail',
        request_id: null,
        read_only: false,
      },
      raw: {
        eventName: 'UpdateTrail',
        userAgent: 'u'.repeat(20_000),
        requestParameters: { name: TRAIL, s3BucketName: 'new-trail-logs' },
      },
    });
    const deletion = testEvent(2, {
      api: {
        service: 's3.amazonaws.com',
        operation: 'DeleteObject',
        request_id: null,
        read_only: false,
      },
      raw: {
        eventName: 'DeleteObject',
        requestParameters: { bucketName: 'new-trail-logs', key: 'AWSLogs/x.json.gz' },
      },
    });

    const calls = await onEvents([stop, setup, deletion], readLoggingCalls);
    const { findings } = loggingWindows(calls, context);

    expect(calls.map((c) => [c.operation, c.request])).toEqual([
      ['StopLogging', { name: TRAIL }],
      ['UpdateTrail', { name: TRAIL, s3BucketName: 'new-trail-logs' }],
      ['DeleteObject', { bucketName: 'new-trail-logs', key: 'AWSLogs/x.json.gz' }],
    ]);
    expect(findings.find((f) => f.kind === 'logging_stopped')?.resource).toBe('main');
  });

  it('bounds the requests of calls stored in parts', async () => {
    const values = Array.from({ length: 5_000 }, (_, i) => `arn:aws:s3:::bucket-${i}/`);
    const selectors = testEvent(0, {
      api: {
        service: 'cloudtrail.amazonaws.com',
        operation: 'PutEventSelectors',
        request_id: null,
        read_only: false,
      },
      raw: {
        eventName: 'PutEventSelectors',
        requestParameters: {
          trailName: TRAIL,
          eventSelectors: [
            { readWriteType: 'WriteOnly', dataResources: [{ type: 'AWS::S3::Object', values }] },
          ],
        },
      },
    });

    const [call] = await onEvents([selectors], readLoggingCalls);
    type Selector = { dataResources: { values: string[] }[] };
    const [selector] = (call?.request.eventSelectors ?? []) as Selector[];
    const kept = selector?.dataResources[0]?.values;

    expect(call?.request.trailName).toBe(TRAIL);
    expect(kept?.length).toBeLessThan(1_000);
    expect(kept?.at(-1)).toMatch(/^…\(\d+ more items\)$/);
    expect(JSON.stringify(call?.request).length).toBeLessThan(40_000);
  });

  it('keeps later selectors of a long request', async () => {
    // The first selector's list alone is over the request's bound, so a bound that keeps fields
    // in order would drop the second selector.
    const values = Array.from(
      { length: 300 },
      (_, i) => `arn:aws:s3:::bucket-${i}/${'p'.repeat(60)}/`,
    );
    const selector = (list: string[]) => ({
      readWriteType: 'All',
      includeManagementEvents: false,
      dataResources: [{ type: 'AWS::S3::Object', values: list }],
    });
    const selectors = testEvent(0, {
      api: {
        service: 'cloudtrail.amazonaws.com',
        operation: 'PutEventSelectors',
        request_id: null,
        read_only: false,
      },
      raw: {
        eventName: 'PutEventSelectors',
        requestParameters: {
          trailName: TRAIL,
          eventSelectors: [selector(values), selector(['arn:aws:s3:::other/'])],
        },
      },
    });

    const calls = await onEvents([selectors], readLoggingCalls);
    const { findings } = loggingWindows(calls, context);
    type Selector = { includeManagementEvents?: boolean };
    const kept = (calls[0]?.request.eventSelectors ?? []) as Selector[];

    expect(kept).toHaveLength(2);
    expect(kept[1]?.includeManagementEvents).toBe(false);
    expect(findings.map((f) => f.kind)).toContain('logging_narrowed');
  });

  it('shortens long keys of a request', async () => {
    const stop = testEvent(0, {
      api: {
        service: 'cloudtrail.amazonaws.com',
        operation: 'StopLogging',
        request_id: null,
        read_only: false,
      },
      raw: {
        eventName: 'StopLogging',
        requestParameters: { name: TRAIL, ['k'.repeat(50_000)]: 1 },
      },
    });

    const [call] = await onEvents([stop], readLoggingCalls);

    expect(call?.request.name).toBe(TRAIL);
    expect(JSON.stringify(call?.request).length).toBeLessThan(2_000);
  });

  it('reads the bucket of DeleteObjects from its resources', async () => {
    // A DeleteObjects data event as CloudTrail writes it, with the bucket only in `resources`.
    const raw = (bucket: string) => ({
      eventName: 'DeleteObjects',
      eventCategory: 'Data',
      requestParameters: { Host: `${bucket}.s3.us-east-1.amazonaws.com`, delete: '' },
      resources: [
        { type: 'AWS::S3::Object', ARNPrefix: `arn:aws:s3:::${bucket}/` },
        { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
      ],
    });
    const deleteObjects = (record: number, bucket: string) =>
      testEvent(record, {
        api: {
          service: 's3.amazonaws.com',
          operation: 'DeleteObjects',
          request_id: null,
          read_only: false,
        },
        raw: raw(bucket),
      });
    const events = [deleteObjects(0, 'trail-logs'), deleteObjects(1, 'trail-logs-copy')];

    const calls = await onEvents(events, (connection) =>
      readLoggingCalls(connection, new Set(['trail-logs'])),
    );

    expect(calls.map((c) => [c.operation, c.request])).toEqual([
      ['DeleteObjects', { bucketName: 'trail-logs' }],
    ]);
  });

  it('passes object deletions to a callback', async () => {
    const apiCall = (record: number, operation: string, request: Record<string, unknown>) =>
      testEvent(record, {
        api: { service: 's3.amazonaws.com', operation, request_id: null, read_only: false },
        raw: { eventName: operation, requestParameters: request },
      });
    const events = [
      apiCall(0, 'StopLogging', { name: 'main' }),
      apiCall(1, 'DeleteObject', { bucketName: 'trail-logs', key: 'AWSLogs/a.json.gz' }),
      apiCall(2, 'DeleteObjects', { bucketName: 'trail-logs', delete: '' }),
    ];
    const deleted: string[] = [];

    const calls = await onEvents(events, (connection) =>
      readLoggingCalls(connection, new Set(['trail-logs']), (c) => deleted.push(c.operation)),
    );

    expect(calls.map((c) => c.operation)).toEqual(['StopLogging']);
    expect(deleted).toEqual(['DeleteObject', 'DeleteObjects']);
  });

  it('counts a run of log deletions in one finding', () => {
    const deletions = [0, 1, 2].map((minute) =>
      call(`2024-05-13T10:0${minute}:00.000Z`, 'DeleteObject', {
        bucketName: 'trail-bucket',
        key: `AWSLogs/${minute}.json.gz`,
      }),
    );

    const { findings } = loggingWindows(deletions, context);

    expect(findings).toHaveLength(1);
    expect(findings[0]?.summary).toBe(
      '3 calls deleted log objects in trail bucket trail-bucket from 2024-05-13T10:00:00.000Z ' +
        'to 2024-05-13T10:02:00.000Z (3 DeleteObject) by arn:aws:iam::111122223333:user/mallory.',
    );
    expect(findings[0]?.end).toBe('2024-05-13T10:02:00.000Z');
    expect(findings[0]?.event_uids).toEqual(deletions.map((d) => d.uid));
  });
});
