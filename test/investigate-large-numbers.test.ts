import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

// A CloudTrail record whose request names an integer beyond 2^53 and a number beyond the double
// range, as attacker-controlled request parameters can.
const RECORD =
  '{"eventVersion":"1.08","eventTime":"2024-04-02T10:00:00Z","eventSource":"ec2.amazonaws.com",' +
  '"eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",' +
  '"eventID":"b7c1e0aa-0000-4000-8000-000000000001",' +
  '"requestParameters":{"clientToken":12345678901234567890,"ratio":1e400}}';

const RULE = `title: Client token with twenty digits
id: 5f0e6c52-8d7b-4f3c-9a0e-3c2b1a0f9e11
status: test
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    requestParameters.clientToken: '12345678901234567890'
    requestParameters.ratio: '1e400'
  condition: selection
level: low
`;

describe('records with numbers beyond double precision', () => {
  let caseDir: string;
  let rules: string;

  beforeAll(async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'trail.json');
    await writeFile(file, `${RECORD}\n`);
    rules = path.join(dir, 'rules');
    await mkdir(rules);
    await writeFile(path.join(rules, 'token.yml'), RULE);
    caseDir = path.join(dir, 'case');

    const run = await runCli(['investigate', file, '--case', caseDir, '--rules', rules]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  }, 120_000);

  it('keeps the digits in the timeline raw', async () => {
    const run = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);
    const [event] = run.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { raw: { requestParameters: unknown } });

    expect(event?.raw.requestParameters).toEqual({
      clientToken: '12345678901234567890',
      ratio: '1e400',
    });
  });

  it('matches the digits while streaming and in SQL', async () => {
    const findings = JSON.parse(
      await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8'),
    ) as { rule_id: string }[];
    expect(findings.map((finding) => finding.rule_id)).toContain(
      '5f0e6c52-8d7b-4f3c-9a0e-3c2b1a0f9e11',
    );

    const hunt = await runCli(['hunt', '--case', caseDir, '--rules', rules, '--json']);
    expect(hunt.code).toBe(0);
    const summary = JSON.parse(hunt.stdout) as { rules: { id: string; matches: number }[] };
    expect(summary.rules).toContainEqual(
      expect.objectContaining({ id: '5f0e6c52-8d7b-4f3c-9a0e-3c2b1a0f9e11', matches: 1 }),
    );
  });
});
