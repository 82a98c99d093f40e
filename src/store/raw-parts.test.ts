import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '../core/event.ts';
import { exportOcsfParquet } from '../export/ocsf-parquet.ts';
import { exportTimesketch } from '../export/timesketch.ts';
import { CaseReader } from '../server/case-reader.ts';
import { eventDetail } from '../server/timeline-api.ts';
import { CaseDb } from './case-db.ts';
import { eventRowValues } from './event-row.ts';
import { IngestDigests } from './ingest-digests.ts';
import { createRawBytesTable, keyRanges, RAW_PART_UNITS, splitRawText } from './raw-parts.ts';
import { storedDigests } from './stored-digests.ts';
import { TEST_SHA, testEvent } from './test-events.ts';

let caseDir: string;
let db: CaseDb;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-raw-parts-'));
  db = await CaseDb.open(caseDir);
});

afterEach(async () => {
  await db.close();
  await rm(caseDir, { recursive: true, force: true });
});

// An event whose raw record is five parts long, with a surrogate pair in its text.
function longEvent(record: number): Event {
  return testEvent(record, { raw: { text: `😀${'y'.repeat(4 * RAW_PART_UNITS)}`, record } });
}

async function store(events: Event[]): Promise<void> {
  const writer = await db.eventWriter();
  for (const event of events) writer.append(event);
  await writer.close();
}

async function partRows(): Promise<{ parts: number; longest: number }> {
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(
      'SELECT count(*)::INTEGER, coalesce(max(length(text)), 0)::INTEGER FROM event_raw_parts',
    );
    const [parts, longest] = reader.getRowsJS()[0]!;
    return { parts: Number(parts), longest: Number(longest) };
  } finally {
    connection.closeSync();
  }
}

describe('splitRawText', () => {
  it('leaves text that fits one value whole', () => {
    expect(splitRawText('abc', 3)).toBeNull();
    expect(splitRawText('x'.repeat(RAW_PART_UNITS))).toBeNull();
    expect(splitRawText('x'.repeat(RAW_PART_UNITS + 1))).toHaveLength(2);
  });

  it('keeps surrogate pairs whole', () => {
    const parts = splitRawText('ab😀cd', 3);

    expect(parts).toEqual(['ab', '😀c', 'd']);
  });
});

describe('keyRanges', () => {
  it('selects runs of consecutive keys as ranges', () => {
    expect(keyRanges([9n, 3n, 5n, 4n])).toBe(
      '((raw_key >= 3 AND raw_key <= 5) OR (raw_key >= 9 AND raw_key <= 9))',
    );
    expect(keyRanges([])).toBe('false');
  });
});

// Runs statements on a connection of the open case.
async function runAll(statements: string[]): Promise<unknown[][]> {
  const connection = await db.connect();
  try {
    let rows: unknown[][] = [];
    for (const sql of statements) rows = (await connection.runAndReadAll(sql)).getRowsJS();
    return rows;
  } finally {
    connection.closeSync();
  }
}

// The timeline's raw records, each event's detail's raw record, and whether the stored digest
// is the one an ingest of `events` computes.
async function readBack(events: Event[]) {
  const timeline: unknown[] = [];
  for await (const event of db.timeline()) timeline.push(event.raw);
  const reader = new CaseReader(await db.connect());
  const details: unknown[] = [];
  try {
    for (const event of events) {
      details.push(JSON.parse(String((await eventDetail(reader, event.uid)).raw)));
    }
  } finally {
    await reader.close();
  }
  const digests = new IngestDigests();
  digests.beginStream(TEST_SHA, null);
  const inRecordOrder = [...events].sort((a, b) => a.evidence.record - b.evidence.record);
  for (const event of inRecordOrder) digests.addRow(eventRowValues(event));
  const connection = await db.connect();
  try {
    const stored = await storedDigests(connection);
    const digest = stored.get(TEST_SHA)?.digest === digests.digests().get(TEST_SHA)?.digest;
    return { timeline, details, digest };
  } finally {
    connection.closeSync();
  }
}

// The raw records of the case's Timesketch JSON Lines, in the order written.
async function timesketchRaws(): Promise<unknown[]> {
  const file = join(caseDir, `timeline-${Date.now()}.jsonl`);
  await exportTimesketch(db, 'jsonl', file);
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  return lines.map((line) => JSON.parse(JSON.parse(line).raw));
}

