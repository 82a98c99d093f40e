import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { CaseReader } from './case-reader.ts';
import { INDEX_FROM_OFFSET, PageIndexCache } from './page-index.ts';
import { type TimelineSelection, timelinePage } from './timeline-api.ts';

const EVENTS = INDEX_FROM_OFFSET + 1500;

let caseDir: string;
let db: CaseDb;
let reader: CaseReader;

beforeAll(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-pages-'));
  db = await CaseDb.open(caseDir);
  const writer = await db.eventWriter();
  // Many events share each second, and they are written out of time order, so that the
  // index must break ties and cannot rely on the order of the table.
  for (let record = EVENTS - 1; record >= 0; record -= 1) {
    const second = (record * 7) % 60;
    writer.append(
      testEvent(record, {
        time: new Date(Date.UTC(2024, 4, 1, 12, 0, second)).toISOString(),
        status: record % 3 === 0 ? 'failure' : 'success',
      }),
    );
  }
  await writer.close();
  reader = new CaseReader(await db.connect());
});

afterAll(async () => {
  await reader.close();
  await db.close();
  await rm(caseDir, { recursive: true, force: true });
});

const uids = (page: { events: { uid?: unknown }[] }) => page.events.map((event) => event.uid);

describe('page index', () => {
  it.each([
    ['whole case', { query: '' }],
    ['a filter', { query: 'status:success' }],
  ])('reads the same deep pages as OFFSET over %s', async (_name, selection: TimelineSelection) => {
    const pages = new PageIndexCache();
    for (const offset of [INDEX_FROM_OFFSET, INDEX_FROM_OFFSET + 37, EVENTS - 150, EVENTS]) {
      const indexed = await timelinePage(reader, selection, offset, 200, pages);
      const sorted = await timelinePage(reader, selection, offset, 200);
      expect(uids(indexed), `offset ${offset}`).toEqual(uids(sorted));
    }
    await pages.clear(reader);
  });

  it('drops the least recently used index', async () => {
    const pages = new PageIndexCache();
    for (let second = 0; second < 6; second += 1) {
      const selection = { query: `time>=2024-05-01T12:00:0${second}Z` };
      await timelinePage(reader, selection, INDEX_FROM_OFFSET, 10, pages);
    }
    const tables = await reader.all(
      "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'page_index_%'",
    );
    expect(tables.map((row) => row.table_name).sort()).toEqual([
      'page_index_2',
      'page_index_3',
      'page_index_4',
      'page_index_5',
    ]);
    await pages.clear(reader);
  });
});
