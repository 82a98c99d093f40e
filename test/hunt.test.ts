import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, SHARED_DATA, tempDir } from './support/cli.ts';

const RECORDS = path.join(
  SHARED_DATA,
  'logs/otrf-aws-ec2-proxy-s3-exfiltration/derived_cloudtrail_records.json',
);

interface HuntJson {
  events: number;
  rules: { id: string; title: string; matches: number; added: number; kind: string }[];
  problems: { file: string; code: string }[];
  detections_added: number;
  correlation_hits_added: number;
}

const BUILTIN_RULE_FILE = 'cloudtrail-destination-changed.yml';

const BAD_RULE = `title: Routed nowhere
logsource:
  product: windows
detection:
  selection:
    EventID: 1
  condition: selection
`;

async function readTimeline(caseDir: string): Promise<{ text: string; mtimeMs: number }> {
  const file = path.join(caseDir, 'reports/timeline.csv');
  return { text: await readFile(file, 'utf8'), mtimeMs: (await stat(file)).mtimeMs };
}

async function auditCommands(caseDir: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(path.join(caseDir, 'case.duckdb'), {
    access_mode: 'READ_ONLY',
  });
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll('SELECT command FROM audit ORDER BY time');
  const commands = reader.getRowObjectsJS().map((row) => String(row.command));
  connection.closeSync();
  instance.closeSync();
  return commands;
}

