import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DetectionRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { type HuntSink, huntRules } from './hunt-rules.ts';
import { SqlScan } from './scan.ts';

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

const RULES = `title: Console login
id: 5a7e1c2d-0000-4000-8000-000000000001
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: ConsoleLogin }
  condition: selection
level: low
---
title: Bucket listed
id: 5a7e1c2d-0000-4000-8000-000000000002
name: bucket_listed
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: ListBuckets }
  condition: selection
level: low
---
title: Many bucket listings
id: 5a7e1c2d-0000-4000-8000-000000000003
correlation:
  type: event_count
  rules: [bucket_listed]
  group-by: [sourceIPAddress]
  timespan: 1h
  condition: { gte: 3 }
level: medium
`;

// Events out of time order in the table, so a scan that returned table order would show.
const EVENTS: [string, string][] = [
  ['2024-05-01 10:05:00', 'ListBuckets'],
  ['2024-05-01 10:01:00', 'ConsoleLogin'],
  ['2024-05-01 10:03:00', 'ListBuckets'],
  ['2024-05-01 10:00:00', 'ListBuckets'],
  ['2024-05-01 10:04:00', 'ConsoleLogin'],
  ['2024-05-01 10:02:00', 'ConsoleLogin'],
  ['2024-05-01 10:06:00', 'GetObject'],
];

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(
    `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
      evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT)`,
  );
  for (const [index, [time, eventName]] of EVENTS.entries()) {
    const raw = JSON.stringify({ eventName, sourceIPAddress: '203.0.113.7' });
    await connection.run(
      `INSERT INTO events VALUES ($uid, CAST($time AS TIMESTAMP), 'aws.cloudtrail', $raw,
        'hash', NULL, $index)`,
      { uid: `e${index}`, time, raw, index },
    );
  }
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

interface SinkRow {
  rule_id: string;
  event_uid: string;
  explanation: string | null;
}

// A sink that reads every row of the match relation while it exists.
function collectingSink(rows: SinkRow[], explained: number): HuntSink {
  return {
    explained,
    onMatchTable: async (relation) => {
      const reader = await connection.runAndReadAll(
        `SELECT rule_id, event_uid, CAST(explanation AS VARCHAR) AS explanation FROM ${relation}`,
      );
      rows.push(...(reader.getRowObjectsJS() as unknown as SinkRow[]));
    },
  };
}

