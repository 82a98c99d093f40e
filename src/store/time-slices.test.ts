import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from './case-db.ts';
import { EVENT_SELECT } from './event-row.ts';
import { DuckDbEventWriter } from './event-writer.ts';
import { TEST_SHA, testEvent, wholeMemberUid } from './test-events.ts';
import {
  columnsRead,
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
    for await (const slice of timeSlices(
      connection,
      { where, params: {} },
      { rows, bytes: null, raw: true, columns: [] },
    )) {
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
    expect(counts).toEqual([10, 10, 10, 10, 10, 5, 5]);
    for (const [i, slice] of slices.entries()) {
      expect(slice.to === null || slice.from < slice.to).toBe(true);
      // Slices of one instant share its range; others start where the one before ended.
      const previous = slices[i - 1];
      const start =
        previous?.part !== undefined && slice.part !== undefined ? previous.from : previous?.to;
      if (start !== undefined) expect(start !== null && slice.from >= start).toBe(true);
    }
    expect(slices.at(-1)?.to).toBeNull();
  });

  it('keeps an instant within the budget in one slice', async () => {
    const slices = await slicesOf(25);
    const counts = await Promise.all(slices.map((slice) => countIn(slice)));

    expect(counts).toEqual([25, 5, 25, 5]);
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

describe('timeSlices inside one instant', () => {
  // 40 events at one instant from two evidence files, with and without archive members. Some
  // share every key, and the storage order is unrelated to the timeline's.
  const SHAS = ['b'.repeat(64), 'a'.repeat(64)];
  const MEMBERS = ["z'\u0000", null, 'm/é', 'm/a'];

  async function instantCase(use: (folder: string, caseDb: CaseDb) => Promise<void>) {
    const folder = await mkdtemp(path.join(tmpdir(), 'cloudcase-slices-'));
    const caseDb = await CaseDb.open(folder);
    try {
      const writer = await caseDb.eventWriter();
      let n = 0;
      for (const sha256 of SHAS) {
        for (const member of MEMBERS) {
          for (const record of [3, 1, 2, 2, 0]) {
            const evidence = { sha256, member, record, offset: n };
            const uid = `${wholeMemberUid(evidence)}#${n++}`;
            writer.append(testEvent(record, { uid, evidence, time: '2024-05-01T01:00:00.000Z' }));
          }
        }
      }
      await writer.close();
      await use(folder, caseDb);
    } finally {
      await caseDb.close();
      await rm(folder, { recursive: true, force: true });
    }
  }

  it('splits an oversized instant by evidence', async () => {
    await instantCase(async (_folder, caseDb) => {
      const connection = await caseDb.connect();
      try {
        const order = 'evidence_sha256, evidence_member NULLS FIRST, evidence_record, uid';
        const all = await connection.runAndReadAll(`SELECT uid FROM events ORDER BY ${order}`);
        const slices: TimeSlice[] = [];
        for await (const slice of timeSlices(
          connection,
          { where: '', params: {} },
          { rows: 7, bytes: null, raw: true, columns: [] },
        )) {
          slices.push(slice);
        }
        const read: unknown[] = [];
        const sizes: number[] = [];
        for (const slice of slices) {
          const rows = await connection.runAndReadAll(
            `SELECT uid FROM events WHERE ${sliceCondition(slice)} ORDER BY ${order}`,
          );
          sizes.push(rows.getRowsJS().length);
          read.push(...rows.getRowsJS().map((row) => row[0]));
        }

        expect(read).toEqual(all.getRowsJS().map((row) => row[0]));
        expect(slices.length).toBeGreaterThan(5);
        // Events that share every key (the two with record 2) stay together.
        expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
      } finally {
        connection.closeSync();
      }
    });
  });

  it('splits by the byte budget', async () => {
    await instantCase(async (_folder, caseDb) => {
      const connection = await caseDb.connect();
      try {
        const width = await connection.runAndReadAll(
          'SELECT max(strlen(raw) + strlen(uid) + 2 * coalesce(strlen(evidence_member), 0))::INTEGER FROM events',
        );
        const bytes = (Number(width.getRowsJS()[0]?.[0]) + 600) * 4;
        let total = 0;
        let slices = 0;
        for await (const slice of timeSlices(
          connection,
          { where: '', params: {} },
          { rows: 1_000, bytes, raw: true, columns: [] },
        )) {
          const count = await connection.runAndReadAll(
            `SELECT count(*)::INTEGER FROM events WHERE ${sliceCondition(slice)}`,
          );
          const n = Number(count.getRowsJS()[0]?.[0]);
          expect(n).toBeLessThanOrEqual(4);
          total += n;
          slices++;
        }

        expect(total).toBe(40);
        expect(slices).toBeGreaterThanOrEqual(10);
      } finally {
        connection.closeSync();
      }
    });
  });
});

describe('timeSlices with long text columns', () => {
  it('counts the columns of the budget', async () => {
    // 20 events a second apart whose actor uid is 10,000 bytes long. Sized by the row overhead
    // alone, all of them fit one slice of 32,000 bytes.
    const folder = await mkdtemp(path.join(tmpdir(), 'cloudcase-slices-'));
    const caseDb = await CaseDb.open(folder);
    try {
      const writer = await caseDb.eventWriter();
      for (let record = 0; record < 20; record++) {
        const event = testEvent(record);
        writer.append({ ...event, actor: { ...event.actor, uid: 'a'.repeat(10_000) } });
      }
      await writer.close();
      const connection = await caseDb.connect();
      const counts: number[] = [];
      try {
        const budget = { rows: 1_000, bytes: 32_000, raw: false, columns: ['actor_uid'] };
        for await (const slice of timeSlices(connection, { where: '', params: {} }, budget)) {
          const count = await connection.runAndReadAll(
            `SELECT count(*)::INTEGER FROM events WHERE ${sliceCondition(slice)}`,
          );
          counts.push(Number(count.getRowsJS()[0]?.[0]));
        }
      } finally {
        connection.closeSync();
      }

      expect(counts.reduce((sum, n) => sum + n, 0)).toBe(20);
      expect(Math.max(...counts)).toBe(3);
    } finally {
      await caseDb.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('columnsRead', () => {
  it('finds the text columns that SQL names', () => {
    expect(columnsRead(["strftime(time, '%Y') AS time", 'status_detail', 'actor_uid'])).toEqual([
      'status_detail',
      'actor_uid',
    ]);
    expect(columnsRead(["array_to_string(tags, ', ')", 'src_port'])).toEqual(['tags']);
  });

  it('leaves out the columns measured apart', () => {
    const columns = columnsRead([EVENT_SELECT]);

    expect(columns).toContain('actor_session');
    expect(columns).toContain('message');
    expect(columns).not.toContain('raw');
    expect(columns).not.toContain('uid');
    expect(columns).not.toContain('evidence_member');
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

// Runs `check` on a case of 8,000 events whose uids and member names are 5,000 bytes long, at
// `time` or a second apart, with DuckDB's memory limit at 64 MB.
async function onWideCase(
  time: string | null,
  check: (caseDb: CaseDb, folder: string) => Promise<void>,
) {
  const member = 'M'.repeat(5_000);
  const folder = await mkdtemp(path.join(tmpdir(), 'cloudcase-slices-'));
  const caseDb = await CaseDb.open(folder);
  try {
    // All 8,000 events in one transaction, the layout on which the export was measured.
    // NOTE: the export ran out of 64 MB on these events committed in two transactions, whether
    // by a `flush` after 6,400 events or by the writer's bound on a transaction's text.
    const writer = await DuckDbEventWriter.create(
      await caseDb.connect(),
      undefined,
      undefined,
      Number.POSITIVE_INFINITY,
    );
    for (let record = 0; record < 8_000; record++) {
      const evidence = { sha256: TEST_SHA, member, record, offset: 0 };
      const event = testEvent(record, { uid: wholeMemberUid(evidence), evidence });
      writer.append(time === null ? event : { ...event, time });
    }
    await writer.close();
    const connection = await caseDb.connect();
    await connection.run("SET memory_limit = '64MB'");
    connection.closeSync();
    await check(caseDb, folder);
  } finally {
    await caseDb.close();
    await rm(folder, { recursive: true, force: true });
  }
}

async function csvLines(caseDb: CaseDb, folder: string): Promise<string[]> {
  const file = path.join(folder, 'timeline.csv');
  await caseDb.exportTimelineCsv(file);
  return (await readFile(file, 'utf8')).split('\r\n').filter((line) => line !== '');
}

describe('timeline export with long member names', () => {
  it('stays within a small memory limit', async () => {
    // Slices sized by the raw record alone held all 8,000 events, and sorting them ran out of
    // 64 MB in DuckDB.
    await onWideCase(null, async (caseDb, folder) => {
      expect(await csvLines(caseDb, folder)).toHaveLength(8_001);
    });
  });

  it('splits one instant within a small memory limit', async () => {
    // One slice held the whole instant, and sorting it ran out of 64 MB in DuckDB.
    await onWideCase('2024-05-01T01:00:00.000Z', async (caseDb, folder) => {
      expect(await csvLines(caseDb, folder)).toHaveLength(8_001);
      let read = 0;
      for await (const event of caseDb.timeline()) {
        expect(event.evidence.record).toBe(read++);
      }
      expect(read).toBe(8_000);
    });
  });
});

describe('timeline export with long actor columns', () => {
  it('stays within a small memory limit', async () => {
    // The actor columns of these 8,000 events take 64 MB. Slices sized by the raw record and a
    // fixed width per row held all of them, and sorting them ran out of 64 MB in DuckDB.
    const folder = await mkdtemp(path.join(tmpdir(), 'cloudcase-slices-'));
    const caseDb = await CaseDb.open(folder);
    try {
      const writer = await caseDb.eventWriter();
      for (let record = 0; record < 8_000; record++) {
        const event = testEvent(record);
        const long = (letter: string) => letter.repeat(4_000);
        const actor = { ...event.actor, uid: long('u'), session: long('s') };
        writer.append({ ...event, actor });
      }
      await writer.close();
      const connection = await caseDb.connect();
      await connection.run("SET memory_limit = '64MB'");
      connection.closeSync();

      expect(await csvLines(caseDb, folder)).toHaveLength(8_001);
      let read = 0;
      for await (const event of caseDb.timeline({ withoutRaw: true })) {
        expect(event.evidence.record).toBe(read++);
      }
      expect(read).toBe(8_000);
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
        writer.append(testEvent(record, { uid: wholeMemberUid(evidence), evidence }));
      }
      await writer.close();
      const connection = await caseDb.connect();
      await connection.run("SET memory_limit = '64MB'");
      const rows = await sliceRowsForMemory(connection);
      connection.closeSync();

      const uid = wholeMemberUid({ sha256: TEST_SHA, member, record: 0, offset: 0 });
      expect(rows).toBeGreaterThan(0);
      expect(rows * (2 * member.length + uid.length)).toBeLessThanOrEqual(64e6 / 8);
    } finally {
      await caseDb.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
