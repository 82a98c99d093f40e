import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../store/case-db.ts';
import { escapeJsonText } from '../store/streamed-raw.ts';
import { TEST_SHA, testEvent } from '../store/test-events.ts';
import { exportCase } from './index.ts';

// Records of about 8 MB under a 24 MB limit: DuckDB could not put one together and write it as a
// JSON string within that limit, as with records of 63 MiB under the 244 MiB of a case.
const RECORDS = 3;
const PADDING_CHARS = 8_000_000;
const MEMORY_LIMIT = '24MB';

let work: string;
let db: CaseDb;
const padding = (record: number): string =>
  `"quoted" \\ tab\t line\n nul\u0000 unit\u001f é ✓ 🙂 ${record} `.padEnd(PADDING_CHARS, 'x');

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cloudcase-large-records-'));
  const writable = await CaseDb.open(work);
  await writable.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');
  const writer = await writable.eventWriter();
  for (let record = 0; record < RECORDS; record++) {
    if (!writer.append(testEvent(record, { raw: { pad: padding(record), record } }))) {
      await writer.drain();
    }
  }
  await writer.close();
  await writable.completeIngest(TEST_SHA, null, { read: RECORDS, stored: RECORDS, rejected: 0 });
  await writable.close();

  db = await CaseDb.openReadOnly(work);
  const connection = await db.connect();
  await connection.run(`SET memory_limit = '${MEMORY_LIMIT}'`);
  connection.closeSync();
}, 120_000);

afterAll(async () => {
  await db.close();
  await rm(work, { recursive: true, force: true });
});

describe('records larger than a slice', () => {
  it('go whole into Timesketch JSON Lines', async () => {
    const out = path.join(work, 'timeline.jsonl');
    const result = await exportCase(db, 'timesketch-jsonl', out, 'memory');
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');

    expect(result.count).toBe(RECORDS);
    expect(lines).toHaveLength(RECORDS);
    for (const [record, line] of lines.entries()) {
      const raw = JSON.parse((JSON.parse(line) as { raw: string }).raw) as Record<string, unknown>;
      expect(raw.record).toBe(record);
      expect(raw.pad === padding(record)).toBe(true);
    }
  }, 60_000);
});

describe('escapeJsonText', () => {
  it('escapes as DuckDB to_json does', async () => {
    const characters = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i));
    characters.push('é', '\u2028', '🙂', '\u009b');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const ch of characters) {
        const reader = await connection.runAndReadAll('SELECT to_json($ch)::VARCHAR', { ch });
        const json = String(reader.getRowsJS()[0]?.[0]);
        expect(escapeJsonText(ch), `code point ${ch.codePointAt(0)}`).toBe(json.slice(1, -1));
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
