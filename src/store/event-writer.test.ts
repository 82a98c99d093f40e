import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseDb } from './case-db.ts';
import { DuckDbEventWriter } from './event-writer.ts';
import { testEvent } from './test-events.ts';

let caseDir: string;
let db: CaseDb;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-writer-'));
  db = await CaseDb.open(caseDir);
});

afterEach(async () => {
  await db.close();
  await rm(caseDir, { recursive: true, force: true });
});

async function countEvents(): Promise<number> {
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER FROM events');
    return Number(reader.getRows()[0]?.[0]);
  } finally {
    connection.closeSync();
  }
}

describe('event writer commits', () => {
  it('commits each full row group by itself', async () => {
    // Two chunks of 2048 rows make one row group of this test's size.
    const writer = await DuckDbEventWriter.create(await db.connect(), 8192, 4096);
    const commits: number[] = [];
    writer.onCommit((rows) => commits.push(rows));
    for (let record = 0; record < 5000; record++) writer.append(testEvent(record));
    await writer.drain();

    expect(commits).toEqual([4096]);
    expect(await countEvents()).toBe(4096);

    await writer.flush();
    expect(commits).toEqual([4096, 5000]);
    expect(await countEvents()).toBe(5000);
    await writer.close();
  });

  it('keeps appends made during a commit for the next one', async () => {
    const writer = await DuckDbEventWriter.create(await db.connect(), 8192, 2048);
    const flushing = writer.flush();
    for (let record = 0; record < 3000; record++) writer.append(testEvent(record));
    await flushing;
    await writer.close();

    expect(writer.appendedRows).toBe(3000);
    expect(await countEvents()).toBe(3000);
  });
});