describe('huntRules with a sink', () => {
  test('delivers matches as one relation', async () => {
    const rules = parseRuleText(RULES, 'rules.yml').rules;
    const rows: SinkRow[] = [];
    const sink = collectingSink(rows, Number.POSITIVE_INFINITY);
    const outcome = await huntRules(connection, rules, {}, sink);

    expect(outcome.matches).toEqual([]);
    expect(rows.map((row) => row.event_uid).sort()).toEqual(['e1', 'e4', 'e5']);
    expect(rows.every((row) => row.explanation !== null)).toBe(true);
  });

  test('explains only the earliest matches', async () => {
    const rules = parseRuleText(RULES, 'rules.yml').rules;
    const rows: SinkRow[] = [];
    await huntRules(connection, rules, {}, collectingSink(rows, 1));

    const explained = rows.filter((row) => row.explanation !== null);
    expect(explained.map((row) => row.event_uid)).toEqual(['e1']);
    const reasons = JSON.parse(explained[0]?.explanation ?? '{}').reasons;
    expect(reasons[0]).toMatchObject({ field: 'eventName', value: 'ConsoleLogin' });
  });

  test('stores what the unsinked hunt returns', async () => {
    const rules = parseRuleText(RULES, 'rules.yml').rules;
    const whole = await huntRules(connection, rules);
    const rows: SinkRow[] = [];
    const outcome = await huntRules(connection, rules, {}, collectingSink(rows, 20));

    const key = (match: { rule_id: string; event_uid: string }) =>
      `${match.rule_id} ${match.event_uid}`;
    expect(rows.map(key).sort()).toEqual(whole.matches.map(key).sort());
    const explanations = new Map(whole.matches.map((m) => [key(m), m.explanation]));
    for (const row of rows) {
      expect(JSON.parse(row.explanation ?? 'null')).toEqual(explanations.get(key(row)));
    }
    expect(outcome.hits).toEqual(whole.hits);
  });

  test('feeds correlations in timeline order', async () => {
    const rules = parseRuleText(RULES, 'rules.yml').rules;
    const outcome = await huntRules(connection, rules, {}, collectingSink([], 20));

    expect(outcome.hits).toHaveLength(1);
    expect(outcome.hits[0]?.event_uids).toEqual(['e3', 'e2', 'e0']);
  });

  test('feeds events that several scans matched', async () => {
    // A rule without a literal requirement runs in the scan of every event, apart from the
    // prefiltered scan of `bucket_listed`, so the listings are matched by two scans.
    const everyEvent = `---
title: Any call from the address
id: 5a7e1c2d-0000-4000-8000-000000000004
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { sourceIPAddress|contains: '203.0.113' }
  condition: selection
level: low
`;
    const rules = parseRuleText(`${RULES}${everyEvent}`, 'rules.yml').rules;
    const rows: SinkRow[] = [];
    const outcome = await huntRules(connection, rules, {}, collectingSink(rows, 20));
    const whole = await huntRules(connection, rules);

    const listed = rows.filter((row) => row.rule_id.endsWith('04')).map((row) => row.event_uid);
    expect(listed.sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(outcome.hits).toEqual(whole.hits);
    expect(outcome.hits[0]?.event_uids).toEqual(['e3', 'e2', 'e0']);

    // Each event comes once in timeline order, with the rules of both scans.
    const detections = rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
    const ordered: [string, string[]][] = [];
    await new SqlScan(detections).each(connection, {
      ordered: 'all',
      ranked: true,
      onOrdered: (match) => void ordered.push([match.uid, [...match.ruleIds].sort()]),
    });
    const both = ['5a7e1c2d-0000-4000-8000-000000000002', '5a7e1c2d-0000-4000-8000-000000000004'];
    expect(ordered.filter(([uid]) => uid === 'e0')).toEqual([['e0', both]]);
    expect(ordered.map(([uid]) => uid).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  });

  // DuckDB caches the blocks of `events` a scan reads up to its memory limit, so the limit
  // bounds a hunt's resident memory.
  test('scans under the case memory limit', async () => {
    const reference = await DuckDBInstance.create(':memory:');
    const other = await reference.connect();
    await other.run("SET memory_limit = '256MB'");
    const expected = await other.runAndReadAll("SELECT current_setting('memory_limit') AS v");
    other.closeSync();
    reference.closeSync();

    let during: unknown = null;
    const sink: HuntSink = {
      explained: 0,
      onMatchTable: async () => {
        const reader = await connection.runAndReadAll(
          "SELECT current_setting('memory_limit') AS v",
        );
        during = reader.getRowObjectsJS()[0]?.v;
      },
    };
    const rules = parseRuleText(RULES, 'rules.yml').rules;
    await huntRules(connection, rules, {}, sink);

    expect(during).toBe(expected.getRowObjectsJS()[0]?.v);
  });
});

describe('huntRules explaining many matches', () => {
  const LOGINS = 2_500;
  const LOGIN_RULE = `title: Login to one account
id: 5a7e1c2d-0000-4000-8000-000000000009
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: ConsoleLogin, recipientAccountId: '12345678901234567890' }
  condition: selection
level: low
`;

  test('explains every match across pages', async () => {
    const own = await DuckDBInstance.create(':memory:');
    const db = await own.connect();
    try {
      await db.run(
        `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
          evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT)`,
      );
      await db.run(
        `INSERT INTO events SELECT 'login' || i, TIMESTAMP '2024-05-01' + to_seconds(i),
          'aws.cloudtrail',
          '{"eventName":"ConsoleLogin","recipientAccountId":12345678901234567890}', 'hash', NULL, i
         FROM range(${LOGINS}) t(i)`,
      );
      const rows: SinkRow[] = [];
      const sink: HuntSink = {
        explained: Number.POSITIVE_INFINITY,
        onMatchTable: async (relation) => {
          const reader = await db.runAndReadAll(
            `SELECT rule_id, event_uid, CAST(explanation AS VARCHAR) AS explanation
             FROM ${relation}`,
          );
          rows.push(...(reader.getRowObjectsJS() as unknown as SinkRow[]));
        },
      };
      await huntRules(db, parseRuleText(LOGIN_RULE, 'rules.yml').rules, {}, sink);

      expect(rows).toHaveLength(LOGINS);
      const reasons = rows.map((row) => JSON.parse(row.explanation ?? '{"reasons":[]}').reasons);
      expect(reasons.every((list) => list.length === 2)).toBe(true);
      expect(reasons[0]).toContainEqual(
        expect.objectContaining({ field: 'recipientAccountId', value: '12345678901234567890' }),
      );
    } finally {
      db.closeSync();
      own.closeSync();
    }
  });
});
