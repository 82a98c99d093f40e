import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MATCH_CASES } from '../sigma/conformance-cases.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { cloudtrailRule } from '../sigma/test-events.ts';
import { duckdb } from './duckdb.ts';
import { compileRuleSql } from './scan.ts';

/** Cases the SQL backend refuses to compile, with the refusal code it must give. */
const REFUSED: Record<string, string> = {
  'cidr ipv6 inside': 'unsupported_cidr',
  'cidr ipv6 outside': 'unsupported_cidr',
};

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  for (const statement of duckdb.prelude()) await connection.run(statement);
  await connection.run(
    'CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR)',
  );
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

async function matches(sql: string, record: Record<string, unknown>): Promise<boolean> {
  await connection.run('DELETE FROM events');
  await connection.run(
    `INSERT INTO events VALUES ('e0', TIMESTAMP '2024-05-01 10:00:00', 'aws.cloudtrail', $raw)`,
    { raw: JSON.stringify(record) },
  );
  const reader = await connection.runAndReadAll(`SELECT ${sql} AS hit FROM events`);
  return reader.getRowObjectsJS()[0]?.hit === true;
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
  });
});
