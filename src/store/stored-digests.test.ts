import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseDb } from './case-db.ts';
import { storedDigests } from './stored-digests.ts';
import { TEST_SHA, testEvent } from './test-events.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// The text of every digest column of `testEvent(record)` as DuckDB casts it to VARCHAR, in
// column order, with `null` for NULL.
function storedTexts(record: number, member: string | null, message: string): (string | null)[] {
  const uid = testEvent(record, { evidence: { sha256: TEST_SHA, member, record, offset: 0 } }).uid;
  return [
    ...[uid, timeText(record), 'aws.cloudtrail', 'audit', '6003'],
    ...['API Activity', 'Create', 'success', null],
    ...['arn:aws:iam::111122223333:user/alice', 'alice', 'IAMUser', null],
    ...['AKIAIOSFODNN7EXAMPLE', 'false', '111122223333', null],
    ...['203.0.113.7', '443', null, '1500.0', null],
    ...[null, null, null, null, null, 'aws-cli/2.15.0'],
    ...['aws', '111122223333', 'us-east-1', 'iam.amazonaws.com', 'CreateAccessKey'],
    ...[`req-${record}`, 'false'],
    '[{"uid":"arn:aws:iam::111122223333:user/bob","type":"AWS::IAM::User"}]',
    ...[message, '["test"]', TEST_SHA, member, String(record), '0'],
    '{"eventName":"CreateAccessKey","eventVersion":"1.08","nested":{"list":[1,"two",null]}}',
    null,
  ];
}

// DuckDB's text of the TIMESTAMP of `testEvent(record)`.
function timeText(record: number): string {
  return new Date(Date.UTC(2024, 4, 1, 12, 0, record)).toISOString().replace('T', ' ').slice(0, 19);
}

// A value is `N` for NULL or `S<length in code points>:<text>`.
function rowDigest(texts: (string | null)[]): string {
  return sha256(texts.map((t) => (t === null ? 'N' : `S${[...t].length}:${t}`)).join(''));
}

let work: string;
let db: CaseDb;

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cloudcase-digests-'));
  db = await CaseDb.open(work);
});

afterEach(async () => {
  await db.close();
  await rm(work, { recursive: true, force: true });
});

describe('storedDigests', () => {
  it('hashes the documented lines in member and record order', async () => {
    const rows = [
      { record: 2, member: 'b.json', message: 'second' },
      { record: 1, member: 'b.json', message: 'caf\u00e9 \u{1f600}' },
      { record: 3, member: null, message: 'first' },
    ];
    const writer = await db.eventWriter();
    for (const { record, member, message } of rows) {
      const evidence = { sha256: TEST_SHA, member, record, offset: 0 };
      const src = { ...testEvent(record).src, bytes: 1500 };
      writer.append(testEvent(record, { evidence, message, src }));
    }
    await writer.close();

    const connection = await db.connect();
    const digests = await storedDigests(connection).finally(() => connection.closeSync());

    const line = ({ record, member, message }: (typeof rows)[number]) =>
      `${member ?? ''}\t${record}\t${rowDigest(storedTexts(record, member, message))}\n`;
    const expected = sha256([rows[2], rows[1], rows[0]].map((row) => line(row!)).join(''));
    expect(digests.get(TEST_SHA)).toEqual({ events: 3, rejected: 0, digest: expected });
  });
});

describe('storedDigests with long member names', () => {
  it('stays within a small memory limit', async () => {
    // The uid and member column of each event contain a 1,500-byte member name. Sorted with
    // the name on every row, 8,000 of them ran out of 24 MB in DuckDB.
    const member = 'M'.repeat(1_500);
    const writer = await db.eventWriter();
    for (let record = 0; record < 8_000; record++) {
      const evidence = { sha256: TEST_SHA, member, record, offset: 0 };
      const src = { ...testEvent(record).src, bytes: 1500 };
      writer.append(testEvent(record, { evidence, message: 'long', src }));
    }
    await writer.close();

    const connection = await db.connect();
    await connection.run("SET memory_limit = '24MB'");
    const digests = await storedDigests(connection).finally(() => connection.closeSync());

    const lines = Array.from({ length: 8_000 }, (_, record) => {
      const texts = storedTexts(record, member, 'long');
      return `${member}\t${record}\t${rowDigest(texts)}\n`;
    });
    expect(digests.get(TEST_SHA)).toEqual({
      events: 8_000,
      rejected: 0,
      digest: sha256(lines.join('')),
    });
  });
});
