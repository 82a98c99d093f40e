import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

const RECORDS = path.join(
  SHARED_DATA,
  'logs/otrf-aws-ec2-proxy-s3-exfiltration/derived_cloudtrail_records.json',
);

const RULE_ID = '0b6f3c2e-4d1a-4e8b-9c7f-5a2d1e0f9b34';

const RULE = `title: Activity of watched users
id: ${RULE_ID}
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    userIdentity.userName|expand: '%watched_users%'
  condition: selection
level: low
`;

interface Issue {
  code: string;
  message: string;
}

describe('placeholders file', () => {
  let work: string;
  let rules: string;
  let placeholders: string;

  beforeAll(async () => {
    work = await tempDir();
    rules = path.join(work, 'rules');
    await mkdir(rules);
    await writeFile(path.join(rules, 'watched.yml'), RULE);
    placeholders = path.join(work, 'placeholders.yml');
    await writeFile(placeholders, "watched_users:\n  - 'pe*'\n  - nobody\n");
  });

  it('rules check names the flag when values are missing', async () => {
    const run = await runCli(['rules', 'check', rules, '--json']);
    expect(run.code).toBe(3);
    const issues = (JSON.parse(run.stdout) as { issues: Issue[] }).issues;
    const missing = issues.find((issue) => issue.code === 'unresolved_placeholder');
    expect(missing?.message).toContain('%watched_users%');
    expect(missing?.message).toContain('--placeholders FILE');
  });

  it('rules check loads rules with values', async () => {
    const run = await runCli(['rules', 'check', rules, '--placeholders', placeholders, '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { issues: Issue[] }).issues).toEqual([]);
  });

  it('investigate matches expanded values', async () => {
    const caseDir = path.join(work, 'investigated');
    const args = ['investigate', RECORDS, '--case', caseDir, '--no-builtin-rules'];
    const run = await runCli([...args, '--rules', rules, '--placeholders', placeholders]);
    expect(run.code).toBe(0);
    const findings = JSON.parse(
      await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8'),
    ) as { rule_id: string; event_uids: string[] }[];
    const watched = findings.find((finding) => finding.rule_id === RULE_ID);
    expect(watched?.event_uids.length).toBeGreaterThan(0);
  });

  it('hunt matches expanded values', async () => {
    const caseDir = path.join(work, 'hunted');
    const ingest = await runCli(['investigate', RECORDS, '--case', caseDir, '--no-builtin-rules']);
    expect(ingest.code).toBe(0);

    const without = await runCli(['hunt', '--case', caseDir, '--rules', rules, '--json']);
    expect(without.code).toBe(3);
    const problems = (JSON.parse(without.stdout) as { problems: Issue[] }).problems;
    expect(problems.map((problem) => problem.code)).toEqual(['unresolved_placeholder']);
    expect(problems[0]?.message).toContain('--placeholders FILE');

    const hunt = ['hunt', '--case', caseDir, '--rules', rules, '--json'];
    const run = await runCli([...hunt, '--placeholders', placeholders]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { rules: { id: string; matches: number }[] };
    expect(result.rules.find((rule) => rule.id === RULE_ID)?.matches).toBeGreaterThan(0);
  });

  it('rejects a file that is not a mapping', async () => {
    const list = path.join(work, 'list.yml');
    await writeFile(list, '- root\n- admin\n');
    const run = await runCli(['rules', 'check', rules, '--placeholders', list]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invalid_placeholders');
    expect(run.stderr).toContain('mapping of placeholder names');
  });

  it('rejects a nested value', async () => {
    const nested = path.join(work, 'nested.yml');
    await writeFile(nested, 'watched_users:\n  - { name: root }\n');
    const run = await runCli(['rules', 'check', rules, '--placeholders', nested]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('value 1 of "watched_users"');
  });

  it('rejects a missing file', async () => {
    const run = await runCli([
      'hunt',
      '--case',
      work,
      '--rules',
      rules,
      '--placeholders',
      'no.yml',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('does not exist');
  });
});
