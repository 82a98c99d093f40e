import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { parseBracketTime, s3Access } from './s3-access.ts';
import { ingestLogFile, ingestText, LOGS, pantherLogs } from './test-ingest.ts';

const SAMPLE =
  'elastic-integrations-pipeline-samples/packages/aws/data_stream/s3access/_dev/test/pipeline/test-s3-server-access.log';

const OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';
const DENIED =
  `${OWNER} evidence [06/Feb/2019:00:00:38 -0130] 192.0.2.3 ` +
  'arn:aws:iam::123456789012:user/mallory 3E57427F3EXAMPLE REST.GET.OBJECT secrets/db.env ' +
  '"GET /evidence/secrets/db.env HTTP/1.1" 403 AccessDenied 243 - 7 - "-" "aws-cli/2.15.0" - ' +
  's9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ' +
  'ECDHE-RSA-AES128-GCM-SHA256 AuthHeader evidence.s3.us-west-2.amazonaws.com TLSv1.2 - -';

describe('S3 server access logs', () => {
  it('reads every record of a real access log with time, requester and operation', async () => {
    const { events, rejected } = await ingestLogFile(s3Access, SAMPLE);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(10);
    expect(events[0]).toMatchObject({
      time: '2019-08-01T00:24:41.000Z',
      source: 'aws.s3access',
      category: 'storage',
      activity: 'Read',
      status: 'success',
      src: { ip: '89.160.20.156' },
      dst: { bytes: 142, domain: 's3.ap-southeast-1.amazonaws.com' },
      actor: { type: 'AssumedRole', account: '123456' },
      api: { service: 's3.amazonaws.com', operation: 'REST.GET.LOCATION', read_only: true },
      cloud: { provider: 'aws', region: 'ap-southeast-1' },
      resources: [{ uid: 'arn:aws:s3:::test-s3-ks', type: 'AWS::S3::Bucket' }],
    });
    expect(events[0]?.raw.request_uri).toBe(
      'GET /test-s3-ks/?location&aws-account=627959692251 HTTP/1.1',
    );
    expect(events[4]).toMatchObject({
      activity: 'Delete',
      actor: { type: 'IAMUser', name: 'test@elastic.co' },
      resources: [
        { uid: 'arn:aws:s3:::jsoriano-s3-test' },
        { uid: 'arn:aws:s3:::jsoriano-s3-test/jolokia-war-1.5.0.war', type: 'AWS::S3::Object' },
      ],
    });
    expect(events[6]?.actor).toMatchObject({
      type: 'AWSService',
      name: 'delivery.logs.amazonaws.com',
    });
    expect(events[7]?.raw.access_point_arn).toBe(
      'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP',
    );
    // A lifecycle expiry has no HTTP status.
    expect(events[9]).toMatchObject({
      activity: 'Delete',
      status: 'unknown',
      actor: { uid: 'AmazonS3' },
    });
  });

  it('turns a denied request into a failure with the error code', async () => {
    const { events, rejected } = await ingestText(s3Access, DENIED);

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      time: '2019-02-06T01:30:38.000Z',
      status: 'failure',
      status_detail: 'AccessDenied',
      user_agent: 'aws-cli/2.15.0',
      cloud: { account: '123456789012', region: 'us-west-2' },
    });
    expect(events[0]?.message).toBe(
      'arn:aws:iam::123456789012:user/mallory REST.GET.OBJECT ' +
        'arn:aws:s3:::evidence/secrets/db.env from 192.0.2.3 (AccessDenied)',
    );
    expect(events[0]?.raw.original).toBe(DENIED);
  });

  it('rejects broken lines with a code and reads the rest', async () => {
    const lines = [
      DENIED,
      DENIED.replace('"aws-cli/2.15.0"', '"aws-cli/2.15.0'),
      DENIED.replace('[06/Feb/2019:00:00:38 -0130]', '[31/Feb/2019:00:00:38 +0000]'),
      `${OWNER} evidence [06/Feb/2019:00:00:38 +0000] 192.0.2.3 -`,
      DENIED,
    ];
    const { events, rejected } = await ingestText(s3Access, lines.join('\n'));

    expect(events).toHaveLength(2);
    expect(rejected.map((entry) => entry.code)).toEqual([
      'unterminated_quote',
      'invalid_time',
      'field_count',
    ]);
  });

  it('parses bracketed times with their zone', () => {
    expect(parseBracketTime('01/Aug/2019:00:24:41 +0000')).toBe('2019-08-01T00:24:41.000Z');
    expect(parseBracketTime('01/Aug/2019:02:24:41 +0200')).toBe('2019-08-01T00:24:41.000Z');
    expect(parseBracketTime('01/Foo/2019:00:24:41 +0000')).toBeNull();
  });

  it('is recognised among the other formats from its first bytes', () => {
    const head = readFileSync(path.join(LOGS, SAMPLE));
    expect(detectFormat(head, 'test-s3-server-access.log')?.id).toBe('aws.s3access');
  });
});

describe('S3 server access logs as JSON', () => {
  it('reads Panther test events and rejects those without a time', async () => {
    const { events, rejected } = await ingestText(s3Access, pantherLogs('AWS.S3ServerAccess'));

    // Five of the sixteen test events were cut down to a few fields and carry no time.
    expect(events).toHaveLength(11);
    expect(rejected.map((entry) => entry.code)).toEqual(Array(5).fill('missing_time'));
    expect(events[0]).toMatchObject({
      time: '2020-02-14T00:53:48.000Z',
      source: 'aws.s3access',
      status: 'success',
      api: { operation: 'REST.PUT.OBJECT' },
      actor: { type: 'AssumedRole', account: '123456789012' },
    });
    expect(events[3]).toMatchObject({
      time: '2020-06-21T20:41:25.000Z',
      status: 'failure',
      status_detail: 'SignatureDoesNotMatch',
      src: { ip: '54.159.198.108' },
      actor: { type: 'Anonymous' },
    });
    // The JSON record is kept as read, with Panther's own field names.
    expect(events[3]?.raw.remoteip).toBe('54.159.198.108');
  });

  it('is recognised from its first bytes', () => {
    const head = Buffer.from(pantherLogs('AWS.S3ServerAccess'));
    expect(detectFormat(head, 'access.json')?.id).toBe('aws.s3access');
  });
});
