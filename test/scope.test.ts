import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataReadTotals } from '../src/analyze/scope/index.ts';
import { silentLogger } from '../src/core/logger.ts';
import { generateScenario, type ScenarioResult } from '../src/demo/index.ts';
import { runInvestigate } from '../src/pipeline/investigate.ts';
import { dataReadText } from '../src/report/scope-amounts.ts';
import type { ScopeSummary } from '../src/server/scope-api.ts';
import { startWorkbench } from '../src/server/workbench.ts';
import { CaseDb } from '../src/store/index.ts';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';
import { api } from './support/workbench.ts';

interface ScopeJson {
  split: { suspicious_sources: { source: string }[]; excluded: { source: string }[] };
  events: number;
  by_source: { source: string; events: number }[];
  identities: { value: string }[];
  vector: {
    verdict: string;
    access_key: string | null;
    summary: string;
    first_suspicious: { time: string; status: string | null; source: string | null };
  }[];
  event_list: { uid: string; actor: string | null; src_ip: string | null }[];
  changes: { operation: string }[];
  change_count: number;
  data_read: unknown[];
  data_read_totals: DataReadTotals;
}

const LOGS = path.join(SHARED_DATA, 'logs');

async function investigate(paths: string[], caseDir: string): Promise<void> {
  await runInvestigate({ paths, caseDir, logger: silentLogger() });
}

