import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { caseWithEvents } from '../analyze/test-case.ts';
import { ensureCase } from '../case/case-dir.ts';
import { silentLogger } from '../core/logger.ts';
import type { EventMatch } from '../detect/types.ts';
import { CaseDb } from '../store/case-db.ts';
import { TEST_SHA, testEvent, wholeMemberUid } from '../store/test-events.ts';
import { runHunt } from './hunt.ts';

const RULE_ID = '7c41d2e8-0000-4000-8000-000000000003';
const RULE = `title: Object read
id: ${RULE_ID}
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: GetObject }
  condition: selection
level: low
`;

// The uid of each event contains a member name of 5,000 characters, so the uids of the
// detections of a rule that matches every event take 100 MB. Grouping and joining them by uid
// ran out of the 256 MB a case runs with.
const EVENTS = 20_000;
const MEMBER = 'M'.repeat(5_000);

const uidOf = (record: number) =>
  wholeMemberUid({ sha256: TEST_SHA, member: MEMBER, record, offset: 0 });

let folder: string;
let rules: string;

beforeAll(async () => {
  const events = Array.from({ length: EVENTS }, (_, record) => {
    const evidence = { sha256: TEST_SHA, member: MEMBER, record, offset: 0 };
    const raw = { eventName: 'GetObject', sourceIPAddress: '203.0.113.7' };
    return testEvent(record, { uid: wholeMemberUid(evidence), evidence, raw });
  });
  folder = await caseWithEvents(events);
  await ensureCase(folder);
  rules = await mkdtemp(path.join(tmpdir(), 'cloudcase-long-uid-rules-'));
  await writeFile(path.join(rules, 'object-read.yml'), RULE);
}, 60_000);

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await rm(rules, { recursive: true, force: true });
});

describe('detections of events with long uids', () => {
  test('hunt stores them and writes the findings', async () => {
    const hunt = await runHunt({ caseDir: folder, rulesDirs: [rules], logger: silentLogger() });

    expect(hunt.detections_added).toBe(EVENTS);
    const findings = JSON.parse(
      await readFile(path.join(folder, 'reports/findings.json'), 'utf8'),
    ) as { rule_id: string; event_count: number; event_uids: string[] }[];
    const finding = findings.find((item) => item.rule_id === RULE_ID);
    expect(finding?.event_count).toBe(EVENTS);
    expect(finding?.event_uids[0]).toBe(uidOf(0));
    expect(finding?.event_uids[EVENTS - 1]).toBe(uidOf(EVENTS - 1));
  }, 120_000);

  test('ingest stores each match once', async () => {
    // Matches as an ingest stores them, with the explanation the in-memory matcher gives.
    const matches: EventMatch[] = Array.from({ length: EVENTS }, (_, record) => ({
      rule_id: 'ingest-rule',
      event_uid: uidOf(record),
      time: new Date(Date.UTC(2024, 4, 1, 12, 0, record)).toISOString(),
      explanation: {
        reasons: [
          {
            search: 'selection',
            field: 'eventName',
            modifiers: [],
            value: 'GetObject',
            expected: 'GetObject',
          },
        ],
        omitted: 0,
      },
    }));
    const db = await CaseDb.open(folder);
    try {
      await db.insertMatches(matches);
      await db.insertMatches(matches.slice(0, 1_000));
      const events = await db.severityEvents();

      expect(events.informational).toBe(EVENTS);
    } finally {
      await db.close();
    }
  }, 120_000);
});
