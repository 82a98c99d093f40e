/**
 * Differential test of the two Sigma backends: every loadable rule of the SigmaHQ cloud rules
 * and of the built-in pack, run over every CloudTrail event of the real public logs, must match
 * the same events in memory and in DuckDB. Rules for other log sources run too, routed to the
 * CloudTrail events, to exercise more of the language.
 */
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHARED_DATA, tempDir } from '../../../test/support/cli.ts';
import { Logger } from '../../core/logger.ts';
import { BUILTIN_RULES, runInvestigate } from '../../pipeline/investigate.ts';
import { CaseDb } from '../../store/case-db.ts';
import { loadRules } from '../sigma/load.ts';
import type { LogSourceRoute } from '../sigma/logsource.ts';
import type { DetectionRule, SearchNode } from '../sigma/model.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import { SqlScan } from './scan.ts';

// The folders of the public logs that hold CloudTrail records; the others hold none.
const LOG_FOLDERS = [
  'otrf-aws-ec2-proxy-s3-exfiltration',
  'panther-test-scenarios',
  'plaso-cloud-test-data',
  'elastic-integrations-pipeline-samples',
].map((folder) => path.join(SHARED_DATA, 'logs', folder));

let db: CaseDb;
let rules: DetectionRule[];

beforeAll(async () => {
  const caseDir = path.join(await tempDir(), 'case');
  await runInvestigate({
    paths: LOG_FOLDERS,
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

async function inMemoryMatches(list: DetectionRule[], routes: LogSourceRoute[]) {
  const set = new RuleSet(list, { routes, placeholders: placeholders(list) });
  const found = new Set<string>();
  for await (const event of db.timeline()) {
    for (const match of set.match(event)) found.add(`${match.rule_id} ${match.event_uid}`);
  }
  const compiled = new Set(set.meta().map((meta) => meta.id));
  return { found, compiled };
}

async function sqlMatches(list: DetectionRule[], routes: LogSourceRoute[]) {
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

async function compare(list: DetectionRule[], routes: LogSourceRoute[]) {
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
  test('routed rules over CloudTrail events', async () => {
    const result = await compare(rules, routeAllToCloudTrail(rules.filter(isCloudTrail)));
    expect(result.refused.map((problem) => problem.code)).toEqual([]);
    expect(result.compiled).toBeGreaterThan(40);
    expect(result.memory.length).toBeGreaterThan(0);
    expect(result.sql).toEqual(result.memory);
  });

  test('every rule over CloudTrail events ignoring logsource', async () => {
    const result = await compare(rules, routeAllToCloudTrail(rules));
    expect(result.refused.map((problem) => `${problem.rule.file} ${problem.code}`)).toEqual([]);
    expect(result.compiled).toBeGreaterThan(300);
    expect(result.sql).toEqual(result.memory);
  });
});

function isCloudTrail(rule: DetectionRule): boolean {
  return rule.logsource.product?.toLowerCase() === 'aws';
}
