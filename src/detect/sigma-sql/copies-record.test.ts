/**
 * Hunts over a case whose ingest recorded that the stored copies of CloudTrail fields hold. The
 * built-in pack tests stored columns there and parses no record it does not need, and a case
 * whose copies changed, or that lacks the record, checks every record as before. A check that
 * finds the copies equal records them for later hunts.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { SHARED_DATA, tempDir } from '../../../test/support/cli.ts';
import { Logger } from '../../core/logger.ts';
import { BUILTIN_RULES, runInvestigate } from '../../pipeline/investigate.ts';
import { loadRules } from '../sigma/load.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { SqlScan } from './scan.ts';

const RECORDS = path.join(
  SHARED_DATA,
  'logs/otrf-aws-ec2-proxy-s3-exfiltration/derived_cloudtrail_records.json',
);

const identity = (type: string, principalId: string) =>
  `"userIdentity":{"type":"${type}","principalId":"${principalId}",` +
  `"arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}`;

/** A CloudTrail record as text, so that it can repeat a key. */
const record = (id: string, fields: string) =>
  `{"eventVersion":"1.09","eventTime":"2024-05-14T09:00:0${id}Z","awsRegion":"us-east-1",` +
  `"sourceIPAddress":"203.0.113.7","eventID":"00000000-0000-4000-8000-00000000000${id}",` +
  `"eventType":"AwsApiCall","recipientAccountId":"111122223333",${fields}}`;

// Records that the rules which used to read every event match, and one whose first eventName
// (the one DuckDB reads) differs from the last (the one the normalizer copies).
const CRAFTED = [
  record(
    '1',
    `${identity('Root', '111122223333')},"eventSource":"s3.amazonaws.com",` +
      '"eventName":"ListBuckets","userAgent":"aws-cli/2.15"',
  ),
  record(
    '2',
    `${identity('IAMUser', 'AIDAEXAMPLE')},"eventSource":"iam.amazonaws.com",` +
      '"eventName":"ListUsers","userAgent":"aws-cli/2.15","errorCode":"AccessDenied"',
  ),
  record(
    '3',
    `${identity('AssumedRole', 'AROAEXAMPLE:i-0123456789abcdef0')},` +
      '"eventSource":"s3.amazonaws.com","eventName":"ListBuckets",' +
      '"userAgent":"aws-cli/2.15 Python/3.11 Darwin/23.1.0"',
  ),
  record(
    '4',
    `${identity('IAMUser', 'AIDAEXAMPLE')},"eventName":"StopLogging",` +
      '"eventSource":"cloudtrail.amazonaws.com","userAgent":"aws-cli/2.15",' +
      '"eventName":"DescribeTrails"',
  ),
];

let caseFile: string;
let rules: DetectionRule[];
let instance: DuckDBInstance | null = null;

beforeAll(async () => {
  const dir = await tempDir();
  const crafted = path.join(dir, 'crafted.json');
  await writeFile(crafted, `{"Records":[${CRAFTED.join(',')}]}`);
  const caseDir = path.join(dir, 'case');
  await runInvestigate({
    paths: [RECORDS, crafted],
    caseDir,
    noBuiltinRules: true,
    logger: new Logger(new PassThrough(), 'error'),
  });
  caseFile = path.join(caseDir, 'case.duckdb');
  const loaded = await loadRules([BUILTIN_RULES]);
  rules = loaded.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
});

afterEach(() => {
  instance?.closeSync();
  instance = null;
});

/** Opens a copy of the ingested case, which a test may change. */
async function openCopy() {
  const file = path.join(await tempDir(), 'case.duckdb');
  await copyFile(caseFile, file);
  instance = await DuckDBInstance.create(file);
  return instance.connect();
}

type Connection = Awaited<ReturnType<typeof openCopy>>;

/** Runs the rules, returning each matched uid with its rule ids, and the SQL of each query. */
async function hunt(connection: Connection, ruleSet: DetectionRule[] = rules) {
  const scans: string[] = [];
  const run = connection.run.bind(connection);
  const read = connection.runAndReadAll.bind(connection);
  connection.run = (sql, ...rest) => {
    scans.push(sql);
    return run(sql, ...rest);
  };
  connection.runAndReadAll = (sql, ...rest) => {
    scans.push(sql);
    return read(sql, ...rest);
  };
  const matches = await new SqlScan(ruleSet).run(connection);
  connection.run = run;
  connection.runAndReadAll = read;
  const found = matches.map((match) => `${match.uid} ${[...match.ruleIds].sort().join(',')}`);
  return { found: found.sort(), scans };
}

