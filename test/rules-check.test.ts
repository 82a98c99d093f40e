import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

const CLOUDTRAIL = 'logsource:\n  product: aws\n  service: cloudtrail\n';

const FILES: Record<string, string> = {
  'good.yml': `title: Good\nname: good\n${CLOUDTRAIL}detection:\n  s:\n    eventName: StopLogging\n  condition: s\n`,
  'broken.yml': 'title: [unclosed\nlogsource: {}\n',
  'modifier.yml': `title: Typo\n${CLOUDTRAIL}detection:\n  s:\n    eventName|contians: Stop\n  condition: s\n`,
  'aggregation.yml': `title: Old count\n${CLOUDTRAIL}detection:\n  s:\n    eventName: ConsoleLogin\n  condition: s | count() by sourceIPAddress > 5\n`,
  'nested/correlation.yml':
    'title: Burst\ncorrelation:\n  type: event_count\n  rules: [missing_rule]\n  timespan: 1h\n  condition: { gte: 3 }\n',
  'nested/windows.yml':
    'title: Windows\nlogsource:\n  product: windows\n  service: security\ndetection:\n  s:\n    EventID: 4625\n  condition: s\n',
  // The modifier name carries an escape sequence that would recolour a terminal.
  'hostile.yml': `title: Hostile\n${CLOUDTRAIL}detection:\n  s:\n    "eventName|\\e[31mred": x\n  condition: s\n`,
  'filters/mf_good.yml':
    'title: Automation\nlogsource:\n  product: aws\nfilter:\n  rules: [good]\n  s:\n    userIdentity.type: AWSService\n  condition: s\n',
  'notes.txt': 'not a rule',
};

async function ruleTree(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return dir;
}

interface Issue {
  code: string;
  severity: string;
  file: string;
  line: number | null;
  field: string | null;
  message: string;
}

describe('rules check', () => {
  it('lists every issue with its location', async () => {
    const dir = await ruleTree(FILES);
    const run = await runCli(['rules', 'check', dir]);

    expect(run.code).toBe(3);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    const lineOf = (code: string) => lines.find((line) => line.includes(code)) ?? '';
    expect(lineOf('yaml_syntax')).toMatch(/^error +yaml_syntax +broken\.yml:\d+/);
    const typo = lines.find((line) => line.includes(' modifier.yml')) ?? '';
    expect(typo).toMatch(
      /^error +unknown_modifier +modifier\.yml:7 +detection\.s\.eventName\|contians /,
    );
    expect(lineOf('obsolete_aggregation')).toContain('aggregation.yml:8');
    expect(lineOf('obsolete_aggregation')).toContain('correlation rule');
    expect(lineOf('unknown_rule_reference')).toContain('nested/correlation.yml');
    expect(lineOf('unknown_logsource')).toMatch(/^warning /);
    expect(run.stdout).toContain(
      'checked 8 files (3 loaded, 0 partly loaded, 5 failed): 2 rules, 5 errors, 1 warning',
    );
  });

  it('escapes rule content for the terminal', async () => {
    const dir = await ruleTree({ 'hostile.yml': FILES['hostile.yml']! });
    const run = await runCli(['rules', 'check', dir]);

    expect(run.stdout).not.toContain('\x1b');
    expect(run.stdout).toContain('\\x1b[31mred');
  });

  it('prints one JSON document with file status and totals', async () => {
    const dir = await ruleTree(FILES);
    const run = await runCli(['rules', 'check', dir, '--json']);
    const report = JSON.parse(run.stdout);

    expect(run.code).toBe(3);
    expect(report.ok).toBe(false);
    expect(report.totals).toEqual({
      files: 8,
      loaded: 3,
      partial: 0,
      failed: 5,
      rules: 2,
      filters: 1,
      errors: 5,
      warnings: 1,
    });
    const status = Object.fromEntries(
      report.files.map((file: { file: string; status: string }) => [file.file, file.status]),
    );
    expect(status).toEqual({
      'aggregation.yml': 'failed',
      'broken.yml': 'failed',
      'filters/mf_good.yml': 'loaded',
      'good.yml': 'loaded',
      'hostile.yml': 'failed',
      'modifier.yml': 'failed',
      'nested/correlation.yml': 'failed',
      'nested/windows.yml': 'loaded',
    });
    const modifier = report.issues.find((issue: Issue) => issue.file === 'modifier.yml');
    expect(modifier).toEqual({
      code: 'unknown_modifier',
      severity: 'error',
      file: 'modifier.yml',
      line: 7,
      field: 'detection.s.eventName|contians',
      message: 'Unknown modifier "contians".',
    });
    const aggregation = report.issues.find((issue: Issue) => issue.file === 'aggregation.yml');
    expect(aggregation.code).toBe('obsolete_aggregation');
    expect(aggregation.field).toBe('detection.condition');
  });

  it('exits 0 when every rule loads', async () => {
    const dir = await ruleTree({ 'good.yml': FILES['good.yml']! });
    const run = await runCli(['rules', 'check', path.join(dir, 'good.yml'), '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).issues).toEqual([]);
  });

  it('rejects oversized and UTF-16 rule files', async () => {
    const dir = await tempDir();
    const good = FILES['good.yml']!;
    await writeFile(
      path.join(dir, 'utf16.yml'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')]),
    );
    await writeFile(
      path.join(dir, 'huge.yml'),
      `${good}falsepositives:\n${'  - x\n'.repeat(300_000)}`,
    );
    const run = await runCli(['rules', 'check', dir, '--json']);
    const issues = (JSON.parse(run.stdout) as { issues: Issue[] }).issues;

    expect(run.code).toBe(3);
    expect(issues.map((issue) => [issue.file, issue.code])).toEqual([
      ['huge.yml', 'rule_file_too_large'],
      ['utf16.yml', 'unsupported_encoding'],
    ]);
  });

  it('rejects a missing path with the usage code', async () => {
    const dir = await tempDir();
    const run = await runCli(['rules', 'check', path.join(dir, 'nothing')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('path_not_found');
  });

  it('reads every SigmaHQ rule file', { timeout: 120_000 }, async () => {
    const root = path.join(SHARED_DATA, 'sigma/rules-all');
    const run = await runCli(['rules', 'check', root, '--json']);
    const report = JSON.parse(run.stdout);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(3);
    const yamlFiles = (await readdir(root, { recursive: true })).filter((f) => /\.ya?ml$/.test(f));
    expect(report.totals.files).toBe(yamlFiles.length);
    const withIssue = new Set(report.issues.map((issue: Issue) => issue.file));
    for (const file of report.files) {
      if (file.status === 'loaded') continue;
      expect(withIssue.has(file.file), file.file).toBe(true);
    }
    for (const issue of report.issues) expect(issue.code).toMatch(/^[a-z_]+$/);
    expect(report.totals.loaded).toBeGreaterThan(3900);
  });
});
