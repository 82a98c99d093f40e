import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventUid } from '../core/event.ts';
import { CaseDb } from './case-db.ts';
import { TEST_SHA, testEvent } from './test-events.ts';
import {
  parseDuckDbSize,
  sliceCondition,
  sliceRowsForMemory,
  type TimeSlice,
  timeSlices,
} from './time-slices.ts';

let work: string;
let db: CaseDb;

// 30 events a second apart, then 25 events at one instant, then 5 more.
const TIMES = [
  ...Array.from({ length: 30 }, (_, i) => Date.UTC(2024, 4, 1, 0, 0, i)),
  ...Array.from({ length: 25 }, () => Date.UTC(2024, 4, 1, 1)),
  ...Array.from({ length: 5 }, (_, i) => Date.UTC(2024, 4, 1, 2, 0, i)),
];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cloudcase-slices-'));
  db = await CaseDb.open(work);
  const writer = await db.eventWriter();
  // Stored newest first, so the slices cannot follow the storage order.
  for (const [record, time] of [...TIMES.entries()].reverse()) {
    writer.append(testEvent(record, { time: new Date(time).toISOString() }));
  }
  await writer.close();
});

afterAll(async () => {
  await db.close();
  await rm(work, { recursive: true, force: true });
});

async function slicesOf(rows: number, where = ''): Promise<TimeSlice[]> {
  const connection = await db.connect();
  try {
    const slices: TimeSlice[] = [];
    for await (const slice of timeSlices(connection, { where, params: {} }, rows)) {
      slices.push(slice);
    }
    return slices;
  } finally {
    connection.closeSync();
  }
}

async function countIn(slice: TimeSlice, where = 'true'): Promise<number> {
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER FROM events WHERE (${where}) AND ${sliceCondition(slice)}`,
    );
    return Number(reader.getRowsJS()[0]?.[0]);
  } finally {
    connection.closeSync();
  }
}

describe('timeSlices', () => {
  it('covers every event once in time order', async () => {
    const slices = await slicesOf(10);
    const counts = await Promise.all(slices.map((slice) => countIn(slice)));

    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(TIMES.length);
    expect(counts.slice(0, 3)).toEqual([10, 10, 10]);
    for (const [i, slice] of slices.entries()) {
      expect(slice.to === null || slice.from < slice.to).toBe(true);
      if (i > 0) expect(slice.from).toBe(slices[i - 1]?.to);
    }
    expect(slices.at(-1)?.to).toBeNull();
  });

  it('keeps events of one instant in one slice', async () => {
    const slices = await slicesOf(10);
    const counts = await Promise.all(slices.map((slice) => countIn(slice)));

    expect(counts).toContain(25);
  });

  it('counts only the events of a condition', async () => {
    const where = "time >= TIMESTAMP '2024-05-01 02:00:00'";
    const slices = await slicesOf(2, where);
    const counts = await Promise.all(slices.map((slice) => countIn(slice, where)));

    expect(counts).toEqual([2, 2, 1]);
  });

  it('yields nothing when no event matches', async () => {
    expect(await slicesOf(10, 'false')).toEqual([]);
  });
});

describe('parseDuckDbSize', () => {
  it('reads the units DuckDB displays', () => {
    expect(parseDuckDbSize('244.1 MiB')).toBeCloseTo(244.1 * 2 ** 20);
    expect(parseDuckDbSize('1.8 GiB')).toBeCloseTo(1.8 * 2 ** 30);
    expect(parseDuckDbSize('512 bytes')).toBe(512);
    expect(parseDuckDbSize('unlimited')).toBeNull();
  });
});

describe('timeline export with long member names', () => {
  it('stays within a small memory limit', async () => {
    // Each uid and member name is 5,000 bytes long. Slices sized by the raw record alone held
    // all 8,000 events, and sorting them ran out of 64 MB in DuckDB.
    const member = 'M'.repeat(5_000);
    const folder = await mkdtemp(path.join(tmpdir(), 'cloudcase-slices-'));
    const caseDb = await CaseDb.open(folder);
    try {
      const writer = await caseDb.eventWriter();
      for (let record = 0; record < 8_000; record++) {
        const evidence = { sha256: TEST_SHA, member, record, offset: 0 };
        writer.append(testEvent(record, { uid: eventUid(evidence), evidence }));
      }
      await writer.close();
      const connection = await caseDb.connect();
      await connection.run("SET memory_limit = '64MB'");
      connection.closeSync();

      const file = path.join(folder, 'timeline.csv');
      await caseDb.exportTimelineCsv(file);

      const lines = (await readFile(file, 'utf8')).split('\r\n').filter((line) => line !== '');
      expect(lines).toHaveLength(8_001);
    } finally {
      await caseDb.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('sliceRowsForMemory', () => {
  it('counts long member names as key and value', async () => {
    // A sort of these events carries the member name as a sort key and again in each row, with
    // the uid that contains it. Those alone must fit an eighth of the memory limit.
    const member = 'M'.repeat(5_000);
    const folder = await mkdtemp(path.join(tmpdir(), 'cloudcase-slices-'));
    const caseDb = await CaseDb.open(folder);
    try {
      const writer = await caseDb.eventWriter();
      for (let record = 0; record < 100; record++) {
        const evidence = { sha256: TEST_SHA, member, record, offset: 0 };
        writer.append(testEvent(record, { uid: eventUid(evidence), evidence }));
      }
      await writer.close();
      const connection = await caseDb.connect();
      await connection.run("SET memory_limit = '64MB'");
      const rows = await sliceRowsForMemory(connection);
      connection.closeSync();

      const uid = eventUid({ sha256: TEST_SHA, member, record: 0, offset: 0 });
      expect(rows).toBeGreaterThan(0);
      expect(rows * (2 * member.length + uid.length)).toBeLessThanOrEqual(64e6 / 8);
    } finally {
      await caseDb.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
