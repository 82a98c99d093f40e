import type { DuckDBConnection } from '@duckdb/node-api';
import { describe, expect, test } from 'vitest';
import { onEvents } from '../../analyze/test-case.ts';
import { testEvent } from '../../store/test-events.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { SqlScan } from './scan.ts';

const RULES = `title: Logging stopped with a long parameter
id: 5d1e7a20-0000-4000-8000-000000000001
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    requestParameters.blob|endswith: yz
    eventName: StopLogging
  condition: selection
level: low
---
title: Bucket among the resources
id: 5d1e7a20-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    resources.ARN: 'arn:aws:s3:::b1'
  condition: selection
level: low
---
title: Marker anywhere
id: 5d1e7a20-0000-4000-8000-000000000003
logsource: { product: aws, service: cloudtrail }
detection:
  keywords:
    - MARKER3
  condition: keywords
level: low
`;

// Records of 9 KB: a vector of 2,048 rows has 18 MB of them, more than a scalar-shape scan
// reads at once, so the scans read them in ranges of row ids. Every record has an array on
// the path of the second rule, so every event also goes to the list-shape scan.
const EVENTS = 2_100;
const BLOB = 'x'.repeat(9 * 1024);

/** A statement some scan ran, and whether filter pushdown was on while it ran. */
interface Statement {
  sql: string;
  pushdown: boolean;
}

/** Records the statements run on `connection` from now on. */
function recordStatements(connection: DuckDBConnection): Statement[] {
  const statements: Statement[] = [];
  let pushdown = true;
  const seen = (sql: string) => {
    const setting = /^SET disabled_optimizers = '(.*)'$/.exec(sql.trim());
    if (setting) pushdown = !(setting[1] ?? '').includes('filter_pushdown');
    statements.push({ sql, pushdown });
  };
  const run = connection.run.bind(connection);
  const runAndReadAll = connection.runAndReadAll.bind(connection);
  connection.run = ((sql: string) => {
    seen(sql);
    return run(sql);
  }) as typeof connection.run;
  connection.runAndReadAll = ((sql: string) => {
    seen(sql);
    return runAndReadAll(sql);
  }) as typeof connection.runAndReadAll;
  return statements;
}

function events() {
  return Array.from({ length: EVENTS }, (_, record) => {
    const raw = {
      eventName: record % 2 === 0 ? 'StopLogging' : 'StartLogging',
      requestParameters: { blob: record % 3 === 0 ? `${BLOB}yz` : BLOB },
      resources: [{ ARN: `arn:aws:s3:::b${record % 4}` }, { ARN: 'arn:aws:s3:::other' }],
      additionalEventData: { tail: `MARKER${record % 5}` },
    };
    return testEvent(record, { raw });
  });
}

async function scan(): Promise<{ statements: Statement[]; matches: Map<string, number> }> {
  const matches = new Map<string, number>();
  let statements: Statement[] = [];
  await onEvents(events(), (connection) => {
    statements = recordStatements(connection);
    return new SqlScan(detectionRules(RULES)).each(connection, {
      onMatch: (match) => {
        for (const id of match.ruleIds) matches.set(id, (matches.get(id) ?? 0) + 1);
      },
    });
  });
  return { statements, matches };
}

/** Returns the SQL of the statements that decide rules, one per scan and range. */
function scans(statements: Statement[]): string[] {
  return statements
    .map((statement) => statement.sql)
    .filter((sql) => sql.startsWith('CREATE OR REPLACE TEMP TABLE sigma_scan AS'));
}

describe('SqlScan statements', () => {
  test('read row ranges with filter pushdown', async () => {
    const { statements, matches } = await scan();
    const ranged = statements.filter((statement) => statement.sql.includes('rowid BETWEEN'));

    // Without filter pushdown, a filter on row ids reads every row of the table.
    expect(ranged.length).toBeGreaterThan(2);
    expect(ranged.filter((statement) => !statement.pushdown).map((s) => s.sql)).toEqual([]);
    expect(matches.get('5d1e7a20-0000-4000-8000-000000000001')).toBe(EVENTS / 6);
    expect(matches.get('5d1e7a20-0000-4000-8000-000000000002')).toBe(EVENTS / 4);
    expect(matches.get('5d1e7a20-0000-4000-8000-000000000003')).toBe(EVENTS / 5);
  }, 60_000);

  test('list scan computes fields where rules need them', async () => {
    const { statements } = await scan();
    const list = scans(statements).filter((sql) => sql.includes('_needed'));

    expect(list.length).toBeGreaterThan(0);
    for (const sql of list) {
      const cases = sql.slice(sql.indexOf('list_filter(['), sql.indexOf('AS rule_ids'));
      const columns = sql.match(/ AS l\d+_[a-z]+\b/g) ?? [];
      const needed = sql.match(/CASE WHEN n\d+_needed THEN /g) ?? [];
      // The guards read the shape columns, which one JSON call gives for all fields.
      expect(cases).not.toMatch(/json_/);
      expect(sql.match(/json_type\(/g)).toHaveLength(1);
      expect(needed).toHaveLength(columns.length);
    }
  }, 60_000);

  test('list scan reads ranges of its budget', async () => {
    const { statements } = await scan();
    const list = scans(statements).filter((sql) => sql.includes('_needed'));

    // The 19 MB of records, in ranges of 128 MB divided by the list scan's memory cost.
    expect(list).toHaveLength(7);
  }, 60_000);
});
