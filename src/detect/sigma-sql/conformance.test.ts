import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseJsonLossless } from '../../sources/json-numbers.ts';
import { CORRELATION_CASES, MATCH_CASES } from '../sigma/conformance-cases.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import { cloudtrailEvent, cloudtrailRule } from '../sigma/test-events.ts';
import { duckdb } from './duckdb.ts';
import { huntRules } from './hunt-rules.ts';
import { RAW_TEXT_CASES } from './raw-text-cases.ts';
import { compileRuleSql, SqlScan } from './scan.ts';

/** Cases the SQL backend refuses to compile, with the refusal code it must give. */
const REFUSED: Record<string, string> = {};

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  for (const statement of duckdb.prelude()) await connection.run(statement);
  await connection.run(
    `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
      evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT)`,
  );
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

async function matches(sql: string, record: Record<string, unknown> | string): Promise<boolean> {
  await connection.run('DELETE FROM events');
  await connection.run(
    `INSERT INTO events VALUES ('e0', TIMESTAMP '2024-05-01 10:00:00', 'aws.cloudtrail', $raw,
      'hash', NULL, 0)`,
    { raw: typeof record === 'string' ? record : JSON.stringify(record) },
  );
  const reader = await connection.runAndReadAll(`SELECT ${sql} AS hit FROM events`);
  return reader.getRowObjectsJS()[0]?.hit === true;
}

/** Whether the shared scan (scalar shape where it applies) matches the stored event. */
async function scanMatches(rule: DetectionRule): Promise<boolean> {
  const found = await new SqlScan([rule]).run(connection);
  return found.length === 1;
}

describe('DuckDB backend conformance', () => {
  test.each(MATCH_CASES)('$name', async ({ name, detection, record, expected }) => {
    const parsed = parseRuleText(cloudtrailRule(detection), 'case.yml');
    expect(parsed.rules).toHaveLength(1);
    const compiled = compileRuleSql(parsed.rules[0] as DetectionRule);

    const refusal = REFUSED[name];
    if (refusal !== undefined) {
      expect(compiled).toMatchObject({ code: refusal });
      return;
    }
    if ('code' in compiled) throw new Error(`refused: ${compiled.code} ${compiled.message}`);
    expect(await matches(compiled.sql, record)).toBe(expected);
    expect(await scanMatches(parsed.rules[0] as DetectionRule)).toBe(expected);
  });
});

describe('DuckDB backend on stored JSON text', () => {
  test.each(RAW_TEXT_CASES)('$name', async ({ detection, raw }) => {
    const parsed = parseRuleText(cloudtrailRule(detection), 'case.yml');
    const rule = parsed.rules[0] as DetectionRule;
    const compiled = compileRuleSql(rule);
    if ('code' in compiled) throw new Error(`refused: ${compiled.code} ${compiled.message}`);

    const record = parseJsonLossless(raw) as Record<string, unknown>;
    const expected = new RuleSet([rule]).match(cloudtrailEvent(record)).length === 1;
    expect(await matches(compiled.sql, raw)).toBe(expected);
    expect(await scanMatches(rule)).toBe(expected);
  });
});

describe('DuckDB correlation conformance', () => {
  test.each(CORRELATION_CASES)('$name', async ({ rules, events, expected, emitted }) => {
    const parsed = parseRuleText(rules, 'case.yml');
    await connection.run('DELETE FROM events');
    for (const [index, { time, record }] of events.entries()) {
      await connection.run(
        `INSERT INTO events VALUES ($uid, CAST($time AS TIMESTAMPTZ), 'aws.cloudtrail', $raw,
          'hash', NULL, $index)`,
        { uid: `e${index}`, time, raw: JSON.stringify(record), index },
      );
    }
    const outcome = await huntRules(connection, parsed.rules);
    expect(outcome.problems).toEqual([]);

    const titles = new Map(parsed.rules.map((rule) => [rule.id, rule.title]));
    const hits = outcome.hits.map((hit) => ({
      title: titles.get(hit.rule_id),
      events: hit.event_uids.map((uid) => Number(uid.slice(1))).sort((a, b) => a - b),
      group: hit.group,
    }));
    expect(hits).toEqual(expected);
    if (emitted === undefined) return;
    const reported = outcome.matches.map((match) => ({
      title: titles.get(match.rule_id) ?? '?',
      event: Number(match.event_uid.slice(1)),
    }));
    expect(reported).toEqual(emitted);
  });
});
