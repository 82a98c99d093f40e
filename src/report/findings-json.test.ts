import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventMatch } from '../detect/types.ts';
import { CaseDb } from '../store/case-db.ts';
import { TEST_SHA, testEvent } from '../store/test-events.ts';
import { buildReport } from './build-report.ts';
import { writeReports } from './write-reports.ts';

// More matched events than one stretch of uids (65,536), so the uids arrive in two stretches.
const BULK = 70_000;

// An archive member's name can contain characters that JSON escapes. This uid sends the first
// stretch through JSON.stringify, while DuckDB writes the second.
const ODD_UID = `${'a'.repeat(16)}:odd "member"\\\t#3`;

const KEYS = [
  ...['rule_id', 'title', 'severity', 'tactics', 'techniques', 'event_count', 'event_uids'],
  ...['first_seen', 'last_seen', 'actors', 'correlation_hits', 'explanations'],
];

let caseDir: string;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-findings-json-'));
});

afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

// Stores BULK events, a rule that matched all of them (stored latest first) and a rule without
// stored metadata that matched one.
async function buildCase(db: CaseDb): Promise<string[]> {
  await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');
  const writer = await db.eventWriter();
  const events = Array.from({ length: BULK }, (_, index) =>
    index === 3 ? testEvent(index, { uid: ODD_UID }) : testEvent(index),
  );
  for (const event of events) writer.append(event);
  await writer.close();
  await db.upsertRules([
    {
      id: 'bulk',
      title: 'Matches every event',
      level: 'high',
      description: '',
      tactics: ['discovery'],
      techniques: ['T1580'],
      tags: [],
      falsepositives: [],
      file: 'bulk.yml',
    },
  ]);
  const matches: EventMatch[] = events
    .map((event) => ({ rule_id: 'bulk', event_uid: event.uid, time: event.time }))
    .reverse();
  await db.insertMatches(matches);
  const first = events[0];
  if (first !== undefined) {
    await db.insertMatches([{ rule_id: 'other', event_uid: first.uid, time: first.time }]);
  }

  return events.map((event) => event.uid);
}

describe('findings.json', () => {
  it('lists every event uid of a large finding', async () => {
    const db = await CaseDb.open(caseDir);
    let uids: string[] = [];
    let heldChars = 0;
    try {
      uids = await buildCase(db);
      const data = await buildReport(db, null);
      heldChars = JSON.stringify(data.findings).length;
      expect(data.severity_events.high).toBe(BULK);
      await writeReports(caseDir, data, db);
    } finally {
      await db.close();
    }
    const text = await readFile(join(caseDir, 'reports', 'findings.json'), 'utf8');
    const findings = JSON.parse(text) as Record<string, unknown>[];
    const bulk = findings.find((finding) => finding.rule_id === 'bulk');

    // The report data contains counts, not uids, so its size does not grow with the matches.
    expect(heldChars).toBeLessThan(2000);
    expect(text).toBe(`${JSON.stringify(findings, null, 2)}\n`);
    expect(findings.map((finding) => finding.rule_id)).toEqual(['bulk', 'other']);
    expect(Object.keys(bulk ?? {})).toEqual(KEYS);
    expect(bulk?.event_count).toBe(BULK);
    expect(bulk?.event_uids).toEqual(uids);
    expect(text).toContain(JSON.stringify(ODD_UID));
    expect(bulk?.first_seen).toBe(testEvent(0).time);
    expect(bulk?.last_seen).toBe(testEvent(BULK - 1).time);
    expect(bulk?.actors).toEqual([testEvent(0).actor.uid]);
    expect(findings[1]?.event_uids).toEqual([uids[0]]);
  });

  it('writes an empty list without findings', async () => {
    const db = await CaseDb.open(caseDir);
    try {
      await writeReports(caseDir, await buildReport(db, null), db);
    } finally {
      await db.close();
    }

    expect(await readFile(join(caseDir, 'reports', 'findings.json'), 'utf8')).toBe('[]\n');
  });
});
