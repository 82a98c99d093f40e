import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../src/demo/index.ts';
import { runCli, tempDir } from './support/cli.ts';

let work: string;
let logs: string;
let investigated: string;

interface VerifyProblem {
  code: string;
  table?: string;
  seq?: number;
  message: string;
}

beforeAll(async () => {
  work = await tempDir('cloudcase-verify-findings-');
  logs = path.join(work, 'logs');
  investigated = path.join(work, 'case');
  // The scenario's intrusion yields detections, correlation hits and anomalies at this scale.
  await generateScenario(logs, { scale: 0.01 });
  const run = await runCli(['investigate', logs, '--case', investigated]);
  expect(run.code, run.stderr).toBe(0);
}, 180_000);

async function copyCase(name: string): Promise<string> {
  const copy = path.join(work, name);
  await cp(investigated, copy, { recursive: true });
  return copy;
}

async function withDatabase<T>(
  caseDir: string,
  work: (run: (sql: string) => Promise<unknown[][]>) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(path.join(caseDir, 'case.duckdb'));
  const connection = await instance.connect();
  try {
    return await work(async (sql) => (await connection.runAndReadAll(sql)).getRowsJS());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function tamperedCopy(name: string, sql: string): Promise<string> {
  const copy = await copyCase(name);
  await withDatabase(copy, (run) => run(sql));
  return copy;
}

async function verifyProblems(
  caseDir: string,
): Promise<{ code: number; problems: VerifyProblem[]; warnings: VerifyProblem[] }> {
  const verify = await runCli(['verify', '--case', caseDir, '--json']);
  const report = JSON.parse(verify.stdout) as {
    problems: VerifyProblem[];
    warnings: VerifyProblem[];
  };
  return { code: verify.code, problems: report.problems, warnings: report.warnings };
}

async function ledgerActions(caseDir: string): Promise<{ action: string; details: unknown }[]> {
  const text = await readFile(path.join(caseDir, 'custody.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { action: string; details: unknown });
}

async function firstHighRule(caseDir: string): Promise<string> {
  const rows = await withDatabase(caseDir, (run) =>
    run(`SELECT d.rule_id FROM detections d JOIN rules r ON r.id = d.rule_id
         WHERE r.level = 'high' AND d.hit_id IS NULL ORDER BY d.rule_id LIMIT 1`),
  );
  return String(rows[0]?.[0]);
}

describe('verify of the findings tables', () => {
  it('passes on the case investigate stored', async () => {
    const { code, problems } = await verifyProblems(investigated);
    const findings = (await ledgerActions(investigated)).filter((e) => e.action === 'findings');

    expect(problems).toEqual([]);
    expect(code).toBe(0);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.details).toMatchObject({
      command: 'investigate',
      tables: { detections: { rows: expect.any(Number) }, anomalies: { rows: expect.any(Number) } },
    });
  });

  it('names detections deleted since', async () => {
    const rule = await firstHighRule(investigated);
    const caseDir = await tamperedCopy(
      'deleted',
      `DELETE FROM detections WHERE rule_id = '${rule}'`,
    );
    const { code, problems } = await verifyProblems(caseDir);

    expect(code).toBe(5);
    expect(problems.map((p) => [p.code, p.table])).toEqual([
      ['database_findings_changed', 'detections'],
    ]);
    expect(problems[0]?.message).toContain('rows were deleted since');
    expect(problems[0]?.message).toMatch(/holds (\d+) rows of detections, but the ledger/);
  });

  it('prints the table in the text output', async () => {
    const rule = await firstHighRule(investigated);
    const caseDir = await tamperedCopy('text', `DELETE FROM detections WHERE rule_id = '${rule}'`);
    const verify = await runCli(['verify', '--case', caseDir]);

    expect(verify.code).toBe(5);
    expect(verify.stdout).toContain('FAILED');
    expect(verify.stdout).toContain('database_findings_changed');
    expect(verify.stdout).toContain('rows of detections');
  });

  it('names a detection whose rule was edited', async () => {
    const rule = await firstHighRule(investigated);
    const caseDir = await tamperedCopy(
      'edited',
      `UPDATE detections SET rule_id = 'benign-rule' WHERE rule_id = '${rule}'`,
    );
    const { code, problems } = await verifyProblems(caseDir);

    expect(code).toBe(5);
    expect(problems.map((p) => [p.code, p.table])).toEqual([
      ['database_findings_changed', 'detections'],
    ]);
    expect(problems[0]?.message).toContain('content differs');
  });

  it('names a deleted correlation hit', async () => {
    const caseDir = await tamperedCopy(
      'hit',
      'DELETE FROM correlation_hits WHERE hit_id = (SELECT min(hit_id) FROM correlation_hits)',
    );
    const { code, problems } = await verifyProblems(caseDir);

    expect(code).toBe(5);
    expect(problems.map((p) => [p.code, p.table])).toEqual([
      ['database_findings_changed', 'correlation_hits'],
    ]);
    expect(problems[0]?.message).toContain('rows were deleted since');
  });

  it('names a deleted anomaly', async () => {
    const caseDir = await tamperedCopy(
      'anomaly',
      "DELETE FROM anomalies WHERE severity = 'high' OR kind = 'new_key_new_ip'",
    );
    const { code, problems } = await verifyProblems(caseDir);

    expect(code).toBe(5);
    expect(problems.map((p) => [p.code, p.table])).toEqual([
      ['database_findings_changed', 'anomalies'],
    ]);
  });

  it('names a dropped table and an added rule', async () => {
    const caseDir = await tamperedCopy(
      'dropped',
      `DROP TABLE anomalies;
       INSERT INTO rules SELECT * REPLACE ('other-rule' AS id) FROM rules LIMIT 1`,
    );
    const { code, problems } = await verifyProblems(caseDir);

    expect(code).toBe(5);
    expect(problems.map((p) => [p.code, p.table])).toEqual([
      ['database_findings_changed', 'rules'],
      ['database_findings_changed', 'anomalies'],
    ]);
    expect(problems[0]?.message).toContain('rows were added since');
    expect(problems[1]?.message).toContain('holds 0 rows of anomalies');
  });

  it('passes after analyst marks change', async () => {
    const caseDir = await tamperedCopy(
      'marks',
      `INSERT INTO event_marks SELECT uid, 'tag', 'reviewed', 'ana', now()::TIMESTAMP
         FROM events LIMIT 3;
       INSERT INTO saved_searches VALUES ('mine', 'actor:alice', 'ana', now()::TIMESTAMP)`,
    );
    const { code, problems } = await verifyProblems(caseDir);

    expect(problems).toEqual([]);
    expect(code).toBe(0);
  });

  it('passes after hunt adds detections and intel matches', async () => {
    const caseDir = await copyCase('hunted');
    await writeFile(path.join(work, 'stack-events.yml'), STACK_EVENTS_RULE);
    const rows = await withDatabase(caseDir, (run) =>
      run(`SELECT e.src_ip FROM detections d JOIN events e ON e.uid = d.event_uid
           JOIN rules r ON r.id = d.rule_id WHERE r.level = 'high' AND e.src_ip IS NOT NULL
           ORDER BY e.uid LIMIT 1`),
    );
    const intel = path.join(work, 'bad-ips.txt');
    await writeFile(intel, `${String(rows[0]?.[0])}\n`);
    const hunt = await runCli([
      'hunt',
      '--case',
      caseDir,
      '--rules',
      path.join(work, 'stack-events.yml'),
      '--intel',
      intel,
      '--json',
    ]);
    const { code, problems, warnings } = await verifyProblems(caseDir);
    const findings = (await ledgerActions(caseDir)).filter((e) => e.action === 'findings');

    expect(hunt.code, hunt.stderr).toBe(0);
    expect(JSON.parse(hunt.stdout).detections_added).toBeGreaterThan(0);
    expect(JSON.parse(hunt.stdout).intel.indicators_matched).toBe(1);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(code).toBe(0);
    expect(findings.map((e) => (e.details as { command: string }).command)).toEqual([
      'investigate',
      'hunt',
    ]);
  }, 60_000);

  it('passes after investigate and gaps run again', async () => {
    const caseDir = await copyCase('again');
    const again = await runCli(['investigate', logs, '--case', caseDir]);
    const gaps = await runCli(['gaps', '--case', caseDir]);
    const { code, problems, warnings } = await verifyProblems(caseDir);
    const findings = (await ledgerActions(caseDir)).filter((e) => e.action === 'findings');

    expect(again.code, again.stderr).toBe(0);
    expect([0, 5]).toContain(gaps.code);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(code).toBe(0);
    expect(findings.map((e) => (e.details as { command: string }).command)).toEqual([
      'investigate',
      'investigate',
      'gaps',
    ]);
  }, 120_000);

  it('warns of a deletion that a later run recorded', async () => {
    const rule = await firstHighRule(investigated);
    const caseDir = await tamperedCopy(
      'rerecorded',
      `DELETE FROM detections WHERE rule_id = '${rule}'`,
    );
    const gaps = await runCli(['gaps', '--case', caseDir]);
    const verify = await runCli(['verify', '--case', caseDir, '--json']);
    const report = JSON.parse(verify.stdout) as {
      problems: VerifyProblem[];
      warnings: VerifyProblem[];
    };
    const text = await runCli(['verify', '--case', caseDir]);

    expect(gaps.stderr).toContain('findings table differs from the ledger');
    expect(report.problems).toEqual([]);
    expect(verify.code).toBe(0);
    expect(report.warnings.map((w) => [w.code, w.table])).toEqual([
      ['findings_changed_before_run', 'detections'],
    ]);
    expect(report.warnings[0]?.message).toContain('When gaps started');
    expect(text.stdout).toContain('warning findings_changed_before_run');
  }, 60_000);

  it('passes after investigate resumes a cut run', async () => {
    // A run killed after it stored a detection but before its findings entry leaves a row that
    // the ledger does not record yet.
    const caseDir = await tamperedCopy(
      'resumed',
      `INSERT INTO detections SELECT * REPLACE ('cut-run-rule' AS rule_id)
       FROM detections WHERE hit_id IS NULL ORDER BY event_uid LIMIT 1`,
    );
    const cut = await verifyProblems(caseDir);
    const resumed = await runCli(['investigate', logs, '--case', caseDir]);
    const { code, problems, warnings } = await verifyProblems(caseDir);

    expect(cut.code).toBe(5);
    expect(cut.problems[0]?.message).toContain('rows were added since');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(problems).toEqual([]);
    expect(code).toBe(0);
    expect(warnings.map((w) => [w.code, w.table])).toEqual([
      ['findings_changed_before_run', 'detections'],
    ]);
    expect(warnings[0]?.message).toContain('When investigate started');
  }, 90_000);
});

const STACK_EVENTS_RULE = `title: CloudFormation stack events read
id: 6f0d3a52-3c1e-4a39-9d0e-5f6a8a1b2c3d
status: test
level: low
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: DescribeStackEvents
    condition: selection
`;
