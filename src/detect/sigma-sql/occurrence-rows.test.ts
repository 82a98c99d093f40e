import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CorrelationEngine } from '../sigma/correlation-engine.ts';
import type { SigmaRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { duckdb } from './duckdb.ts';
import { type HuntSink, huntRules } from './hunt-rules.ts';
import { occurrenceRowGroup, occurrenceRowsSql } from './occurrence-rows.ts';
import { matchEvent } from './scan.ts';

const RULES = `title: Object read
id: 7c1d0e2a-0000-4000-8000-000000000001
name: object_read
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: GetObject }
  condition: selection
level: low
---
title: Many objects read
id: 7c1d0e2a-0000-4000-8000-000000000002
correlation:
  type: value_count
  rules: [object_read]
  group-by: [userIdentity.arn, sourceIPAddress]
  timespan: 1h
  condition: { field: requestParameters.key, gte: 2 }
level: medium
---
title: Reads by one deep field
id: 7c1d0e2a-0000-4000-8000-000000000003
correlation:
  type: event_count
  rules: [object_read]
  group-by: [requestParameters.tags.owner]
  timespan: 1h
  condition: { gte: 2 }
level: medium
`;

const LONG = 'k'.repeat(70_000);

// Records in the shapes the SQL lines cover and in those that fall back to the engine.
const RECORDS: { record: unknown; exact: boolean }[] = [
  { record: { userIdentity: { arn: 'arn:a' }, sourceIPAddress: '198.51.100.1' }, exact: true },
  {
    record: {
      userIdentity: { arn: 'arn:a' },
      sourceIPAddress: '198.51.100.1',
      requestParameters: { key: 'a/b.txt', tags: { owner: 'team é 😀' } },
    },
    exact: true,
  },
  // A literal dotted key wins over the path, even when it is null.
  { record: { 'userIdentity.arn': 'arn:literal', userIdentity: { arn: 'arn:b' } }, exact: true },
  { record: { 'userIdentity.arn': null, userIdentity: { arn: 'arn:b' } }, exact: true },
  { record: { userIdentity: null, sourceIPAddress: null, requestParameters: {} }, exact: true },
  { record: { userIdentity: 'not an object', requestParameters: { key: null } }, exact: true },
  { record: { userIdentity: { arn: 'arn:a' }, requestParameters: [] }, exact: true },
  // Shapes whose texts the engine computes.
  { record: { userIdentity: [{ arn: 'arn:one' }, { arn: 'arn:two' }] }, exact: false },
  { record: { userIdentity: { arn: ['arn:x', 'arn:y'] } }, exact: false },
  { record: { userIdentity: { arn: 7 }, sourceIPAddress: true }, exact: false },
  { record: { userIdentity: { arn: { nested: 1 } } }, exact: false },
  { record: { userIdentity: { arn: 'quote " and \\ slash' } }, exact: false },
  { record: { userIdentity: { arn: 'line\nbreak' } }, exact: false },
  { record: { requestParameters: { key: LONG } }, exact: false },
  { record: { requestParameters: { tags: [{ owner: 'x' }] } }, exact: false },
  { record: { userIdentity: { 0: 'key zero', arn: 'arn:a' } }, exact: false },
  { record: [{ userIdentity: { arn: 'arn:in-array' } }], exact: false },
];

const BASE_ID = '7c1d0e2a-0000-4000-8000-000000000001';
const TIME = '2024-05-01T10:00:00.000Z';

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;
let rules: SigmaRule[];

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  rules = parseRuleText(RULES, 'rules.yml').rules;
  await connection.run(
    `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
      evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT)`,
  );
  for (const [index, { record }] of RECORDS.entries()) {
    const raw = JSON.stringify(
      Array.isArray(record) ? record : { eventName: 'GetObject', ...(record as object) },
    );
    await connection.run(
      `INSERT INTO events VALUES ($uid, CAST($time AS TIMESTAMP) + to_seconds($index), 'aws.cloudtrail',
        $raw, 'hash', NULL, $index)`,
      { uid: `e${index}`, time: TIME, raw, index },
    );
  }
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

interface OccurrenceRow {
  correlation: number;
  rule: number;
  group_key: string;
  value_texts: string | null;
}

// The engine's occurrences of the base rule for one record, in the shape of the SQL rows.
function engineOccurrences(record: unknown, uid: string, time: string): OccurrenceRow[] {
  const occurrences: OccurrenceRow[] = [];
  const resolve = (reference: string) =>
    rules.find((rule) => rule.id === reference || rule.name === reference);
  const correlations = rules.filter((rule) => rule.kind === 'correlation');
  const engine = new CorrelationEngine(correlations, resolve, {
    add: (correlation, group, _time, _uids, rule, values) =>
      occurrences.push({
        correlation,
        rule,
        group_key: group,
        value_texts: values.length === 0 ? null : JSON.stringify(values),
      }),
  });
  const match = {
    uid,
    time,
    source: 'aws.cloudtrail',
    ruleIds: [BASE_ID],
    raw: record as Record<string, unknown>,
    explanations: {},
    rank: null,
  };
  engine.add(BASE_ID, matchEvent(match));
  return occurrences;
}

describe('occurrenceRowsSql', () => {
  test('computes the occurrences the engine adds', async () => {
    const correlations = rules.filter((rule) => rule.kind === 'correlation');
    const engine = new CorrelationEngine(correlations, () => rules[0]);
    const sql = occurrenceRowsSql(duckdb, [{ id: BASE_ID, feeds: engine.feedFields(BASE_ID) }]);
    let select = `SELECT uid, time, raw AS event_raw, [${duckdb.stringLiteral(BASE_ID)}] AS rule_ids,
      evidence_record FROM events`;
    for (const layer of sql.layers) select = `SELECT *, ${layer} FROM (${select})`;
    const reader = await connection.runAndReadAll(
      `SELECT uid, epoch_ms(time) AS ms, event_raw, ${sql.exact} AS exact,
         to_json(${sql.occurrences})::VARCHAR AS occurrences
       FROM (${select}) ORDER BY evidence_record`,
    );
    const rows = reader.getRowObjectsJS();

    expect(rows).toHaveLength(RECORDS.length);
    for (const [index, row] of rows.entries()) {
      expect({ index, exact: row.exact }).toEqual({ index, exact: RECORDS[index]?.exact });
      if (row.exact !== true) continue;
      const time = new Date(Number(row.ms)).toISOString();
      const expected = engineOccurrences(JSON.parse(String(row.event_raw)), String(row.uid), time);
      expect(JSON.parse(String(row.occurrences))).toEqual(expected);
    }
  });

  // DuckDB reads the first of two equal keys, and JSON.parse, whose record the engine reads,
  // takes the last. An escaped key names the same member as its plain spelling.
  test.each([
    [
      'top-level key',
      '{"eventName":"GetObject","sourceIPAddress":"198.51.100.1",' +
        '"userIdentity":{"arn":"arn:a"},"sourceIPAddress":"10.0.0.9"}',
    ],
    [
      'object on the path',
      '{"eventName":"GetObject","userIdentity":{"arn":"arn:a"},' +
        '"userIdentity":{"arn":"arn:b"}}',
    ],
    ['key in an object', '{"eventName":"GetObject","userIdentity":{"arn":"arn:a","arn":"arn:b"}}'],
    [
      'key in escaped spelling',
      '{"eventName":"GetObject","sourceIPAddress":"198.51.100.1",' +
        '"source\\u0049PAddress":"10.0.0.9"}',
    ],
  ])('reads a repeated %s as the engine does', async (_, raw) => {
    const correlations = rules.filter((rule) => rule.kind === 'correlation');
    const engine = new CorrelationEngine(correlations, () => rules[0]);
    const sql = occurrenceRowsSql(duckdb, [{ id: BASE_ID, feeds: engine.feedFields(BASE_ID) }]);
    let select = `SELECT 'd0' AS uid, TIMESTAMP '2024-05-01 10:00:00' AS time,
      ${duckdb.stringLiteral(raw)} AS event_raw, [${duckdb.stringLiteral(BASE_ID)}] AS rule_ids`;
    for (const layer of sql.layers) select = `SELECT *, ${layer} FROM (${select})`;
    const reader = await connection.runAndReadAll(
      `SELECT ${sql.exact} AS exact, to_json(${sql.occurrences})::VARCHAR AS occurrences
       FROM (${select})`,
    );
    const row = reader.getRowObjectsJS()[0];
    const expected = engineOccurrences(JSON.parse(raw), 'd0', TIME);

    // An event the SQL calls exact must get the engine's occurrences. The others go to the engine.
    const actual = row?.exact === true ? JSON.parse(String(row.occurrences)) : expected;
    expect(actual).toEqual(expected);
  });

  test('gives a sinked hunt the hits of an unsinked one', async () => {
    const sink: HuntSink = { explained: 0, onMatchTable: async () => {} };
    const sinked = await huntRules(connection, rules, {}, sink);
    const whole = await huntRules(connection, rules);

    expect(sinked.hits.length).toBeGreaterThan(0);
    expect(sinked.hits).toEqual(whole.hits);
  });
});

describe('occurrenceRowGroup', () => {
  // A Parquet row group of 122,880 occurrences whose uids carried a 1,500-byte zip member name
  // needed one buffer of 117 MiB, which the case's 256 MB could not give.
  test('keeps a row group of long uids to about 16 MiB', () => {
    const budget = 16 * 1024 * 1024;

    expect(occurrenceRowGroup(1_500) * (1_500 + 512)).toBeLessThanOrEqual(budget);
    expect(occurrenceRowGroup(30)).toBeGreaterThan(30_000);
    expect(occurrenceRowGroup(70_000)).toBe(1_024);
  });
});
