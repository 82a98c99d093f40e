import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli, tempDir } from './support/cli.ts';

const HOSTILE_AGENT = '<script>alert(1)</script>\u001b[31mred\u001b[0m';

function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLEKEY000001',
      userName: 'alice',
    },
    eventTime: '2024-03-01T10:00:00Z',
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    eventID: '00000000-0000-4000-8000-000000000001',
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...overrides,
  };
}

interface Summary {
  records: { read: number; stored: number; rejected: number };
  rejected: { path: string; offset: number; line: number; code: string }[];
  evidence: { failed: { path: string; code: string }[] };
}

describe('investigate on bad input', () => {
  let dir: string;
  let caseDir: string;
  let run: CliRun;
  let summary: Summary;

  beforeAll(async () => {
    dir = await tempDir();
    const input = path.join(dir, 'input');
    caseDir = path.join(dir, 'case');
    await mkdir(input);

    const hostileIdentity = {
      type: 'IAMUser',
      arn: `arn:aws:iam::111122223333:user/${HOSTILE_AGENT}`,
      userName: HOSTILE_AGENT,
    };
    const good = [
      record(),
      record({ eventID: 'e2', userAgent: HOSTILE_AGENT, userIdentity: hostileIdentity }),
    ];
    const lines = [
      JSON.stringify(good[0]),
      '{"eventVersion": "1.08", "eventName": ',
      JSON.stringify(good[1]),
      JSON.stringify(record({ eventID: 'e3', userAgent: '=HYPERLINK("http://x")' })),
    ];
    await writeFile(path.join(input, 'malformed.jsonl'), `${lines.join('\n')}\n`);

    const delivery = gzipSync(JSON.stringify({ Records: [record({ eventID: 'gz1' })] }));
    await writeFile(
      path.join(input, 'truncated.json.gz'),
      delivery.subarray(0, delivery.length - 12),
    );
    await writeFile(path.join(input, 'not-cloudtrail.json'), '{"hello": "world", "n": 1}\n');
    await writeFile(
      path.join(input, 'garbage.bin'),
      Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1b, 0x5b]),
    );
    await writeFile(path.join(input, 'empty.json'), '');
    const huge = record({
      eventID: 'big',
      requestParameters: { blob: 'x'.repeat(50 * 1024 * 1024) },
    });
    await writeFile(path.join(input, 'huge-line.jsonl'), `${JSON.stringify(huge)}\n`);
    await symlink(path.join(dir, 'missing-target'), path.join(input, 'dangling.json'));

    run = await runCli(['investigate', input, '--case', caseDir, '--json']);
    summary = JSON.parse(run.stdout) as Summary;
  }, 120_000);

  it('exits with the partial code', () => {
    expect(run.code).toBe(3);
  });

  it('reconciles read, stored and rejected', () => {
    const { read, stored, rejected } = summary.records;
    expect(read).toBe(stored + rejected);
    expect(stored).toBeGreaterThanOrEqual(4);
  });

  it('lists the malformed line with file and line', () => {
    const row = summary.rejected.find((r) => r.path.endsWith('malformed.jsonl'));
    expect(row?.code).toBe('invalid_json');
    expect(row?.line).toBe(2);
    expect(row?.offset).toBe(JSON.stringify(record()).length + 1);
  });

  it('rejects each broken file with a reason', () => {
    const byFile = (name: string) => summary.rejected.filter((r) => r.path.endsWith(name));
    expect(byFile('truncated.json.gz').length).toBeGreaterThan(0);
    expect(byFile('not-cloudtrail.json').length).toBe(1);
    expect(byFile('garbage.bin').length).toBe(1);
    expect(byFile('empty.json')).toEqual([]);
  });

  it('stores the 50 MB single line', () => {
    expect(summary.rejected.some((r) => r.path.endsWith('huge-line.jsonl'))).toBe(false);
  });

  it('passes verify with the empty file and the 50 MB line', async () => {
    const verify = await runCli(['verify', '--case', caseDir, '--json']);
    const report = JSON.parse(verify.stdout) as { problems: { code: string }[] };

    expect(report.problems).toEqual([]);
    expect(verify.code).toBe(0);
  }, 120_000);

  it('reports the unreadable input', () => {
    expect(summary.evidence.failed.map((f) => path.basename(f.path))).toContain('dangling.json');
  });

  it('keeps hostile content inert in report.html', async () => {
    const html = await readFile(path.join(caseDir, 'reports/report.html'), 'utf8');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('\u001b');
  });

  it('neutralizes formulas in timeline.csv', async () => {
    const csv = await readFile(path.join(caseDir, 'reports/timeline.csv'), 'utf8');
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
    expect(csv).toContain("'=HYPERLINK");
  });

  it('never writes a raw escape to the terminal', async () => {
    const table = await runCli(['timeline', '--case', caseDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('<script>');
    expect(table.stdout).not.toContain('\u001b');

    const text = await runCli(['investigate', path.join(dir, 'input'), '--case', caseDir]);
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stderr).not.toContain('\u001b');
  });
});

describe('investigate on gzip with trailing bytes', () => {
  let run: CliRun;
  let summary: Summary;
  const delivery = (id: string) =>
    gzipSync(
      JSON.stringify({ Records: [1, 2, 3, 4, 5].map((n) => record({ eventID: `${id}${n}` })) }),
    );

  beforeAll(async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'input');
    await mkdir(input);
    await writeFile(
      path.join(input, 'padded.json.gz'),
      Buffer.concat([delivery('p'), Buffer.alloc(512)]),
    );
    await writeFile(
      path.join(input, 'garbage-tail.json.gz'),
      Buffer.concat([delivery('g'), Buffer.alloc(512, 1)]),
    );
    await writeFile(
      path.join(input, 'two-members.json.gz'),
      Buffer.concat([delivery('m'), delivery('n')]),
    );

    // The time limit turns a hang into a failed run, with exit code 124.
    run = await runCli(['investigate', input, '--case', path.join(dir, 'case'), '--json'], {
      launcher: ['timeout', '60'],
    });
    summary = JSON.parse(run.stdout) as Summary;
  }, 120_000);

  it('exits with the partial code', () => {
    expect(run.code).toBe(3);
  });

  it('stores the records of every member', () => {
    const { read, stored, rejected } = summary.records;
    expect(stored).toBe(20);
    expect(rejected).toBe(1);
    expect(read).toBe(stored + rejected);
  });

  it('rejects only the trailing garbage', () => {
    expect(summary.rejected.map((row) => [path.basename(row.path), row.code])).toEqual([
      ['garbage-tail.json.gz', 'gzip_invalid'],
    ]);
  });
});
