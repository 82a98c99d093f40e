import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '../core/event.ts';
import { CaseDb } from './case-db.ts';
import { DuckDbEventWriter, storeFailed } from './event-writer.ts';
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

  it('commits rows of long values before a row group', async () => {
    // Each row has an actor uid shortened to about 16,350 code units, so a data chunk takes
    // about 1,000 rows (16 M units), and the first chunk passes the transaction's 1 M units.
    const writer = await DuckDbEventWriter.create(await db.connect(), 8192, 4096, 1_000_000);
    const commits: number[] = [];
    writer.onCommit((rows) => commits.push(rows));
    const uid = `arn:aws:iam::111122223333:user/${'u'.repeat(20_000)}`;
    for (let record = 0; record < 2_500; record++) {
      const event = testEvent(record);
      if (!writer.append({ ...event, actor: { ...event.actor, uid } })) await writer.drain();
    }
    await writer.drain();

    expect(commits.length).toBeGreaterThan(0);
    expect(commits[0]).toBeLessThan(2_048);
    expect(await countEvents()).toBe(commits.at(-1));

    await writer.close();
    expect(await countEvents()).toBe(2_500);
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

describe('event writer long raw records', () => {
  it('stores 64 KiB records under the ingest memory limit', async () => {
    // DuckDB held 1,600 strings over 64 KiB at once in a commit, past its 128 MB limit.
    const blob = 'x'.repeat(70_000);
    await db.withIngestMemoryLimit(async () => {
      const writer = await db.eventWriter();
      for (let record = 0; record < 1_600; record++) {
        const event = testEvent(record, { raw: { blob, record } });
        if (!writer.append(event)) await writer.drain();
      }
      await writer.close();
    });

    expect(await countEvents()).toBe(1_600);
    let read = 0;
    for await (const event of db.timeline()) {
      expect(event.raw).toEqual({ blob, record: event.evidence.record });
      read++;
    }
    expect(read).toBe(1_600);
  });
});

describe('event writer long column values', () => {
  it('stores 64 KiB user agents under the ingest memory limit', async () => {
    // Like long raw records, 1,600 user agents over 64 KiB failed the commit in 128 MB.
    const agent = (record: number) => `agent ${record} ${'y'.repeat(65_536)}`;
    await db.withIngestMemoryLimit(async () => {
      const writer = await db.eventWriter();
      for (let record = 0; record < 1_600; record++) {
        const event = testEvent(record, { user_agent: agent(record) });
        if (!writer.append(event)) await writer.drain();
      }
      await writer.close();
    });

    expect(await countEvents()).toBe(1_600);
    const digest = createHash('sha256').update(agent(7)).digest('hex');
    for await (const event of db.timeline()) {
      if (event.evidence.record !== 7) continue;
      expect(event.user_agent).toBe(
        `${agent(7).slice(0, 16_256)}…(${agent(7).length} characters, SHA-256 ${digest})`,
      );
    }
  });

  it('keeps the resources that fit', async () => {
    const resources = Array.from({ length: 100 }, (_, index) => ({
      uid: `arn:aws:s3:::data/${index}/${'k'.repeat(2_000)}`,
      type: 'AWS::S3::Object',
    }));
    const writer = await db.eventWriter();
    writer.append(testEvent(0, { resources }));
    await writer.close();

    let stored: Resource[] = [];
    for await (const event of db.timeline()) stored = event.resources;
    expect(stored.length).toBeGreaterThan(10);
    expect(stored.length).toBeLessThan(100);
    expect(JSON.stringify(stored).length).toBeLessThanOrEqual(16_384);
    expect(stored[3]?.uid.startsWith('arn:aws:s3:::data/3/kkk')).toBe(true);
    expect(stored[3]?.uid).toContain(`…(${resources[3]?.uid.length} characters, SHA-256 `);
  });
});

describe('storeFailed', () => {
  it('shows a memory cause', () => {
    const cause = new Error(
      'TransactionContext Error: Failed to commit: failed to pin block of size 256.0 KiB ' +
        '(122.0 MiB/122.0 MiB used)\n\nPossible solutions:',
    );

    expect(storeFailed(cause).message).toBe(
      'storing a batch of events in case.duckdb failed: TransactionContext Error: Failed to ' +
        'commit: failed to pin block of size 256.0 KiB (122.0 MiB/122.0 MiB used); the ingest ' +
        'stays partial and the next run resumes it',
    );
  });

  it('hides other causes', () => {
    const message = storeFailed(new Error('Conversion Error: "secret value"')).message;

    expect(message).not.toContain('secret');
    expect(message).toContain('(run with -v to log the cause)');
  });

  it('keeps an error it made', () => {
    const error = storeFailed(new Error('Out of Memory Error: x'));

    expect(storeFailed(error)).toBe(error);
  });
});
