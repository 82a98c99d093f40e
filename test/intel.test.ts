import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

const ATTACKER = '198.51.100.7';

function record(index: number, ip: string, name: string): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    eventTime: `2024-05-13T10:0${index}:00Z`,
    eventSource: 'iam.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: ip,
    userAgent: 'aws-cli/2.15.0',
    userIdentity: {
      type: 'IAMUser',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accessKeyId: 'AKIAABCDEFGHIJKLMNOP',
    },
    recipientAccountId: '111122223333',
  };
}

describe('investigate and hunt with --intel', () => {
  let base: string;
  let summary: {
    intel: { indicators: number; indicators_matched: number; problems: number };
    records: { rejected: number };
  };
  let investigateCode: number;
  let stderr: string;
  let list: string;

  beforeAll(async () => {
    base = await tempDir('cloudcase-intel-');
    const logs = path.join(base, 'trail.json');
    await writeFile(
      logs,
      JSON.stringify({
        Records: [
          record(1, '203.0.113.1', 'ListUsers'),
          record(2, ATTACKER, 'CreateAccessKey'),
          record(3, ATTACKER, 'AttachUserPolicy'),
        ],
      }),
    );
    list = path.join(base, 'bad-ips.txt');
    await writeFile(list, `# feed\n${ATTACKER}\nnot an indicator\n`);
    const run = await runCli([
      'investigate',
      logs,
      '--case',
      path.join(base, 'case'),
      '--intel',
      list,
      '--json',
    ]);
    investigateCode = run.code;
    stderr = run.stderr;
    summary = JSON.parse(run.stdout);
  }, 60_000);

  it('counts indicators, matches and entries not read', () => {
    expect(summary.intel).toMatchObject({ indicators: 1, indicators_matched: 1, problems: 1 });
  });

  it('keeps the run going past a malformed entry', () => {
    expect(investigateCode).toBe(3);
    expect(stderr).toContain(`file=${list} line=3 code=unknown_indicator`);
  });

  it('stores a detection naming the indicator and its file', async () => {
    const findings = JSON.parse(
      await readFile(path.join(base, 'case/reports/findings.json'), 'utf8'),
    ) as { title: string; event_uids: string[]; correlation_hits: number }[];
    const intel = findings.find((f) => f.title === 'Threat intel match: bad-ips.txt');

    expect(intel?.event_uids).toHaveLength(2);
    expect(intel?.correlation_hits).toBe(1);
  });

  it('shows the match in the report', async () => {
    const report = await readFile(path.join(base, 'case/reports/report.md'), 'utf8');
    const section = report.slice(report.indexOf('## Threat intelligence'));

    expect(section).toContain(`| ${ATTACKER} | ip | ${list} | 2 |`);
    expect(section).toContain('not read');
  });

  it('rejects a hunt without rules or intel', async () => {
    const run = await runCli(['hunt', '--case', path.join(base, 'case')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('[missing_rules]');
  });

  it('matches again in hunt without adding a second hit', async () => {
    const csv = path.join(base, 'keys.csv');
    await writeFile(csv, 'type,value\naccess_key,AKIAABCDEFGHIJKLMNOP\n');
    const caseDir = path.join(base, 'case');
    const args = ['hunt', '--case', caseDir, '--intel', list, csv, '--json'];
    await runCli(args);
    const run = await runCli(args);
    const result = JSON.parse(run.stdout) as { intel: { indicators_matched: number } };
    const findings = JSON.parse(
      await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8'),
    ) as { title: string; correlation_hits: number; event_uids: string[] }[];

    expect(result.intel.indicators_matched).toBe(2);
    expect(
      findings.find((f) => f.title === 'Threat intel match: bad-ips.txt')?.correlation_hits,
    ).toBe(1);
    expect(
      findings.find((f) => f.title === 'Threat intel match: keys.csv')?.event_uids,
    ).toHaveLength(3);
  }, 60_000);
});
