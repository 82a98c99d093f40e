import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRuleText } from '../detect/sigma/index.ts';
import { CaseDb } from '../store/case-db.ts';
import { testEvent } from '../store/test-events.ts';
import { correlateCase } from './correlate-case.ts';

const RULES = `title: key created
id: 44444444-4444-4444-8444-444444444444
name: key_created
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: CreateAccessKey
  condition: selection
---
title: many keys
id: 55555555-5555-4555-8555-555555555555
correlation:
  type: event_count
  rules: [key_created]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition:
    gte: 2
`;

let caseDir: string;

beforeEach(async () => {
  caseDir = await mkdtemp(path.join(os.tmpdir(), 'cloudcase-correlate-'));
});

afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

/** Stores CloudTrail events of `CreateAccessKey` by the given user, one second apart. */
async function store(db: CaseDb, records: number[], user: string): Promise<void> {
  const writer = await db.eventWriter();
  for (const record of records) {
    writer.append(
      testEvent(record, {
        raw: { eventName: 'CreateAccessKey', userIdentity: { userName: user } },
      }),
    );
  }
  await writer.close();
}

async function storedHits(db: CaseDb): Promise<number[]> {
  const connection = await db.connect();
  const reader = await connection.runAndReadAll(
    'SELECT event_count FROM correlation_hits ORDER BY event_count',
  );
  connection.closeSync();
  return reader.getRowObjectsJS().map((row) => Number(row.event_count));
}

describe('correlateCase', () => {
  const rules = parseRuleText(RULES, 'rules.yml').rules;

  it('stores the hits over every stored event once', async () => {
    const db = await CaseDb.open(caseDir);
    try {
      await store(db, [0, 1], 'alice');
      const first = await correlateCase(db, rules);
      expect(first.problems).toEqual([]);
      expect(first.hits).toHaveLength(1);
      await correlateCase(db, rules);
      expect(await storedHits(db)).toEqual([2]);
    } finally {
      await db.close();
    }
  });

  it('replaces a hit when later evidence extends it', async () => {
    const db = await CaseDb.open(caseDir);
    try {
      await store(db, [0, 1], 'alice');
      await correlateCase(db, rules);
      await store(db, [2], 'alice');
      await correlateCase(db, rules);
      expect(await storedHits(db)).toEqual([3]);
    } finally {
      await db.close();
    }
  });

  it('stores no single-event matches', async () => {
    const db = await CaseDb.open(caseDir);
    try {
      await store(db, [0, 1], 'alice');
      await correlateCase(db, rules);
      const connection = await db.connect();
      const reader = await connection.runAndReadAll(
        'SELECT count(*) AS n FROM detections WHERE hit_id IS NULL',
      );
      connection.closeSync();
      expect(Number(reader.getRowObjectsJS()[0]?.n)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
