import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { caseWithEvents } from '../../analyze/test-case.ts';
import { CaseDb } from '../../store/case-db.ts';
import { TEST_SHA, testEvent, wholeMemberUid } from '../../store/test-events.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { SqlScan } from './scan.ts';

// Every event matches both rules. The first requires a literal and the second does not, so
// they run in separate scans and each event has a row of matches from each.
const RULES = `title: Object read
id: 7c41d2e8-0000-4000-8000-000000000001
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: GetObject }
  condition: selection
level: low
---
title: Any call from the address
id: 7c41d2e8-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { sourceIPAddress|contains: '203.0.113' }
  condition: selection
level: low
`;

// The uid of each event contains a member name of 5,000 characters, so the uids of all the
// events take 350 MB, more than the 256 MB a scan runs with.
const EVENTS = 70_000;
const MEMBER = 'M'.repeat(5_000);

let folder: string;
let caseDb: CaseDb;

beforeAll(async () => {
  const events = Array.from({ length: EVENTS }, (_, record) => {
    const evidence = { sha256: TEST_SHA, member: MEMBER, record, offset: 0 };
    const raw = { eventName: 'GetObject', sourceIPAddress: '203.0.113.7' };
    return testEvent(record, { uid: wholeMemberUid(evidence), evidence, raw });
  });
  folder = await caseWithEvents(events);
  caseDb = await CaseDb.open(folder);
}, 60_000);

afterAll(async () => {
  await caseDb.close();
  await rm(folder, { recursive: true, force: true });
});

/** Returns the record index at the end of an event uid. */
function recordOf(uid: string): number {
  return Number(uid.slice(uid.lastIndexOf('#') + 1));
}

describe('SqlScan on events with long uids', () => {
  const objectRead = '7c41d2e8-0000-4000-8000-000000000001';
  const anyAddress = '7c41d2e8-0000-4000-8000-000000000002';
  const detections = detectionRules(RULES);

  test('stores and ranks every match', async () => {
    const connection = await caseDb.connect();
    const counts = new Map<string, number>();
    const shortest: number[] = [];
    let outOfPlace = 0;
    let ranked = 0;
    try {
      await new SqlScan(detections).each(connection, {
        explainFirst: 1,
        onMatchTable: async (relation) => {
          const reader = await connection.runAndReadAll(
            `SELECT rule_id, count(*) AS n, min(strlen(event_uid)) AS shortest FROM ${relation}
             GROUP BY rule_id`,
          );
          for (const row of reader.getRowObjectsJS()) {
            counts.set(String(row.rule_id), Number(row.n));
            shortest.push(Number(row.shortest));
          }
        },
        ordered: 'all',
        ranked: true,
        onOrdered: (match) => {
          // Events one second apart in record order: the rank of each is its record plus one.
          if (match.rank !== recordOf(match.uid) + 1 || match.ruleIds.length !== 2) outOfPlace++;
          ranked++;
        },
      });
    } finally {
      connection.closeSync();
    }

    expect(counts.get(objectRead)).toBe(EVENTS);
    expect(counts.get(anyAddress)).toBe(EVENTS);
    expect(Math.min(...shortest)).toBeGreaterThan(MEMBER.length);
    expect(ranked).toBe(EVENTS);
    expect(outOfPlace).toBe(0);
  }, 60_000);

  test('reads matches in time order', async () => {
    const connection = await caseDb.connect();
    const records: number[] = [];
    try {
      await new SqlScan(detections).each(connection, {
        ordered: new Set([objectRead]),
        onOrdered: (match) => void records.push(recordOf(match.uid)),
      });
    } finally {
      connection.closeSync();
    }

    expect(records).toEqual(Array.from({ length: EVENTS }, (_, record) => record));
  }, 60_000);

  test('streams every match once', async () => {
    const connection = await caseDb.connect();
    let streamed = 0;
    let withBothRules = 0;
    try {
      await new SqlScan(detections).each(connection, {
        onMatch: (match) => {
          if (match.ruleIds.length === 2) withBothRules++;
          streamed++;
        },
      });
    } finally {
      connection.closeSync();
    }

    expect(streamed).toBe(EVENTS);
    expect(withBothRules).toBe(EVENTS);
  }, 60_000);
});
