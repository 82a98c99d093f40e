import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbEventWriter } from '../store/event-writer.ts';
import { CaseDb, type CompletedStream, ingestKey } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { CaseSink } from './case-sink.ts';
import type { RunSummary } from './types.ts';

const FIRST = '1'.repeat(64);
const SECOND = '2'.repeat(64);

let caseDir: string;
let db: CaseDb;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-sink-'));
  db = await CaseDb.open(caseDir);
});

afterEach(async () => {
  await db.close();
  await rm(caseDir, { recursive: true, force: true });
});

function run(): RunSummary {
  return {
    case_dir: caseDir,
    started_at: '2024-05-01T00:00:00.000Z',
    finished_at: '2024-05-01T00:00:00.000Z',
    records: { read: 0, stored: 0, rejected: 0 },
    sources: {},
    streams: [],
    evidence: { new: 0, already_present: 0, failed: [] },
    rejected: [],
    duplicates: 0,
    detections: { events_matched: 0, correlation_hits: 0 },
    rules: { loaded: 0, problems: [] },
    max_rss_bytes: 0,
  };
}

function finished(sha256: string, stored: number): CompletedStream {
  const counts = { read: stored, stored, rejected: 0 };
  return { sha256, member: null, path: `/logs/${sha256}.json`, format: 'aws.cloudtrail', counts };
}

describe('case sink', () => {
  it('completes a stream once its events commit', async () => {
    // The writer commits by itself at 2048 rows, inside the second stream.
    const writer = await DuckDbEventWriter.create(await db.connect(), 8192, 2048);
    const sink = new CaseSink(db, writer, run());
    for (let record = 0; record < 1000; record++) writer.append(testEvent(record));
    await sink.complete(finished(FIRST, 1000));
    for (let record = 1000; record < 2500; record++) writer.append(testEvent(record));
    await sink.complete(finished(SECOND, 1500));
    await sink.settled();

    const states = await db.ingestStates();
    expect(states.get(ingestKey(FIRST, null))).toBe('complete');
    expect(states.has(ingestKey(SECOND, null))).toBe(false);

    await sink.durable();
    expect((await db.ingestStates()).get(ingestKey(SECOND, null))).toBe('complete');
    await writer.close();
  });
});
