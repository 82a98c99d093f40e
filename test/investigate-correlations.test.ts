import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

// Downloads by one identity in bursts, and bursts close together, as a chained correlation.
const RULES = `title: Object downloaded
name: object_downloaded
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: GetObject
  condition: selection
---
title: Download burst
name: download_burst
correlation:
  type: value_count
  rules: [object_downloaded]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    field: requestParameters.key
    gte: 3
---
title: Repeated download bursts
correlation:
  type: event_count
  rules: [download_burst]
  group-by: [userIdentity.arn]
  timespan: 1h
  condition:
    gte: 2
`;

function download(user: string, minute: number, key: string, index: number) {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/${user}` },
    eventTime: new Date(Date.parse('2024-03-01T10:00:00Z') + minute * 60_000).toISOString(),
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    requestParameters: { bucketName: 'data', key },
    eventID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    recipientAccountId: '111122223333',
  };
}

describe('investigate correlations', () => {
  it('finds chained hits across files and leaves no spill', async () => {
    const dir = await tempDir();
    const rules = path.join(dir, 'rules');
    await mkdir(rules);
    await writeFile(path.join(rules, 'downloads.yml'), RULES);
    // The later burst is in the first file, so the occurrences reach the spill out of order.
    const late = [30, 31, 32].map((minute, i) => download('alice', minute, `b${i}`, i));
    const early = [0, 2, 4].map((minute, i) => download('alice', minute, `a${i}`, 10 + i));
    const other = [1, 3].map((minute, i) => download('bob', minute, `c${i}`, 20 + i));
    await writeFile(path.join(dir, '1.json'), JSON.stringify({ Records: late }));
    await writeFile(path.join(dir, '2.json'), JSON.stringify({ Records: [...early, ...other] }));
    const caseDir = path.join(dir, 'case');

    const run = await runCli([
      'investigate',
      path.join(dir, '1.json'),
      path.join(dir, '2.json'),
      '--case',
      caseDir,
      '--rules',
      rules,
      '--no-builtin-rules',
      '--json',
    ]);
    const summary = JSON.parse(run.stdout);

    expect(run.code).toBe(0);
    expect(summary.detections.correlation_hits).toBe(3);
    expect((await readdir(caseDir)).filter((name) => name.includes('correlations'))).toEqual([]);
  });
});