describe('cloudcase hunt', () => {
  let caseDir: string;
  let first: { code: number; result: HuntJson };
  let second: { code: number; result: HuntJson };
  let timelineAfterIngest: { text: string; mtimeMs: number };

  beforeAll(async () => {
    caseDir = path.join(await tempDir(), 'case');
    const ingest = await runCli(['investigate', RECORDS, '--case', caseDir, '--no-builtin-rules']);
    expect(ingest.code).toBe(0);
    timelineAfterIngest = await readTimeline(caseDir);

    const hunt = async () => {
      const run = await runCli([
        'hunt',
        '--case',
        caseDir,
        '--rules',
        path.join(ROOT, 'rules'),
        '--json',
      ]);
      return { code: run.code, result: JSON.parse(run.stdout) as HuntJson };
    };
    first = await hunt();
    second = await hunt();
  }, 120_000);

  it('runs every built-in rule over the case', () => {
    expect(first.code).toBe(0);
    expect(first.result.problems).toEqual([]);
    expect(first.result.events).toBe(103);
    expect(first.result.rules.length).toBeGreaterThan(40);
  });

  it('adds the detections it finds', () => {
    expect(first.result.detections_added).toBeGreaterThan(0);
    const matched = first.result.rules.filter((rule) => rule.matches > 0);
    expect(matched.every((rule) => rule.added === rule.matches)).toBe(true);
    const hits = first.result.rules.filter((rule) => rule.kind === 'correlation');
    expect(first.result.correlation_hits_added).toBe(hits.reduce((n, rule) => n + rule.added, 0));
  });

  it('adds nothing when run again', () => {
    expect(second.code).toBe(0);
    expect(second.result.detections_added).toBe(0);
    expect(second.result.correlation_hits_added).toBe(0);
    expect(second.result.rules.map((rule) => rule.matches)).toEqual(
      first.result.rules.map((rule) => rule.matches),
    );
  });

  it('writes the findings into the reports', async () => {
    const findings = JSON.parse(
      await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8'),
    ) as { rule_id: string; event_count: number; event_uids: string[] }[];
    const matched = first.result.rules.filter(
      (rule) => rule.matches > 0 && rule.kind === 'detection',
    );
    for (const rule of matched) {
      const finding = findings.find((entry) => entry.rule_id === rule.id);
      expect(finding?.event_uids.length).toBe(rule.matches);
      expect(finding?.event_count).toBe(rule.matches);
    }
  });

  it('keeps a current timeline.csv', async () => {
    expect(await readTimeline(caseDir)).toEqual(timelineAfterIngest);
  });

  it('writes a missing timeline.csv again', async () => {
    await rm(path.join(caseDir, 'reports/timeline.csv'));
    const run = await runCli(['hunt', '--case', caseDir, '--rules', path.join(ROOT, 'rules')]);

    expect(run.code).toBe(0);
    expect((await readTimeline(caseDir)).text).toBe(timelineAfterIngest.text);
  });

  it('records each run in the audit trail', async () => {
    expect(await auditCommands(caseDir)).toEqual(['investigate', 'hunt', 'hunt', 'hunt']);
  });

  it('lists rules that did not run and exits 3', async () => {
    const folder = path.join(await tempDir(), 'rules');
    await mkdir(folder);
    await writeFile(path.join(folder, 'nowhere.yml'), BAD_RULE);
    const run = await runCli(['hunt', '--case', caseDir, '--rules', folder]);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('nowhere.yml:1  unknown_logsource');
    expect(run.stdout).toContain('1 problem in 1 file kept rules from running:');
  });

  it('skips a user rule that reuses a built-in rule id', async () => {
    const builtin = path.join(ROOT, 'rules/aws', BUILTIN_RULE_FILE);
    const text = await readFile(builtin, 'utf8');
    const folder = path.join(await tempDir(), 'rules');
    await mkdir(folder);
    await writeFile(path.join(folder, 'copy.yml'), text.replace(/^title: .*$/m, 'title: Mine'));
    const run = await runCli(['hunt', '--case', caseDir, '--rules', folder, '--json']);
    const result = JSON.parse(run.stdout) as HuntJson;

    expect(run.code).toBe(3);
    expect(result.problems).toEqual([
      expect.objectContaining({ file: 'copy.yml', code: 'duplicate_id' }),
    ]);
    expect(result.rules).toEqual([]);
  });

  it('rejects a rules folder without rules', async () => {
    const folder = path.join(await tempDir(), 'empty');
    await mkdir(folder);
    const run = await runCli(['hunt', '--case', caseDir, '--rules', folder]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no_rule_files');
  });

  it('exits 4 on a folder that is not a case', async () => {
    const run = await runCli([
      'hunt',
      '--case',
      await tempDir(),
      '--rules',
      path.join(ROOT, 'rules'),
    ]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('case_not_found');
  });
});

async function entityRows(caseDir: string, sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(path.join(caseDir, 'case.duckdb'));
  const connection = await instance.connect();
  try {
    await connection.run(sql);
    const reader = await connection.runAndReadAll(
      'SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM entity_source) AS n',
    );
    return Number(reader.getRowObjectsJS()[0]?.n);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('cloudcase hunt and the entity tables', () => {
  let caseDir: string;
  let extracted: number;
  const hunt = () => runCli(['hunt', '--case', caseDir, '--rules', path.join(ROOT, 'rules'), '-v']);

  beforeAll(async () => {
    caseDir = path.join(await tempDir(), 'case');
    const ingest = await runCli(['investigate', RECORDS, '--case', caseDir, '--no-builtin-rules']);
    expect(ingest.code).toBe(0);
    extracted = await entityRows(caseDir, 'SELECT 1');
  }, 120_000);

  it('keeps entities extracted from the current events', async () => {
    const run = await hunt();

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('entity tables kept');
    expect((await runCli(['verify', '--case', caseDir])).code).toBe(0);
  });

  it('extracts entities of other events again', async () => {
    // As after an ingest that stopped before its extraction.
    expect(await entityRows(caseDir, 'DELETE FROM entity_source')).toBe(extracted - 1);
    const run = await hunt();

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('entity tables extracted');
    expect(await entityRows(caseDir, 'SELECT 1')).toBe(extracted);
  });

  it('extracts entity tables that differ from the ledger again', async () => {
    expect(await entityRows(caseDir, "DELETE FROM entities WHERE type = 'ip'")).toBeLessThan(
      extracted,
    );
    const run = await hunt();

    expect(run.stderr).toContain('findings table differs from the ledger');
    expect(run.stderr).toContain('entity tables extracted');
    expect(await entityRows(caseDir, 'SELECT 1')).toBe(extracted);
  });
});
