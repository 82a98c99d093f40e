/**
 * Differential test of the two Sigma backends: every loadable rule of the SigmaHQ cloud rules
 * and of the built-in pack, run over every event of the real public logs (CloudTrail, Azure,
 * GCP, M365, Okta, GitHub, Kubernetes, Linux hosts), must match the same events in memory and in
 * DuckDB. Panther's rule test events add the sources the other folders lack. Rules also run
 * routed to the CloudTrail events whatever their logsource, to exercise more of the language.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHARED_DATA, tempDir } from '../../../test/support/cli.ts';
import { Logger } from '../../core/logger.ts';
import { BUILTIN_RULES, runInvestigate } from '../../pipeline/investigate.ts';
import { CaseDb } from '../../store/case-db.ts';
import { loadRules } from '../sigma/load.ts';
import { LOGSOURCE_ROUTES, type LogSourceRoute } from '../sigma/logsource.ts';
import type { DetectionRule, SearchNode } from '../sigma/model.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import { SqlScan } from './scan.ts';

// Every folder of the public logs but Panther's rule tests, whose records are wrapped.
const LOG_FOLDERS = [
  'otrf-aws-ec2-proxy-s3-exfiltration',
  'otrf-aws-s3-honeybucket',
  'otrf-goldensaml-adfs-mail-access',
  'panther-test-scenarios',
  'plaso-cloud-test-data',
  'elastic-integrations-pipeline-samples',
  'loghub-openssh-linux',
].map((folder) => path.join(SHARED_DATA, 'logs', folder));

// Panther's rule test events of the routed sources, unwrapped from their test cases.
const PANTHER_LOG_TYPES = [
  'Amazon.EKS.Audit',
  'Azure.Audit',
  'Azure.MonitorActivity',
  'GCP.AuditLog',
  'GitHub.Audit',
  'Microsoft365.Audit.AzureActiveDirectory',
  'Microsoft365.Audit.Exchange',
  'Microsoft365.Audit.SharePoint',
  'Okta.SystemLog',
];

/** Writes the `log` of every Panther test case of the log types, one JSON file per type. */
async function unwrapPantherTests(dir: string): Promise<string> {
  const tests = path.join(SHARED_DATA, 'logs/panther-analysis-rule-tests/tests_by_logtype');
  const out = path.join(dir, 'panther');
  await mkdir(out);
  for (const logType of PANTHER_LOG_TYPES) {
    const lines = (await readFile(path.join(tests, `${logType}.jsonl`), 'utf8')).split('\n');
    const logs = lines
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.stringify((JSON.parse(line) as { log: unknown }).log));
    await writeFile(path.join(out, `${logType}.json`), `${logs.join('\n')}\n`);
  }
  return out;
}

let db: CaseDb;
let rules: DetectionRule[];

beforeAll(async () => {
  const dir = await tempDir();
  const caseDir = path.join(dir, 'case');
  await runInvestigate({
    paths: [...LOG_FOLDERS, await unwrapPantherTests(dir)],
    caseDir,
    noBuiltinRules: true,
    logger: new Logger(new PassThrough(), 'error'),
  });
  db = await CaseDb.open(caseDir);
  const loaded = await loadRules([path.join(SHARED_DATA, 'sigma/rules-cloud'), BUILTIN_RULES]);
  const seen = new Set<string>();
  rules = loaded.rules.filter((rule): rule is DetectionRule => {
    if (rule.kind !== 'detection' || seen.has(rule.id)) return false;
    seen.add(rule.id);
    return true;
  });
}, 120_000);

afterAll(async () => {
  await db.close();
});

/** Placeholder values for `expand` rules, so they compile in both backends. */
function placeholders(list: DetectionRule[]): Record<string, string[]> {
  const names = new Set<string>();
  const visit = (node: SearchNode): void => {
    if (node.kind !== 'field') {
      for (const child of node.children) visit(child);
      return;
    }
    for (const value of node.values)
      if (value.test.kind === 'placeholder') names.add(value.test.name);
  };
  for (const rule of list) Object.values(rule.searches).forEach(visit);
  return Object.fromEntries([...names].map((name) => [name, ['root', '*admin*', 'Console?ogin']]));
}

