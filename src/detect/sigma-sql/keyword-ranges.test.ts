import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { caseWithEvents, onEvents } from '../../analyze/test-case.ts';
import { CaseDb } from '../../store/case-db.ts';
import { testEvent } from '../../store/test-events.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { SqlScan } from './scan.ts';

const RULES = `title: Keyword in any value
id: 5b0e7a31-0000-4000-8000-000000000001
logsource: { product: aws, service: cloudtrail }
detection:
  keywords:
    - needle
  condition: keywords
level: low
`;

// Each record has about 1,500 bytes of text. Scanned at once, the 60,000 records ran out of the
// case's 256 MB. Every third record has the keyword.
const EVENTS = 60_000;
const PADDING = 'x'.repeat(1_500);

function keywordRules(): DetectionRule[] {
  return detectionRules(RULES);
}

let folder: string;
let caseDb: CaseDb;

beforeAll(async () => {
  const events = Array.from({ length: EVENTS }, (_, record) => {
    const note = record % 3 === 0 ? `a needle ${record}` : `hay ${record}`;
    return testEvent(record, { raw: { eventName: 'GetObject', note, padding: PADDING } });
  });
  folder = await caseWithEvents(events);
  caseDb = await CaseDb.open(folder);
}, 60_000);

afterAll(async () => {
  await caseDb.close();
  await rm(folder, { recursive: true, force: true });
});

describe('SqlScan keyword rules on large records', () => {
  test('scans 100 MB of 256 KB records', async () => {
    const padding = 'y'.repeat(256 * 1024);
    const events = Array.from({ length: 400 }, (_, record) =>
      testEvent(record, { raw: { eventName: 'GetObject', note: `needle ${record}`, padding } }),
    );
    let matched = 0;
    await onEvents(events, (connection) =>
      new SqlScan(keywordRules()).each(connection, { onMatch: () => void matched++ }),
    );

    expect(matched).toBe(400);
  }, 60_000);
});

describe('SqlScan keyword rules', () => {
  const detections = keywordRules();

  test('scans more records than fit in memory', async () => {
    const connection = await caseDb.connect();
    let matched = 0;
    let withoutKeyword = 0;
    try {
      await new SqlScan(detections).each(connection, {
        onMatch: (match) => {
          matched++;
          const record = Number(match.uid.slice(match.uid.lastIndexOf(':') + 1));
          if (record % 3 !== 0) withoutKeyword++;
        },
      });
    } finally {
      connection.closeSync();
    }

    expect(matched).toBe(EVENTS / 3);
    expect(withoutKeyword).toBe(0);
  }, 60_000);
});
