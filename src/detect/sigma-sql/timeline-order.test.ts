import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withTimelineOrder } from './timeline-order.ts';

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

// Uid, time, evidence hash, member and record index, stored out of timeline order. Rows that
// share every key but the uid are stored with their uids in descending order.
const EVENTS: [string, string, string, string | null, number][] = [
  ['u9', '2024-05-01 10:00:02', 'b', null, 1],
  ['u8', '2024-05-01 10:00:01', 'a', 'm2', 0],
  ['u7', '2024-05-01 10:00:01', 'a', 'm1', 5],
  ['u6', '2024-05-01 10:00:01', 'a', null, 5],
  ['u5', '2024-05-01 10:00:01', 'a', 'm1', 5],
  ['u4', '2024-05-01 10:00:00', 'b', null, 0],
  ['u3', '2024-05-01 10:00:00', 'a', 'm1', 7],
  ['u2', '2024-05-01 10:00:00', 'a', 'm1', 7],
  ['u1', '2024-05-01 10:00:00', 'a', 'm1', 7],
  ['u0', '2024-05-01 10:00:00', 'a', 'm1', 6],
];

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(
    `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, evidence_sha256 VARCHAR,
      evidence_member VARCHAR, evidence_record BIGINT)`,
  );
  for (const [uid, time, sha256, member, record] of EVENTS) {
    await connection.run(
      'INSERT INTO events VALUES ($uid, CAST($time AS TIMESTAMP), $sha256, $member, $record)',
      { uid, time, sha256, member, record },
    );
  }
  await connection.run(
    "CREATE TEMP TABLE matches AS SELECT rowid AS event_row, ['r'] AS rule_ids FROM events",
  );
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Returns the uids of the matches in the order of `withTimelineOrder`. */
async function timelineUids(): Promise<string[]> {
  let uids: string[] = [];
  await withTimelineOrder(connection, 'temp.matches', async ({ from, orderBy }) => {
    const reader = await connection.runAndReadAll(
      `SELECT e.uid FROM ${from} JOIN events e ON e.rowid = m.event_row ORDER BY ${orderBy}`,
    );
    uids = reader.getRowObjectsJS().map((row) => String(row.uid));
  });
  return uids;
}

describe('withTimelineOrder', () => {
  test('orders by time, evidence, record and uid', async () => {
    const reader = await connection.runAndReadAll(
      `SELECT uid FROM events ORDER BY time, evidence_sha256, evidence_member NULLS FIRST,
        evidence_record, uid`,
    );
    const expected = reader.getRowObjectsJS().map((row) => String(row.uid));

    expect(await timelineUids()).toEqual(expected);
    expect(expected).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u6', 'u5', 'u7', 'u8', 'u9']);
  });

  test('drops its tables', async () => {
    await timelineUids();
    const reader = await connection.runAndReadAll(
      "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name <> 'matches'",
    );

    expect(reader.getRowObjectsJS()).toEqual([]);
  });
});
