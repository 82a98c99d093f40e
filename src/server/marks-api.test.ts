import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAudit } from '../case/audit-trail.ts';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { CaseReader } from './case-reader.ts';
import type { HttpError } from './http.ts';
import {
  addMark,
  deleteSearch,
  listMarks,
  type MarkStore,
  removeMark,
  savedSearches,
  saveSearch,
} from './marks-api.ts';

let caseDir: string;
let store: MarkStore;
const event = testEvent(0);

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-marks-'));
  const db = await CaseDb.open(caseDir);
  const writer = await db.eventWriter();
  writer.append(event);
  await writer.close();
  store = { db, reader: new CaseReader(await db.connect()), analyst: 'ana@example' };
});

afterEach(async () => {
  await store.reader.close();
  await store.db.close();
  await rm(caseDir, { recursive: true, force: true });
});

// The audit entries as `<command> <results>`, from the trail that `case audit` shows.
async function auditCommands(): Promise<string[]> {
  const trail = await readAudit(caseDir);
  for (const entry of trail.entries) expect(entry.actor).toBe('ana@example');
  expect(trail.broken).toEqual([]);
  return trail.entries.map((entry) => `${entry.command} ${entry.results}`);
}

async function rejection(work: Promise<unknown>): Promise<HttpError> {
  try {
    await work;
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('the request was accepted');
}

describe('workbench marks', () => {
  it('stores tags, stars and comments once each, with the analyst', async () => {
    await addMark(store, { uid: event.uid, kind: 'star' });
    await addMark(store, { uid: event.uid, kind: 'star' });
    await addMark(store, { uid: event.uid, kind: 'tag', value: ' exfil ' });
    await addMark(store, { uid: event.uid, kind: 'tag', value: 'exfil' });
    await addMark(store, { uid: event.uid, kind: 'comment', value: 'seen before' });
    await addMark(store, { uid: event.uid, kind: 'comment', value: 'seen before' });

    const marks = await listMarks(store.reader);
    expect(marks.map((mark) => `${mark.kind}:${mark.value}`).sort()).toEqual([
      'comment:seen before',
      'comment:seen before',
      'star:',
      'tag:exfil',
    ]);
    expect(new Set(marks.map((mark) => mark.actor))).toEqual(new Set(['ana@example']));
    expect(marks[0]?.message).toBe(event.message);
    expect(await auditCommands()).toEqual([
      'serve mark star 1',
      'serve mark star 0',
      'serve mark tag 1',
      'serve mark tag 0',
      'serve mark comment 1',
      'serve mark comment 1',
    ]);
  });

  it('removes a mark and records the removal', async () => {
    await addMark(store, { uid: event.uid, kind: 'tag', value: 'exfil' });
    await removeMark(store, { uid: event.uid, kind: 'tag', value: 'exfil' });
    expect(await listMarks(store.reader)).toEqual([]);
    expect(await auditCommands()).toEqual(['serve mark tag 1', 'serve unmark tag 1']);
  });

  it('rejects a mark on no event or of no known kind', async () => {
    expect((await rejection(addMark(store, { uid: 'nope', kind: 'star' }))).status).toBe(404);
    const kind = await rejection(addMark(store, { uid: event.uid, kind: 'flag', value: 'x' }));
    expect(kind.status).toBe(400);
    const blank = await rejection(addMark(store, { uid: event.uid, kind: 'tag', value: '  ' }));
    expect(blank.status).toBe(400);
    const long = await rejection(
      addMark(store, { uid: event.uid, kind: 'tag', value: 'x'.repeat(300) }),
    );
    expect(long.status).toBe(400);
    expect(await auditCommands()).toEqual([]);
  });

  it('saves, replaces and deletes searches', async () => {
    await saveSearch(store, { name: 'keys', query: 'api.operation:CreateAccessKey' });
    const taken = await rejection(
      saveSearch(store, { name: 'keys', query: 'api.operation:*AccessKey' }),
    );
    expect(taken.status).toBe(409);
    expect(taken.code).toBe('search_exists');
    expect((await savedSearches(store.reader))[0]?.query).toBe('api.operation:CreateAccessKey');
    await saveSearch(store, { name: 'keys', query: 'api.operation:*AccessKey', replace: true });
    expect((await savedSearches(store.reader)).map((s) => [s.name, s.query])).toEqual([
      ['keys', 'api.operation:*AccessKey'],
    ]);

    const invalid = await rejection(saveSearch(store, { name: 'bad', query: 'nofield:x' }));
    expect(invalid.status).toBe(400);
    expect(invalid.code).toBe('invalid_query');

    await deleteSearch(store, { name: 'keys' });
    expect(await savedSearches(store.reader)).toEqual([]);
    const gone = await rejection(deleteSearch(store, { name: 'keys' }));
    expect(gone.status).toBe(404);
    expect(gone.code).toBe('search_not_found');
    expect(await auditCommands()).toEqual([
      'serve save search 1',
      'serve save search 1',
      'serve delete search 1',
      'serve delete search 0',
    ]);
  });
});
