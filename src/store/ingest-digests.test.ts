import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '../core/event.ts';
import { CaseDb } from './case-db.ts';
import { eventRowValues } from './event-row.ts';
import { IngestDigests } from './ingest-digests.ts';
import { storedDigests } from './stored-digests.ts';
import { testEvent } from './test-events.ts';

const sha = (letter: string): string => letter.repeat(64);

// Builds an event of item `item` (a letter) with the given member and record.
function itemEvent(
  item: string,
  member: string | null,
  record: number,
  overrides: Partial<Event> = {},
): Event {
  const evidence = { sha256: sha(item), member, record, offset: record * 10 };
  return testEvent(record, { evidence, ...overrides });
}

const base = testEvent(0);

// Streams in ingest order: each is one item's member with its events in record order.
const STREAMS: { item: string; member: string | null; events: Event[] }[] = [
  {
    item: 'a',
    member: null,
    events: [
      itemEvent('a', null, 0, { time: '2024-05-01T12:00:00.100Z', tags: [] }),
      itemEvent('a', null, 1, {
        time: '2024-05-01T12:00:00.120Z',
        message: 'caf\u00e9 \u{1f600} \u0000 nul\ttab',
        status_detail: 'AccessDenied',
        metadata_uid: 'req-1',
      }),
      itemEvent('a', null, 2, {
        time: '0999-12-31T23:59:59.123Z',
        actor: { ...base.actor, mfa: true, session: null, uid: null },
        src: { ip: null, port: null, domain: 'example.com', bytes: 1500, packets: 0 },
        dst: { ip: '10.0.0.1', port: 65535, domain: null, bytes: -7, packets: 99999999999999 },
        api: { ...base.api, read_only: null },
      }),
      itemEvent('a', null, 5, { resources: [], tags: ['a/b', 'x y'] }),
    ],
  },
  {
    item: 'b',
    member: 'logs/2024/05/01.json',
    events: [itemEvent('b', 'logs/2024/05/01.json', 3), itemEvent('b', 'logs/2024/05/01.json', 7)],
  },
  { item: 'c', member: null, events: [] },
  // Each of these leaves its item to the database.
  { item: 'd', member: null, events: [itemEvent('d', null, 0, { message: 'lone \ud800 half' })] },
  {
    item: 'e',
    member: null,
    events: [itemEvent('e', null, 0, { src: { ...base.src, bytes: 1e16 } })],
  },
  { item: 'f', member: null, events: [itemEvent('f', null, 0, { tags: ['say "hi"'] })] },
  { item: 'g', member: 'one.json', events: [itemEvent('g', 'one.json', 0)] },
  { item: 'g', member: 'two.json', events: [itemEvent('g', 'two.json', 0)] },
  { item: 'h', member: null, events: [itemEvent('h', null, 4), itemEvent('h', null, 2)] },
];

let work: string;
let db: CaseDb;

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cloudcase-ingest-digests-'));
  db = await CaseDb.open(work);
});

afterEach(async () => {
  await db.close();
  await rm(work, { recursive: true, force: true });
});

describe('IngestDigests', () => {
  it('matches the digests of the stored rows', async () => {
    const digests = new IngestDigests();
    const writer = await db.eventWriter();
    for (const { item, member, events } of STREAMS) {
      digests.beginStream(sha(item), member);
      for (const event of events) {
        const row = eventRowValues(event);
        digests.addRow(row);
        writer.appendRow(row);
      }
    }
    await writer.close();
    const connection = await db.connect();
    const stored = await storedDigests(connection).finally(() => connection.closeSync());
    const computed = digests.digests();

    expect([...computed.keys()].sort()).toEqual([sha('a'), sha('b'), sha('c')]);
    for (const item of ['a', 'b']) {
      const { events, digest } = stored.get(sha(item)) ?? {};
      expect(computed.get(sha(item))).toEqual({ events, digest });
    }
    expect(computed.get(sha('c'))?.events).toBe(0);
  });

  it('leaves an item read before to the database', () => {
    const digests = new IngestDigests();
    digests.readStored(sha('a'));
    digests.beginStream(sha('a'), 'second.json');
    digests.addRow(eventRowValues(itemEvent('a', 'second.json', 0)));

    expect(digests.digests().size).toBe(0);
  });
});