// A scan takes the record `j`, or the prefilter its values, from each event of its sources
// when it reads `events` itself. A column scan reads the events that a stored column selects.
const readsEveryRecord = (sql: string) => /AS (j|p_values) FROM events\b/.test(sql);

/** Returns the uid of the one crafted event that meets `where`. */
async function uidOf(connection: Connection, where: string): Promise<string> {
  const reader = await connection.runAndReadAll(
    `SELECT uid FROM events WHERE metadata_uid LIKE '00000000-0000-4000-8000-%' AND ${where}`,
  );
  const rows = reader.getRowObjectsJS();
  expect(rows).toHaveLength(1);
  return String(rows[0]?.uid);
}

async function fallbackMatches(ruleSet: DetectionRule[] = rules): Promise<string[]> {
  const connection = await openCopy();
  await connection.run('DELETE FROM copies_source');
  const { found } = await hunt(connection, ruleSet);
  instance?.closeSync();
  instance = null;
  return found;
}

describe('SqlScan on a case with a copies record', () => {
  test('built-in pack parses candidates only', async () => {
    const connection = await openCopy();

    const { found, scans } = await hunt(connection);

    expect(scans.length).toBeGreaterThan(0);
    expect(scans.filter(readsEveryRecord)).toEqual([]);
    expect(found).toEqual(await fallbackMatches());
  });

  test('record finds crafted matches', async () => {
    const connection = await openCopy();
    const root = await uidOf(connection, `actor_type = 'Root'`);
    const denied = await uidOf(connection, `status_detail = 'AccessDenied'`);
    const instanceRole = await uidOf(connection, `user_agent LIKE '%Darwin%'`);

    const { found } = await hunt(connection);

    for (const uid of [root, denied, instanceRole]) {
      expect(found.some((line) => line.startsWith(`${uid} `))).toBe(true);
    }
  });

  test('repeated key event stays a candidate', async () => {
    const connection = await openCopy();
    const repeated = await uidOf(connection, `api_operation = 'DescribeTrails'`);
    const listed = await connection.runAndReadAll('SELECT uid FROM copies_unverified');

    const { found, scans } = await hunt(connection);

    expect(listed.getRowObjectsJS().map((row) => String(row.uid))).toEqual([repeated]);
    expect(scans.filter(readsEveryRecord)).toEqual([]);
    expect(found.some((line) => line.startsWith(`${repeated} `))).toBe(true);
  });

  test('common requirement joins full scan', async () => {
    // The first rule reads every record, and the second requires values that most events have.
    const text = `title: Documentation address
id: 6b1f2c3d-0000-4000-8000-000000000011
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { sourceIPAddress|startswith: '203.0.113.' }
  condition: selection
level: low
---
title: Any principal
id: 6b1f2c3d-0000-4000-8000-000000000012
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { userIdentity.type: [AssumedRole, IAMUser, Root, AWSService] }
  condition: selection
level: low
`;
    const ruleSet = detectionRules(text);
    const expected = await fallbackMatches(ruleSet);
    const connection = await openCopy();

    const { found, scans } = await hunt(connection, ruleSet);

    const full = scans.filter(readsEveryRecord);
    expect(full).toHaveLength(1);
    expect(full[0]).toContain('6b1f2c3d-0000-4000-8000-000000000012');
    const columnScans = scans.filter(
      (sql) => sql.includes('sigma_scan AS') && !readsEveryRecord(sql),
    );
    expect(columnScans).toEqual([]);
    expect(found).toEqual(expected);
  });

  test('checked copies serve later hunts', async () => {
    const connection = await openCopy();
    // The event with a repeated key would fail the check of every record.
    await connection.run(`DELETE FROM events WHERE api_operation = 'DescribeTrails'`);

    const first = await hunt(connection);
    const second = await hunt(connection);

    expect(first.scans.filter(readsEveryRecord).length).toBeGreaterThan(0);
    expect(second.scans.filter(readsEveryRecord)).toEqual([]);
    expect(second.found).toEqual(first.found);
  });

  test.each([
    ['changed copy', `UPDATE events SET actor_type = 'IAMUser' WHERE actor_type = 'Root'`],
    ['missing copy', `UPDATE events SET status_detail = NULL WHERE status_detail = 'AccessDenied'`],
    ['old case', 'DROP TABLE copies_source'],
  ])('%s falls back to reading records', async (_, change) => {
    const expected = await fallbackMatches();
    const connection = await openCopy();
    await connection.run(change);

    const { found, scans } = await hunt(connection);

    expect(found).toEqual(expected);
    expect(scans.filter(readsEveryRecord).length).toBeGreaterThan(0);
  });
});