async function scope(caseDir: string, ...args: string[]): Promise<ScopeJson> {
  const run = await runCli(['scope', '--case', caseDir, '--json', ...args]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as ScopeJson;
}

describe('scope on the demo case', () => {
  let caseDir: string;
  let scenario: ScenarioResult;
  let result: ScopeJson;
  const eventId = new Map<string, string>();

  beforeAll(async () => {
    const work = await tempDir('cloudcase-scope-demo-');
    caseDir = path.join(work, 'case');
    scenario = await generateScenario(path.join(work, 'logs'), { scale: 0.2 });
    await investigate([path.join(work, 'logs')], caseDir);
    result = await scope(caseDir, '--key', 'AKIAQ3EGV7KAMD4NAK3Y');
    const db = await CaseDb.openReadOnly(caseDir);
    try {
      for await (const event of db.timeline()) eventId.set(event.uid, String(event.raw.eventID));
    } finally {
      await db.close();
    }
  }, 120_000);

  it('returns exactly the attacker actions for the leaked key', () => {
    const attack = scenario.attackSteps.flatMap((step) => step.eventIds);
    const scoped = result.event_list.map((event) => eventId.get(event.uid));

    expect(new Set(scoped)).toEqual(new Set(attack));
    expect(scoped).toHaveLength(attack.length);
    expect(result.changes.map((c) => c.operation)).toContain('CreateUser');
  });

  it('lists network changes such as deleted flow logs', () => {
    const operations = result.changes.map((c) => c.operation);

    expect(operations.filter((op) => op === 'DeleteFlowLogs')).toHaveLength(2);
    expect(operations.filter((op) => op === 'RunInstances')).toHaveLength(4);
  });

  it('names the leaked key in the initial-access verdict', () => {
    expect(result.vector).toHaveLength(1);
    expect(result.vector[0]?.verdict).toBe('leaked_long_term_key');
    expect(result.vector[0]?.access_key).toBe('AKIAQ3EGV7KAMD4NAK3Y');
    expect(result.vector[0]?.summary).toContain('AKIAQ3EGV7KAMD4NAK3Y');
  });

  it('refuses a block for --ip and an empty indicator, as usage errors', async () => {
    const block = await runCli(['scope', '--case', caseDir, '--ip', '203.0.113.0/24']);
    expect(block.code).toBe(2);
    expect(block.stderr).toContain('not a block');
    const empty = await runCli(['scope', '--case', caseDir, '--identity', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('invalid_indicator');
  });

  it('gives the workbench the same totals as the CLI', async () => {
    const bench = await startWorkbench({
      caseDir,
      host: '127.0.0.1',
      port: 0,
      analyst: 'tester@example',
      logger: silentLogger(),
    });
    try {
      const cookie = `${bench.cookieName}=${bench.token}`;
      const summary = await api<ScopeSummary>(
        cookie,
        bench.origin,
        '/api/scope?kind=access_key&value=AKIAQ3EGV7KAMD4NAK3Y',
      );

      expect(result.data_read.length).toBeGreaterThan(20);
      expect(summary.events).toBe(result.events);
      expect(summary.data_read).toEqual(result.data_read_totals);
      expect(summary.data_read_text).toBe(dataReadText(result.data_read_totals));
      expect(summary.change_count).toBe(result.change_count);
      expect(summary.change_count).toBe(result.changes.length);
      expect(summary.changes.map((c) => c.operation)).toEqual(
        result.changes.slice(0, 20).map((c) => c.operation),
      );
      expect(summary.split.excluded.map((s) => s.source)).toEqual(['192.0.2.31']);
      expect(summary.verdicts[0]?.first_suspicious.source).toBe('203.0.113.77');
    } finally {
      await bench.close();
    }
  });

  it('writes the attack vector section into the report', async () => {
    const report = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');

    expect(report).toContain('## Attack vector and chain');
    expect(report).toContain('leaked long term key');
    expect(report).toContain('AKIAQ3EGV7KAMD4NAK3Y');
    expect(report).toContain('### Changes to roll back');
    expect(report).toMatch(/\| DeleteFlowLogs \|.*\| create the flow logs again \|/);
    expect(report).toContain('### Data read');
    expect(report).toMatch(/objects or secrets read in \d+ reads; bytes sent [\d,]+ bytes/);
  });
});

describe('scope on real logs', () => {
  it('finds stolen instance-role credentials, not the admin', async () => {
    const caseDir = path.join(await tempDir('cloudcase-scope-otrf-'), 'case');
    const dir = path.join(LOGS, 'otrf-aws-ec2-proxy-s3-exfiltration');
    await investigate([path.join(dir, 'derived_cloudtrail_records.json')], caseDir);

    const result = await scope(
      caseDir,
      '--identity',
      'MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0',
    );

    expect(result.vector.map((v) => v.verdict)).toEqual(['instance_credentials_used_outside']);
    expect(result.vector[0]?.summary).toContain('BankingWAFRole');
    expect(result.events).toBe(11);
    const actors = new Set(result.event_list.map((event) => event.actor));
    expect([...actors].every((actor) => actor?.includes('BankingWAFRole'))).toBe(true);
    expect(result.identities.map((i) => i.value).join(' ')).not.toContain('pedro');
  }, 60_000);
});

describe('scope on the compromised root scenario', () => {
  const ROOT = 'arn:aws:iam::493859302102:root';
  const OWNER = '71.253.251.71';
  const ATTACKER = '92.55.146.245';
  let caseDir: string;
  let rootScope: Promise<ScopeJson> | undefined;

  /** Runs the root identity's scope once for the tests that only read it. */
  const scopeOfRoot = () => {
    rootScope ??= scope(caseDir, '--identity', ROOT);
    return rootScope;
  };

  beforeAll(async () => {
    caseDir = path.join(await tempDir('cloudcase-scope-root-'), 'case');
    const dir = path.join(LOGS, 'panther-test-scenarios/compromised-root-creds/native');
    await investigate([dir], caseDir);
  }, 60_000);

  it('covers three log sources for the root attacker address', async () => {
    const result = await scope(caseDir, '--ip', '92.55.146.245');
    const sources = new Map(result.by_source.map((s) => [s.source, s.events]));

    expect(sources.get('aws.cloudtrail')).toBe(12);
    expect(sources.get('aws.s3access')).toBe(3);
    expect(sources.get('aws.vpcflow')).toBe(4);
    expect(result.vector.map((v) => v.verdict)).toContain('console_login_without_mfa');
    expect(result.event_list.some((e) => e.src_ip === '71.253.251.71')).toBe(false);
    expect(result.changes.map((c) => c.operation)).toEqual([
      'CreateAccessKey',
      'CreateUser',
      'AttachUserPolicy',
      'AttachUserPolicy',
      'CreateAccessKey',
      'AttachUserPolicy',
      'RunInstances',
    ]);

    const text = await runCli(['scope', '--case', caseDir, '--ip', '92.55.146.245']);
    expect(text.stdout).toContain(
      'Data read: 3 objects or secrets read in 3 reads; bytes sent not logged; ' +
        'object sizes 13,219,749 bytes (12.6 MiB)',
    );
    expect(text.stdout).toContain('Flows: 4 flow records, 2,111,390 bytes (2.0 MiB) sent');
  });

  it("leaves the owner's address out of the root identity", async () => {
    const result = await scopeOfRoot();

    expect(result.split.suspicious_sources.map((s) => s.source)).toEqual([ATTACKER]);
    expect(result.split.excluded.map((s) => s.source)).toEqual([OWNER]);
    expect(result.event_list.some((e) => e.src_ip === OWNER)).toBe(false);
    expect(result.changes.map((c) => c.operation)).not.toContain('SetContactAddress');
    expect(result.changes[0]?.operation).toBe('CreateAccessKey');
  });

  it("adds the flows of the attacker's address to the root identity", async () => {
    const result = await scopeOfRoot();
    const sources = new Map(result.by_source.map((s) => [s.source, s.events]));

    expect(sources.get('aws.vpcflow')).toBe(4);
    expect(sources.get('aws.s3access')).toBe(3);
    const text = await runCli(['scope', '--case', caseDir, '--identity', ROOT]);
    expect(text.stdout).toContain('Flows: 4 flow records, 2,111,390 bytes (2.0 MiB) sent');
    expect(text.stdout).toContain(
      'first suspicious: 2020-10-30T23:25:32.000Z ConsoleLogin (failed) from 92.55.146.245',
    );
  });

  it("keeps the attacker's instance in the created user's scope", async () => {
    const result = await scope(caseDir, '--identity', 'tracy_stone');
    const sources = new Map(result.by_source.map((s) => [s.source, s.events]));

    expect(result.split.suspicious_sources.map((s) => s.source)).toEqual([
      ATTACKER,
      '172.31.77.31',
    ]);
    expect(result.split.excluded).toEqual([]);
    expect(sources.get('aws.s3access')).toBe(3);
    expect(result.data_read_totals.reads).toBe(3);
  });

  it("bases the root verdict on the attacker's address", async () => {
    for (const flags of [[], ['--all']]) {
      const result =
        flags.length === 0
          ? await scopeOfRoot()
          : await scope(caseDir, '--identity', ROOT, ...flags);
      const [vector] = result.vector;

      expect(result.vector).toHaveLength(1);
      expect(vector?.verdict).toBe('console_login_without_mfa');
      expect(vector?.summary).toContain(`from ${ATTACKER} after 3 failed sign-ins`);
      expect(vector?.first_suspicious.source).toBe(ATTACKER);
      expect(vector?.first_suspicious.time).toBe('2020-10-30T23:25:32.000Z');
      expect(vector?.first_suspicious.status).toBe('failure');
      expect(vector?.summary).toContain(
        `The address ${ATTACKER} made 2 failed attempts before its first suspicious event, ` +
          'the first at 2020-10-25T10:20:22.000Z: user.session.start by tracey_stone@acme.io ' +
          'in okta.system.',
      );
    }
  });

  it("writes no owner's change into the report", async () => {
    const report = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
    const section = report.slice(report.indexOf('## Attack vector and chain'));
    const attack = section.slice(0, section.indexOf('\n## ', 5));

    expect(attack).toContain(`without MFA from ${ATTACKER}`);
    expect(attack).toContain(
      `The activity from its usual sources, ${OWNER} (4 events), is left out of the scope.`,
    );
    expect(attack.split(OWNER)).toHaveLength(2);
    expect(attack).not.toContain('SetContactAddress');
    expect(attack).toContain(`ConsoleLogin (failed) from ${ATTACKER}`);
    expect(attack).toContain('network flows of its addresses: 4 flow records');
  });
});
