import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { CaseReader } from './case-reader.ts';
import { HttpError } from './http.ts';
import {
  eventPosition,
  type TimelineSelection,
  timelinePage,
  timelinePosition,
} from './timeline-api.ts';

const EVENTS = 400;

let caseDir: string;
let db: CaseDb;
let reader: CaseReader;

beforeAll(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-position-'));
  db = await CaseDb.open(caseDir);
  const writer = await db.eventWriter();
  // Many events share each second and are written out of time order, so positions must break
  // ties the way the timeline does.
  for (let record = EVENTS - 1; record >= 0; record -= 1) {
    const second = (record * 7) % 20;
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

const SELECTIONS: [string, TimelineSelection][] = [
  ['whole case', { query: '' }],
  ['a query', { query: 'status:failure' }],
  ['a time window', { query: '', since: '2024-05-01T12:00:05Z', until: '2024-05-01T12:00:14Z' }],
];

describe('timeline positions', () => {
  it.each(SELECTIONS)('event position in %s', async (_name, selection) => {
    const page = await timelinePage(reader, selection, 0, 500);
    expect(page.events.length).toBeGreaterThan(50);
    for (const [index, event] of page.events.entries()) {
      const position = await eventPosition(reader, selection, String(event.uid));
      expect(position.row, String(event.uid)).toBe(index);
    }
  });

  it.each(SELECTIONS)('time position in %s', async (_name, selection) => {
    const page = await timelinePage(reader, selection, 0, 500);
    const times = page.events.map((event) => String(event.time));
    for (const second of [0, 7, 13, 19]) {
      const at = new Date(Date.UTC(2024, 4, 1, 12, 0, second)).toISOString();
      const expected = times.findIndex((time) => time >= at);
      const position = await timelinePosition(reader, selection, at.replace('.000Z', ''));
      expect(position.row, at).toBe(expected === -1 ? times.length : expected);
    }
  });

  it('rejects an event outside the selection', async () => {
    const page = await timelinePage(reader, { query: 'status:success' }, 0, 1);
    const uid = String(page.events[0]?.uid);
    await expect(eventPosition(reader, { query: 'status:failure' }, uid)).rejects.toMatchObject({
      status: 404,
    });
  });

  it('rejects an invalid time', async () => {
    const error = await timelinePosition(reader, { query: '' }, 'yesterday').catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(400);
  });
});
