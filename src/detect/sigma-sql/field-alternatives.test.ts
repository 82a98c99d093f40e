import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LogSourceRoute } from '../sigma/logsource.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import { cloudtrailEvent, cloudtrailRule } from '../sigma/test-events.ts';
import { duckdb } from './duckdb.ts';
import { SqlScan } from './scan.ts';

// Every field may also sit under `alt.`, as in a second export shape.
const ROUTES: LogSourceRoute[] = [
  {
    product: 'aws',
    service: 'cloudtrail',
    category: null,
    source: 'aws.cloudtrail',
    fieldAlternatives: (field) => [field, `alt.${field}`],
  },
];

const sel = (body: string) => `selection:\n${body}\ncondition: selection`;

const CASES: { name: string; detection: string; record: object; expected: boolean }[] = [
  { name: 'own name', detection: sel('  a: x'), record: { a: 'x' }, expected: true },
  {
    name: 'alternative name',
    detection: sel('  a: x'),
    record: { alt: { a: 'x' } },
    expected: true,
  },
  { name: 'neither name', detection: sel('  a: x'), record: { b: 'x' }, expected: false },
  { name: 'null when both missing', detection: sel('  a: null'), record: {}, expected: true },
  {
    name: 'null fails on alternative',
    detection: sel('  a: null'),
    record: { alt: { a: 1 } },
    expected: false,
  },
  {
    name: 'exists false needs both missing',
    detection: sel('  a|exists: false'),
    record: { alt: { a: 'x' } },
    expected: false,
  },
  {
    name: 'exists true on alternative',
    detection: sel('  a|exists: true'),
    record: { alt: { a: 'x' } },
    expected: true,
  },
  {
    name: 'value or null, missing',
    detection: sel('  a:\n    - x\n    - null'),
    record: {},
    expected: true,
  },
  {
    name: 'value or null, other value',
    detection: sel('  a:\n    - x\n    - null'),
    record: { alt: { a: 'y' } },
    expected: false,
  },
  {
    name: 'negated search over both',
    detection: 'selection:\n  a: x\ncondition: not selection',
    record: { alt: { a: 'x' } },
    expected: false,
  },
  {
    name: 'all modifier on one name',
    detection: sel('  a|contains|all:\n    - foo\n    - bar'),
    record: { a: 'foo', alt: { a: 'bar' } },
    expected: false,
  },
];

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(
    `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
      evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT)`,
  );
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

describe('field alternatives in both backends', () => {
  test.each(CASES)('$name', async ({ detection, record, expected }) => {
    const rule = parseRuleText(cloudtrailRule(detection), 'case.yml').rules[0] as DetectionRule;
    const event = cloudtrailEvent(record as Record<string, unknown>);
    expect(new RuleSet([rule], { routes: ROUTES }).match(event).length === 1).toBe(expected);

    await connection.run('DELETE FROM events');
    await connection.run(
      `INSERT INTO events VALUES ('e0', TIMESTAMP '2024-05-01 10:00:00', 'aws.cloudtrail', $raw,
        'h', NULL, 0)`,
      { raw: JSON.stringify(record) },
    );
    const scan = new SqlScan([rule], { routes: ROUTES, dialect: duckdb });
    expect(scan.problems).toEqual([]);
    expect((await scan.run(connection)).length === 1).toBe(expected);
  });
});

// Exchange admin records write `ResultStatus` as `True` or `False`, other workloads as
// `Succeeded` or `Failed`; SigmaHQ's m365 rules test `status: success`.
const M365_STATUS_CASES: { status: string; value: string; expected: boolean }[] = [
  { status: 'success', value: 'True', expected: true },
  { status: 'success', value: 'Succeeded', expected: true },
  { status: 'success', value: 'False', expected: false },
  { status: 'failure', value: 'False', expected: true },
  { status: 'failure', value: 'Failed', expected: true },
  { status: 'failure', value: 'True', expected: false },
];

describe('m365 status values in both backends', () => {
  test.each(M365_STATUS_CASES)('$status on $value', async ({ status, value, expected }) => {
    const text = [
      'title: status case',
      'logsource:',
      '  product: m365',
      '  service: exchange',
      'detection:',
      '  selection:',
      '    eventName: Set-Mailbox',
      `    status: ${status}`,
      '  condition: selection',
    ].join('\n');
    const rule = parseRuleText(text, 'case.yml').rules[0] as DetectionRule;
    const record = { Operation: 'Set-Mailbox', Workload: 'Exchange', ResultStatus: value };
    const event = { ...cloudtrailEvent(record), source: 'm365.audit' };
    expect(new RuleSet([rule]).match(event).length === 1).toBe(expected);

    await connection.run('DELETE FROM events');
    await connection.run(
      `INSERT INTO events VALUES ('e0', TIMESTAMP '2024-05-01 10:00:00', 'm365.audit', $raw,
        'h', NULL, 0)`,
      { raw: JSON.stringify(record) },
    );
    const scan = new SqlScan([rule], { dialect: duckdb });
    expect(scan.problems).toEqual([]);
    expect((await scan.run(connection)).length === 1).toBe(expected);
  });
});
