import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

const ACCOUNT = '111122223333';
const BUCKET = 'acme-trail-logs';
const START = Date.parse('2024-05-13T10:00:00Z');

function record(minutes: number, name: string, fields: Record<string, unknown>) {
  return {
    eventVersion: '1.09',
    eventTime: new Date(START + minutes * 60_000).toISOString().replace('.000', ''),
    eventSource: name === 'CreateTrail' ? 'cloudtrail.amazonaws.com' : 's3.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2.15.0',
    eventID: `event-${minutes}`,
    readOnly: false,
    recipientAccountId: ACCOUNT,
    userIdentity: {
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/mallory`,
      userName: 'mallory',
      accountId: ACCOUNT,
    },
    ...fields,
  };
}

// One DeleteObject every 6 minutes for 2 hours, then after a quiet night a DeleteObjects that
// names the bucket only in its resources.
function records() {
  const trail = record(-60, 'CreateTrail', {
    requestParameters: { name: 'main', s3BucketName: BUCKET },
  });
  const deletions = Array.from({ length: 20 }, (_, i) =>
    record(i * 6, 'DeleteObject', {
      eventCategory: 'Data',
      requestParameters: { bucketName: BUCKET, key: `AWSLogs/${ACCOUNT}/CloudTrail/f${i}.json.gz` },
      resources: [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${BUCKET}/AWSLogs/f${i}.json.gz` },
        { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` },
      ],
    }),
  );
  const batch = record(24 * 60, 'DeleteObjects', {
    eventCategory: 'Data',
    requestParameters: { delete: '', 'x-id': 'DeleteObjects' },
    resources: [
      { type: 'AWS::S3::Object', ARNPrefix: `arn:aws:s3:::${BUCKET}/` },
      { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` },
    ],
  });
  return [trail, ...deletions, batch];
}

interface GapsJson {
  findings: { kind: string; start: string; end: string | null; summary: string }[];
}

describe('gaps log wipes', () => {
  it('reports a slow wipe of a trail bucket as one finding', async () => {
    const work = await tempDir('cloudcase-gaps-wipes-');
    const logs = path.join(work, 'logs');
    const caseDir = path.join(work, 'case');
    await mkdir(logs);
    await writeFile(path.join(logs, 'trail.json'), JSON.stringify({ Records: records() }));
    const investigate = await runCli(['investigate', '--case', caseDir, logs]);
    expect(investigate.code).toBe(0);

    const run = await runCli(['gaps', '--case', caseDir, '--json']);
    const deleted = (JSON.parse(run.stdout) as GapsJson).findings.filter(
      (finding) => finding.kind === 'logs_deleted',
    );

    expect(run.code).toBe(0);
    expect(deleted.map((finding) => [finding.start, finding.end])).toEqual([
      ['2024-05-13T10:00:00.000Z', '2024-05-13T11:54:00.000Z'],
      ['2024-05-14T10:00:00.000Z', '2024-05-14T10:00:00.000Z'],
    ]);
    expect(deleted[0]?.summary).toContain(
      `20 calls deleted log objects in trail bucket ${BUCKET} from 2024-05-13T10:00:00.000Z ` +
        'to 2024-05-13T11:54:00.000Z (20 DeleteObject)',
    );
    expect(deleted[1]?.summary).toContain(`DeleteObjects at 2024-05-14T10:00:00.000Z`);
    const report = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
    expect(report).toContain(
      '| 2024-05-13T10:00:00.000Z | 2024-05-13T11:54:00.000Z | 20 calls deleted log objects',
    );
  }, 60_000);
});
