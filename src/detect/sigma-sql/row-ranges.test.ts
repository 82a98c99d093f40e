import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../../store/index.ts';
import { hasSplitRecords, RAW_PART_UNITS } from '../../store/raw-parts.ts';
import { testEvent } from '../../store/test-events.ts';
import { rowRanges } from './row-ranges.ts';

const RECORDS = 12;
const RECORD_BYTES = 6 * RAW_PART_UNITS;

describe('rowRanges', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('counts the parts of records stored in parts', async () => {
    const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-row-ranges-'));
    folders.push(caseDir);
    const db = await CaseDb.open(caseDir);
    const connection = await db.connect();
    try {
      const writer = await db.eventWriter();
      for (let record = 0; record < RECORDS; record++) {
        writer.append(testEvent(record, { raw: { text: 'x'.repeat(RECORD_BYTES) } }));
      }
      await writer.close();
      expect(await hasSplitRecords(connection)).toBe(true);

      // Three records fit in each range, so twelve make four ranges.
      const ranges = await rowRanges(connection, 'events', 3 * RECORD_BYTES + 1024);
      const sizes = ranges.map((range) => Number(range.high - range.low) + 1);

      expect(sizes).toEqual([3, 3, 3, 3]);
    } finally {
      connection.closeSync();
      await db.close();
    }
  });
});
