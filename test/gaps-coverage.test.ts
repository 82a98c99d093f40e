import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

const ACCOUNT = '111122223333';

// Flow logs in custom format, with the account and region of each record.
const FLOWS = [
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status region',
  `2 ${ACCOUNT} eni-0a1b2c3d 10.0.1.5 203.0.113.9 443 51000 6 10 5000 1715594400 1715594460 ACCEPT OK eu-west-1`,
  `2 ${ACCOUNT} eni-0a1b2c3d 10.0.1.5 203.0.113.9 443 51001 6 12 6000 1715594460 1715594520 ACCEPT OK eu-west-1`,
  `2 ${ACCOUNT} eni-0f9e8d7c 10.0.2.7 198.51.100.7 443 52000 6 4 900 1715594400 1715594460 ACCEPT OK us-east-1`,
].join('\n');

const TRAIL = {
  Records: [
    {
      eventVersion: '1.08',
      eventTime: '2024-05-13T10:00:00Z',
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListUsers',
      awsRegion: 'us-east-1',
      sourceIPAddress: '198.51.100.7',
      userAgent: 'aws-cli/2.15.0',
      eventID: 'e1',
      readOnly: true,
      recipientAccountId: ACCOUNT,
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        userName: 'alice',
        accountId: ACCOUNT,
        accessKeyId: 'AKIAALICE00000000001',
      },
    },
  ],
};

interface GapsJson {
  findings: { kind: string; severity: string; account: string; region: string; summary: string }[];
}

describe('gaps coverage', () => {
  it('reports a region with flow logs and no CloudTrail', async () => {
    const work = await tempDir('cloudcase-gaps-coverage-');
    const logs = path.join(work, 'logs');
    const caseDir = path.join(work, 'case');
    await mkdir(logs);
    await writeFile(path.join(logs, 'flows.log'), `${FLOWS}\n`);
    await writeFile(path.join(logs, 'trail.json'), JSON.stringify(TRAIL));
    const investigate = await runCli(['investigate', '--case', caseDir, logs]);
    expect(investigate.code).toBe(0);

    const run = await runCli(['gaps', '--case', caseDir, '--json']);
    const missing = (JSON.parse(run.stdout) as GapsJson).findings.filter(
      (finding) => finding.kind === 'no_audit_logs',
    );

    expect(run.code).toBe(0);
    expect(missing.map((finding) => [finding.account, finding.region])).toEqual([
      [ACCOUNT, 'eu-west-1'],
    ]);
    expect(missing[0]?.severity).toBe('medium');
    expect(missing[0]?.summary).toContain('2 aws.vpcflow events');

    const text = await runCli(['gaps', '--case', caseDir]);
    expect(text.stdout).toContain(`MEDIUM no_audit_logs [aws.cloudtrail ${ACCOUNT} eu-west-1]`);
    const report = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
    expect(report).toContain('no_audit_logs');
  }, 60_000);
});
