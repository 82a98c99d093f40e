import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportLineParser, exportStreamOf, joinContinuations } from './cloudwatch-export.ts';
import { cloudWatchLogs } from './cloudwatch-logs.ts';
import { detectFormat } from './index.ts';
import { ingestWith } from './test-ingest.ts';
import { scanTextRecords } from './text-lines.ts';

const FLOW_LINES = [
  '2024-04-02T10:01:00.000Z 2 123456789012 eni-0a1b2c3d 198.51.100.7 10.0.1.5 50122 22 6 3 180 1712052000 1712052060 REJECT OK',
  '2024-04-02T10:01:00.000Z 2 123456789012 eni-0a1b2c3d 10.0.1.5 203.0.113.9 443 61000 6 12 5400 1712052000 1712052060 ACCEPT OK',
];

const TRAIL = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'IAMUser',
    arn: 'arn:aws:iam::123456789012:user/mallory',
    accountId: '123456789012',
  },
  eventTime: '2024-04-02T10:00:01Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.7',
  eventID: 'c6e1a3b2-0000-4000-8000-000000000001',
  eventType: 'AwsApiCall',
  recipientAccountId: '123456789012',
};

const AUDIT = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '0b7c6a44-0000-4000-8000-000000000002',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/prod/pods/web-1/exec',
  verb: 'create',
  user: { username: 'mallory@example.com' },
  sourceIPs: ['198.51.100.7'],
  objectRef: { resource: 'pods', namespace: 'prod', name: 'web-1', subresource: 'exec' },
  responseStatus: { code: 101 },
  requestReceivedTimestamp: '2024-04-02T10:02:00.000000Z',
  stageTimestamp: '2024-04-02T10:02:00.100000Z',
};

const QUERY = {
  version: '1.100000',
  account_id: '123456789012',
  region: 'us-east-1',
  vpc_id: 'vpc-0a1b2c3d',
  query_timestamp: '2024-04-02T10:03:00Z',
  query_name: 'exfil.example.net.',
  query_type: 'A',
  query_class: 'IN',
  rcode: 'NOERROR',
  answers: [],
  srcaddr: '10.0.1.5',
  srcport: '53211',
  transport: 'UDP',
  srcids: { instance: 'i-0a1b2c3d4e5f60718' },
};

/** The export objects of one task, by log stream, each as the lines of its `000000.gz`. */
const EXPORTS: Record<string, string[]> = {
  'eni-0a1b2c3d-all': FLOW_LINES,
  '123456789012_CloudTrail_us-east-1': [`2024-04-02T10:00:05.123Z ${JSON.stringify(TRAIL)}`],
  'kube-apiserver-audit-0a1b2c3d': [`2024-04-02T10:02:01.000Z ${JSON.stringify(AUDIT)}`],
  'vpc-0a1b2c3d_resolver': [`2024-04-02T10:03:01.000Z ${JSON.stringify(QUERY)}`],
  '2024/04/02/[$LATEST]9f8e7d6c': [
    '2024-04-02T10:04:00.000Z START RequestId: 6f1c2a52-7d0e-4a8b-9a51-2f7b1e0c9d11 Version: $LATEST',
    '2024-04-02T10:04:01.000Z {"level":"info","msg":"payment accepted"}',
  ],
  'i-0a1b2c3d4e5f60718': [
    '2024-04-02T10:05:00.000Z Apr  2 10:04:59 ip-10-0-1-5 sshd[2211]: Accepted publickey for ec2-user from 198.51.100.7 port 50122 ssh2',
  ],
};

let root: string;
const files = new Map<string, string>();

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cloudwatch-export-'));
  for (const [stream, lines] of Object.entries(EXPORTS)) {
    const dir = path.join(root, 'exportedlogs', '4b9a2c1e-task', stream.replaceAll('/', '_'));
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, '000000.gz');
    await writeFile(file, gzipSync(`${lines.join('\n')}\n`));
    files.set(stream, file);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readExport(stream: string) {
  const file = files.get(stream) ?? '';
  const text = gunzipSync(await readFile(file));
  const format = detectFormat(text.subarray(0, 64 * 1024), file);
  const context = { timezone: 'UTC', filePath: file };
  const outcome = await ingestWith(cloudWatchLogs, Readable.from([text]), context);
  return { format: format?.id, ...outcome };
}