// The raw records of the case's OCSF Parquet export, in time order.
async function ocsfRaws(): Promise<unknown[]> {
  const folder = join(caseDir, `ocsf-${Date.now()}`);
  await exportOcsfParquet(db, folder);
  const rows = await runAll([
    `SELECT raw_data FROM read_parquet('${folder}/**/*.parquet') ORDER BY time`,
  ]);
  return rows.map((row) => JSON.parse(String(row[0])));
}

// Each event's raw record bytes by `createRawBytesTable`, reading two parts at a time, in
// record order.
async function measuredRawBytes(): Promise<number[]> {
  const connection = await db.connect();
  try {
    const bytes = await createRawBytesTable(connection, 'measured', 6 * RAW_PART_UNITS);
    const reader = await connection.runAndReadAll(
      `SELECT ${bytes} FROM events ORDER BY evidence_record`,
    );
    return reader.getRowsJS().map((row) => Number(row[0]));
  } finally {
    connection.closeSync();
  }
}

const rawBytes = (event: Event): number => Buffer.byteLength(JSON.stringify(event.raw));

describe('keys of raw records stored in parts', () => {
  it('keys rows and parts in write order', async () => {
    await store([testEvent(0), longEvent(1), longEvent(2)]);
    await store([longEvent(3)]);

    const rows = await runAll([
      `SELECT e.evidence_record::INTEGER, e.raw_key::INTEGER,
         (SELECT list(DISTINCT p.raw_key::INTEGER) FROM event_raw_parts p WHERE p.uid = e.uid)
       FROM events e ORDER BY e.evidence_record`,
    ]);
    expect(rows).toEqual([
      [0, null, null],
      [1, 1, [1]],
      [2, 2, [2]],
      [3, 3, [3]],
    ]);
    expect(await measuredRawBytes()).toEqual(
      [testEvent(0), longEvent(1), longEvent(2), longEvent(3)].map(rawBytes),
    );
  });

  it('reads unkeyed parts beside keyed ones', async () => {
    const events = [longEvent(1), testEvent(0), longEvent(2)];
    await store(events);
    const uid = longEvent(1).uid;
    await runAll([
      `UPDATE events SET raw_key = NULL WHERE uid = '${uid}'`,
      `UPDATE event_raw_parts SET raw_key = NULL WHERE uid = '${uid}'`,
    ]);

    const { timeline, details, digest } = await readBack(events);
    expect(timeline).toEqual([testEvent(0).raw, longEvent(1).raw, longEvent(2).raw]);
    expect(details).toEqual(events.map((event) => event.raw));
    expect(digest).toBe(true);
    expect(await timesketchRaws()).toEqual(timeline);
    expect(await ocsfRaws()).toEqual(timeline);
    expect(await measuredRawBytes()).toEqual(
      [testEvent(0), longEvent(1), longEvent(2)].map(rawBytes),
    );
  });

  it('reads a keyless case read-only', async () => {
    const events = [longEvent(1), testEvent(0), longEvent(2)];
    await store(events);
    await runAll([
      'ALTER TABLE events DROP COLUMN raw_key',
      'ALTER TABLE duplicate_events DROP COLUMN raw_key',
      'ALTER TABLE event_raw_parts DROP COLUMN raw_key',
    ]);
    await db.close();
    db = await CaseDb.openReadOnly(caseDir);

    const { timeline, details, digest } = await readBack(events);
    expect(timeline).toEqual([testEvent(0).raw, longEvent(1).raw, longEvent(2).raw]);
    expect(details).toEqual(events.map((event) => event.raw));
    expect(digest).toBe(true);
    expect(await timesketchRaws()).toEqual(timeline);
    expect(await ocsfRaws()).toEqual(timeline);
    expect(await measuredRawBytes()).toEqual(
      [testEvent(0), longEvent(1), longEvent(2)].map(rawBytes),
    );
  });

  it('adds keys on a write open', async () => {
    await store([longEvent(1)]);
    await runAll([
      'ALTER TABLE events DROP COLUMN raw_key',
      'ALTER TABLE duplicate_events DROP COLUMN raw_key',
      'ALTER TABLE event_raw_parts DROP COLUMN raw_key',
    ]);
    await db.close();
    db = await CaseDb.open(caseDir);
    await store([longEvent(2)]);

    const { timeline } = await readBack([longEvent(1), longEvent(2)]);
    expect(timeline).toEqual([longEvent(1).raw, longEvent(2).raw]);
    const keys = await runAll([
      `SELECT e.raw_key::INTEGER, (SELECT list(DISTINCT p.raw_key::INTEGER)
         FROM event_raw_parts p WHERE p.uid = e.uid)
       FROM events e ORDER BY e.evidence_record`,
    ]);
    expect(keys).toEqual([
      [1, [1]],
      [2, [2]],
    ]);
  });
});