/** Routes every logsource of the rules to the CloudTrail events. */
function routeAllToCloudTrail(list: DetectionRule[]): LogSourceRoute[] {
  const lower = (value: string | null) => value?.toLowerCase() ?? null;
  const keys = new Map<string, LogSourceRoute>();
  for (const { logsource } of list) {
    const route = {
      product: lower(logsource.product),
      service: lower(logsource.service),
      category: lower(logsource.category),
      source: 'aws.cloudtrail',
    };
    keys.set(JSON.stringify(route), route);
  }
  return [...keys.values()];
}

async function inMemoryMatches(list: DetectionRule[], routes: readonly LogSourceRoute[]) {
  const set = new RuleSet(list, { routes, placeholders: placeholders(list) });
  const found = new Set<string>();
  for await (const event of db.timeline()) {
    for (const match of set.match(event)) found.add(`${match.rule_id} ${match.event_uid}`);
  }
  const compiled = new Set(set.meta().map((meta) => meta.id));
  return { found, compiled };
}

async function sqlMatches(list: DetectionRule[], routes: readonly LogSourceRoute[]) {
  const scan = new SqlScan(list, { routes, placeholders: placeholders(list) });
  const found = new Set<string>();
  const connection = await db.connect();
  try {
    for (const match of await scan.run(connection)) {
      for (const id of match.ruleIds) found.add(`${id} ${match.uid}`);
    }
  } finally {
    connection.closeSync();
  }
  return { found, scan };
}

async function compare(list: DetectionRule[], routes: readonly LogSourceRoute[]) {
  const memory = await inMemoryMatches(list, routes);
  const sql = await sqlMatches(list, routes);
  const sqlIds = new Set(sql.scan.rules.map((rule) => rule.rule.id));
  // Only rules both backends compiled are compared; refusals are checked separately.
  const both = (key: string) =>
    sqlIds.has(key.split(' ')[0]!) && memory.compiled.has(key.split(' ')[0]!);
  return {
    memory: [...memory.found].filter(both).sort(),
    sql: [...sql.found].filter(both).sort(),
    refused: sql.scan.problems.filter((problem) => memory.compiled.has(problem.rule.id)),
    compiled: sqlIds.size,
  };
}

describe('SQL and in-memory backends agree', () => {
  // About 25 s on an idle two-core machine; the bound leaves room for a loaded one.
  test('routed rules over every source', { timeout: 300_000 }, async () => {
    const result = await compare(rules, LOGSOURCE_ROUTES);
    expect(result.refused.map((problem) => `${problem.rule.file} ${problem.code}`)).toEqual([]);
    expect(result.compiled).toBeGreaterThan(100);
    expect(result.sql).toEqual(result.memory);

    const bySource = new Map(rules.map((rule) => [rule.id, sourceOf(rule)]));
    const matched = new Set(result.memory.map((key) => bySource.get(key.split(' ')[0]!)));
    for (const source of ['aws.cloudtrail', 'gcp.audit', 'okta.system', 'github.audit']) {
      expect(matched).toContain(source);
    }
    const stored = await storedSources();
    for (const source of ROUTED_SOURCES) expect(stored).toContain(source);
  });

  test('every rule over CloudTrail events ignoring logsource', { timeout: 300_000 }, async () => {
    const result = await compare(rules, routeAllToCloudTrail(rules));
    expect(result.refused.map((problem) => `${problem.rule.file} ${problem.code}`)).toEqual([]);
    expect(result.compiled).toBeGreaterThan(300);
    expect(result.sql).toEqual(result.memory);
  });
});

// Routed sources the stored logs must hold events of, so every route is compared on events.
const ROUTED_SOURCES = [
  'aws.cloudtrail',
  'azure.activity',
  'azure.audit',
  'azure.signin',
  'gcp.audit',
  'm365.audit',
  'okta.system',
  'github.audit',
  'k8s.audit',
  'host.syslog',
  'host.auditd',
];

async function storedSources(): Promise<string[]> {
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll('SELECT DISTINCT source FROM events');
    return reader.getRowObjectsJS().map((row) => String(row.source));
  } finally {
    connection.closeSync();
  }
}

function sourceOf(rule: DetectionRule): string | undefined {
  const lower = (value: string | null) => value?.toLowerCase() ?? null;
  const route = LOGSOURCE_ROUTES.find(
    (entry) =>
      entry.product === lower(rule.logsource.product) &&
      entry.service === lower(rule.logsource.service) &&
      entry.category === lower(rule.logsource.category),
  );
  return route?.source;
}