describe('CloudWatch Logs S3 exports', () => {
  it('reads flow log lines as flows', async () => {
    const { format, events, rejected } = await readExport('eni-0a1b2c3d-all');

    expect(format).toBe('aws.cloudwatch');
    expect(rejected).toEqual([]);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      source: 'aws.vpcflow',
      category: 'network',
      time: '2024-04-02T10:01:00.000Z',
      status: 'failure',
      src: { ip: '198.51.100.7', port: 50122, bytes: 180, packets: 3 },
      dst: { ip: '10.0.1.5', port: 22 },
      cloud: { account: '123456789012' },
    });
    expect(events[0]?.raw).toEqual({
      timestamp: '2024-04-02T10:01:00.000Z',
      message: FLOW_LINES[0]?.slice(25),
      logStreamName: 'eni-0a1b2c3d-all',
    });
  });

  it('reads CloudTrail records with their own time', async () => {
    const { format, events, rejected } = await readExport('123456789012_CloudTrail_us-east-1');

    expect(format).toBe('aws.cloudwatch');
    expect(rejected).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'aws.cloudtrail',
      time: '2024-04-02T10:00:01.000Z',
      api: { operation: 'StopLogging' },
      actor: { uid: 'arn:aws:iam::123456789012:user/mallory' },
    });
    expect(events[0]?.raw).toEqual({
      ...TRAIL,
      cloudwatch_log_event: {
        timestamp: '2024-04-02T10:00:05.123Z',
        logStreamName: '123456789012_CloudTrail_us-east-1',
      },
    });
  });

  it('reads Kubernetes audit events', async () => {
    const { events, rejected } = await readExport('kube-apiserver-audit-0a1b2c3d');

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'k8s.audit',
      category: 'kubernetes',
      actor: { uid: 'mallory@example.com' },
    });
    expect(events[0]?.time).toMatch(/^2024-04-02T10:02:00/);
    expect(events[0]?.raw).toMatchObject({
      verb: 'create',
      cloudwatch_log_event: { timestamp: '2024-04-02T10:02:01.000Z' },
    });
  });

  it('reads Route 53 Resolver queries', async () => {
    const { events, rejected } = await readExport('vpc-0a1b2c3d_resolver');

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'aws.route53resolver',
      time: '2024-04-02T10:03:00.000Z',
    });
  });

  it('keeps other messages as log lines at the export time', async () => {
    const { format, events, rejected } = await readExport('2024/04/02/[$LATEST]9f8e7d6c');

    expect(format).toBe('aws.cloudwatch');
    expect(rejected).toEqual([]);
    expect(events.map((event) => event.source)).toEqual(['aws.cloudwatch', 'aws.cloudwatch']);
    expect(events.map((event) => event.time)).toEqual([
      '2024-04-02T10:04:00.000Z',
      '2024-04-02T10:04:01.000Z',
    ]);
    expect(events[0]?.message).toMatch(/^2024_04_02_\[\$LATEST\]9f8e7d6c: START RequestId/);
    expect(events[0]?.resources).toEqual([
      { uid: '2024_04_02_[$LATEST]9f8e7d6c', type: 'log_stream' },
    ]);
  });

  it('reads agent syslog lines as sign-ins', async () => {
    const { format, events } = await readExport('i-0a1b2c3d4e5f60718');

    expect(format).toBe('aws.cloudwatch');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'host.syslog',
      category: 'identity',
      time: '2024-04-02T10:05:00.000Z',
      actor: { uid: 'ec2-user' },
      src: { ip: '198.51.100.7' },
    });
  });

  it('is recognised with a multi-line message', () => {
    const text = [
      '2024-04-02T10:04:02.000Z Traceback (most recent call last):',
      '  File "/var/task/app.py", line 7, in handler',
      '2024-04-02T10:04:03.000Z END RequestId: 6f1c2a52-7d0e-4a8b-9a51-2f7b1e0c9d11',
    ].join('\n');
    expect(detectFormat(Buffer.from(`${text}\n`), 'x/000000')?.id).toBe('aws.cloudwatch');
  });

  it('is recognised by name when continuations dominate', () => {
    const lines = [
      '2024-04-02T10:04:02.000Z Traceback (most recent call last):',
      '  File "/var/task/app.py", line 7, in handler',
      '    handle(event)',
      '  File "/var/task/app.py", line 3, in handle',
      '    raise KeyError(key)',
    ];
    const head = Buffer.from(`${lines.join('\n')}\n`);
    expect(detectFormat(head, '000000.gz')?.id).toBe('aws.cloudwatch');
    expect(detectFormat(head, 'app.log')).toBeNull();
  });

  it('keeps messages that only look like records as log lines', async () => {
    const lines = [
      '2024-04-02T10:06:00.000Z {"eventVersion": "1.08", "eventSource": "cut short',
      '2024-04-02T10:06:01.000Z {"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"}',
    ];
    const text = `${lines.join('\n')}\n`;
    const { events, rejected } = await ingestWith(cloudWatchLogs, Readable.from([text]));

    expect(events.map((event) => event.source)).toEqual(['aws.cloudwatch']);
    expect(events[0]?.time).toBe('2024-04-02T10:06:00.000Z');
    // A CloudTrail record without eventTime is a broken record, so it is rejected.
    expect(rejected).toEqual([expect.objectContaining({ code: 'missing_time' })]);
  });

  it('rejects a first line without the export time', async () => {
    const text = `not an export line\n${FLOW_LINES[0]}\n`;
    const { events, rejected } = await ingestWith(cloudWatchLogs, Readable.from([text]));

    expect(events).toHaveLength(1);
    expect(events[0]?.evidence).toMatchObject({ record: 1, offset: 19 });
    expect(rejected).toEqual([
      expect.objectContaining({ code: 'not_cloudwatch_export', index: 0, offset: 0, line: 1 }),
    ]);
  });

  it('joins continuation lines to their message', async () => {
    const lines = [
      '2024-04-02T10:04:02.000Z Traceback (most recent call last):',
      '  File "/var/task/app.py", line 7, in handler',
      '    raise KeyError(key)',
      '2024-04-02T10:04:03.000Z END RequestId: 6f1c2a52-7d0e-4a8b-9a51-2f7b1e0c9d11',
    ];
    const text = `${lines.join('\r\n')}\r\n`;
    const { events, rejected } = await ingestWith(cloudWatchLogs, Readable.from([text]));

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(2);
    expect(events[0]?.raw.message).toBe(
      'Traceback (most recent call last):\n  File "/var/task/app.py", line 7, in handler\n    raise KeyError(key)',
    );
    expect(events[0]?.evidence).toMatchObject({ record: 0, offset: 0 });
    const second = text.indexOf('2024-04-02T10:04:03');
    expect(events[1]?.evidence).toMatchObject({ record: 1, offset: second });
    expect(events[1]?.time).toBe('2024-04-02T10:04:03.000Z');
  });

  it('joins a pretty-printed CloudTrail record', async () => {
    const pretty = JSON.stringify(TRAIL, null, 2);
    const text = `2024-04-02T10:00:05.123Z ${pretty}\n`;
    const { events, rejected } = await ingestWith(cloudWatchLogs, Readable.from([text]));

    expect(rejected).toEqual([]);
    expect(events.map((event) => event.source)).toEqual(['aws.cloudtrail']);
  });

  it('rejects a continuation past the maximum message', async () => {
    const text = `2024-04-02T10:04:02.000Z first\n${'x'.repeat(40)}\n${'y'.repeat(40)}\n`;
    const lines = scanTextRecords(Readable.from([text]), new ExportLineParser());
    const bounded = [];
    for await (const result of joinContinuations(lines, 60)) bounded.push(result);
    expect(bounded.map((result) => result.kind)).toEqual(['record', 'rejected']);
    expect(bounded[1]).toMatchObject({ code: 'message_too_long', index: 1, line: 3 });
    const first = bounded[0] as { value: { message: string } };
    expect(first.value.message).toBe(`first\n${'x'.repeat(40)}`);
  });

  it('names the log stream from the export folders', () => {
    const task = 'exportedlogs/0f1e2d3c-4b5a-4697-8877-665544332211';
    expect(exportStreamOf(`${task}/2024/04/02/[$LATEST]9f8e7d6c/000000.gz`)).toBe(
      '2024/04/02/[$LATEST]9f8e7d6c',
    );
    expect(exportStreamOf(`${task}/i-0a1b2c3d4e5f60718/000001.gz`)).toBe('i-0a1b2c3d4e5f60718');
    expect(exportStreamOf('prefix/task/eni-0a1b2c3d-all/000000')).toBe('eni-0a1b2c3d-all');
    expect(exportStreamOf('000000.gz')).toBeNull();
    expect(exportStreamOf('logs/app.log')).toBeNull();
  });

  it('leaves rsyslog lines to syslog', () => {
    const line = '2024-04-02T10:05:00.123456+00:00 web-1 sshd[2211]: Accepted publickey for bob';
    expect(detectFormat(Buffer.from(`${line}\n`), 'messages')?.id).toBe('host.syslog');
  });
});
