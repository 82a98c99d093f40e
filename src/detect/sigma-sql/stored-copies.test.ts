import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { DetectionRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { SqlScan } from './scan.ts';

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

// These cases have no copies record, so a scan reads every CloudTrail record to check the
// stored copies first. The rules' scans then read `status_detail` and `api_operation` instead
// of the records.
const RULES = `title: Access denied
id: 6b1f2c3d-0000-4000-8000-000000000001
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { errorCode|startswith: AccessDenied }
  condition: selection
level: low
---
title: Console login
id: 6b1f2c3d-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: ConsoleLogin }
  condition: selection
level: low
`;
const LOGIN = '6b1f2c3d-0000-4000-8000-000000000002';

function rules(): DetectionRule[] {
  return detectionRules(RULES);
}

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(
    `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
      evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT,
      api_operation VARCHAR, api_service VARCHAR, user_agent VARCHAR, status_detail VARCHAR,
      actor_type VARCHAR, actor_uid VARCHAR)`,
  );
});

afterEach(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Stores CloudTrail events as [uid, raw record, stored copy of eventName]. */
async function store(events: [string, Record<string, unknown>, string | null][]): Promise<void> {
  for (const [index, [uid, record, operation]] of events.entries()) {
    await connection.run(
      `INSERT INTO events VALUES ($uid, TIMESTAMP '2024-05-01 10:00:00', 'aws.cloudtrail', $raw,
        'hash', NULL, $index, $operation, $service, NULL, NULL, NULL, NULL)`,
      { uid, raw: JSON.stringify(record), index, operation, service: String(record.eventSource) },
    );
  }
}

/** Collects the SQL of each scan the connection runs from now on. */
function recordScans(): string[] {
  const scans: string[] = [];
  const run = connection.run.bind(connection);
  connection.run = (sql, ...rest) => {
    if (sql.includes('sigma_scan AS')) scans.push(sql);
    return run(sql, ...rest);
  };
  return scans;
}

async function loginMatches(): Promise<string[]> {
  const matches = await new SqlScan(rules()).run(connection);
  return matches
    .filter((match) => match.ruleIds.includes(LOGIN))
    .map((match) => match.uid)
    .sort();
}

describe('SqlScan with stored copies of CloudTrail fields', () => {
  test('column prefilter ignores literal case', async () => {
    await store([
      ['lower', { eventName: 'consolelogin', eventSource: 'signin.amazonaws.com' }, 'consolelogin'],
      ['other', { eventName: 'GetObject', eventSource: 'signin.amazonaws.com' }, 'GetObject'],
    ]);

    expect(await loginMatches()).toEqual(['lower']);
  });

  test('scan keeps changed-copy match', async () => {
    await store([
      [
        'copied',
        { eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' },
        'ConsoleLogin',
      ],
      ['changed', { eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' }, 'GetObject'],
      ['other', { eventName: 'GetObject', eventSource: 'signin.amazonaws.com' }, 'GetObject'],
    ]);

    expect(await loginMatches()).toEqual(['changed', 'copied']);
  });

  test('scan keeps match without copy', async () => {
    await store([
      ['missing', { eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' }, null],
      ['array', { eventName: ['ConsoleLogin'], eventSource: 'signin.amazonaws.com' }, null],
    ]);

    expect(await loginMatches()).toEqual(['array', 'missing']);
  });

  test('rule reading most events gets its own scan', async () => {
    const read = `---
title: Object read
id: 6b1f2c3d-0000-4000-8000-000000000003
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: GetObject }
  condition: selection
level: low
`;
    const READ = '6b1f2c3d-0000-4000-8000-000000000003';
    // Enough object reads that testing them costs more than a scan of their own.
    await connection.run(
      `INSERT INTO events SELECT 'read-' || i, TIMESTAMP '2024-05-01 10:00:00', 'aws.cloudtrail',
        '{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}', 'hash', NULL, i + 10,
        'GetObject', 's3.amazonaws.com', NULL, NULL, NULL, NULL FROM range(100000) t(i)`,
    );
    await store([
      ['login', { eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' }, 'ConsoleLogin'],
    ]);
    const scans = recordScans();

    const all = [...rules(), ...(parseRuleText(read, 'read.yml').rules as DetectionRule[])];
    const matches = await new SqlScan(all).run(connection);

    const byRule = (id: string) => matches.filter((match) => match.ruleIds.includes(id));
    expect(byRule(LOGIN).map((match) => match.uid)).toEqual(['login']);
    expect(byRule(READ)).toHaveLength(100000);
    const withRead = scans.filter((sql) => sql.includes(READ));
    expect(withRead).toHaveLength(1);
    expect(withRead[0]).not.toContain(LOGIN);
  });

  test('rule with a narrower dotted field tests the stored column', async () => {
    const decrypted = `---
title: Decrypted parameter read
id: 6b1f2c3d-0000-4000-8000-000000000004
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    eventName: [GetParameter, GetParameters]
    requestParameters.withDecryption: true
  condition: selection
level: low
`;
    const DECRYPTED = '6b1f2c3d-0000-4000-8000-000000000004';
    const read = (withDecryption: boolean) => ({
      eventName: 'GetParameter',
      eventSource: 'ssm.amazonaws.com',
      requestParameters: { withDecryption },
    });
    await store([
      ['plain', read(false), 'GetParameter'],
      ['decrypted', read(true), 'GetParameter'],
    ]);
    const scans = recordScans();

    const all = [...rules(), ...(parseRuleText(decrypted, 'ssm.yml').rules as DetectionRule[])];
    const matches = await new SqlScan(all).run(connection);

    const uids = matches.filter((m) => m.ruleIds.includes(DECRYPTED)).map((m) => m.uid);
    expect(uids).toEqual(['decrypted']);
    const withRule = scans.filter((sql) => sql.includes(DECRYPTED));
    expect(withRule).toHaveLength(1);
    expect(withRule[0]).toContain('cc_lower(api_operation)');
  });

  test.each([
    ['copies hold', 'ConsoleLogin', true],
    ['a copy differs', 'GetObject', false],
  ])('rules that all require literals check copies alone: %s', async (_, copy, column) => {
    const login = { eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' };
    await store([
      ['login', login, copy],
      ['other', { eventName: 'GetObject', eventSource: 'signin.amazonaws.com' }, 'GetObject'],
    ]);
    const scans = recordScans();

    const only = rules().filter((rule) => rule.id === LOGIN);
    const matches = await new SqlScan(only).run(connection);

    expect(matches.map((match) => match.uid)).toEqual(['login']);
    expect(scans).toHaveLength(1);
    expect(scans[0]?.includes('cc_lower(api_operation)')).toBe(column);
  });
});