describe('raw records stored in parts', () => {
  it('stores a long raw record in parts and reads it back whole', async () => {
    await store([testEvent(0), longEvent(1)]);

    const { parts, longest } = await partRows();
    expect(parts).toBe(5);
    expect(longest).toBeLessThanOrEqual(RAW_PART_UNITS);
    const events: Event[] = [];
    for await (const event of db.timeline()) events.push(event);
    expect(events.map((event) => event.raw)).toEqual([testEvent(0).raw, longEvent(1).raw]);
  });

  it('timeline reads many long raw records in batches', async () => {
    // 200 records of 64 KB are more than one batch of parts the timeline reads at once.
    const events = Array.from({ length: 200 }, (_, record) => longEvent(record));
    await store(events);

    let read = 0;
    for await (const event of db.timeline()) {
      expect(event.raw).toEqual(longEvent(read).raw);
      read++;
    }
    expect(read).toBe(200);
  });

  it('timeline without raw skips parts', async () => {
    await store([testEvent(0, { metadata_uid: 'id-0' }), longEvent(1)]);

    const events: Event[] = [];
    for await (const event of db.timeline({ withoutRaw: true })) events.push(event);

    expect(events.map((event) => event.raw)).toEqual([{}, {}]);
    expect(events[0]?.metadata_uid).toBe('id-0');
  });

  it('Timesketch export writes a long raw record whole', async () => {
    await store([longEvent(1), testEvent(0)]);
    const file = join(caseDir, 'timeline.jsonl');

    await exportTimesketch(db, 'jsonl', file);

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const raws = lines.map((line) => JSON.parse(JSON.parse(line).raw));
    expect(raws).toEqual([testEvent(0).raw, longEvent(1).raw]);
  });

  it('OCSF Parquet export writes a long raw record whole', async () => {
    await store([longEvent(1), testEvent(0)]);
    const folder = join(caseDir, 'ocsf');

    await exportOcsfParquet(db, folder);

    const connection = await db.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT raw_data FROM read_parquet('${folder}/**/*.parquet') ORDER BY time`,
      );
      const raws = reader.getRowsJS().map((row) => JSON.parse(String(row[0])));
      expect(raws).toEqual([testEvent(0).raw, longEvent(1).raw]);
    } finally {
      connection.closeSync();
    }
  });

  it('event detail reads a long raw record whole', async () => {
    await store([longEvent(1)]);

    const reader = new CaseReader(await db.connect());
    try {
      const detail = await eventDetail(reader, longEvent(1).uid);
      expect(JSON.parse(String(detail.raw))).toEqual(longEvent(1).raw);
    } finally {
      await reader.close();
    }
  });

  it('stored digest matches the ingest digest', async () => {
    const huge = testEvent(3, { raw: { text: 'z'.repeat(1_200_000) } });
    const events = [testEvent(0), longEvent(1), testEvent(2), huge];
    const digests = new IngestDigests();
    digests.beginStream(TEST_SHA, null);
    for (const event of events) digests.addRow(eventRowValues(event));
    await store(events);

    const connection = await db.connect();
    try {
      const stored = await storedDigests(connection);
      expect(stored.get(TEST_SHA)?.digest).toBe(digests.digests().get(TEST_SHA)?.digest);
    } finally {
      connection.closeSync();
    }
  });

  it('restarting a partial stream deletes its parts', async () => {
    await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');
    await store([longEvent(0)]);
    await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');

    expect((await partRows()).parts).toBe(0);
  });
});
