import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyEndpoint } from '../core/event.ts';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { CaseReader } from './case-reader.ts';
import { compileQuery } from './query-compile.ts';
import { MAX_QUERY_LENGTH, parseQuery, QueryError } from './query-parse.ts';

let caseDir: string;
let db: CaseDb;
let reader: CaseReader;

// Record n of the test events is at 2024-05-01T12:00:0n; the overrides give each a shape.
const EVENTS = [
  testEvent(0),
  testEvent(1, { status: 'failure', message: 'bob failed 100% of logins' }),
  testEvent(2, {
    api: { service: 'sts', operation: 'AssumeRole', request_id: null, read_only: false },
  }),
  testEvent(3, { src: { ...emptyEndpoint(), ip: '198.51.100.9', port: 8080 }, tags: [] }),
  testEvent(4, { time: '2024-05-02T08:30:00.000Z', message: "quote ' OR 1=1 -- end" }),
];

beforeAll(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-query-'));
  db = await CaseDb.open(caseDir);
  const writer = await db.eventWriter();
  for (const event of EVENTS) writer.append(event);
  await writer.close();
  reader = new CaseReader(await db.connect());
  await reader.all(
    `INSERT INTO event_marks VALUES ($uid, 'tag', 'Lateral', 'tester', now()::TIMESTAMP),
       ($uid, 'star', '', 'tester', now()::TIMESTAMP)`,
    { uid: EVENTS[3]?.uid ?? '' },
  );
});

afterAll(async () => {
  await reader.close();
  await db.close();
  await rm(caseDir, { recursive: true, force: true });
});

// The record indexes of the events a query selects, in order.
async function records(query: string): Promise<number[]> {
  const condition = compileQuery(query);
  const rows = await reader.all(
    `SELECT evidence_record FROM events WHERE ${condition.sql} ORDER BY evidence_record`,
    condition.params,
  );
  return rows.map((row) => Number(row.evidence_record));
}

describe('workbench query language', () => {
  it.each([
    ['', [0, 1, 2, 3, 4]],
    ['failed', [1]],
    ['api.operation:assumerole', [2]],
    ['api.operation:Create*', [0, 1, 3, 4]],
    ['api.operation:Assume?ole', [2]],
    ['status:failure OR api.operation:AssumeRole', [1, 2]],
    ['status:success api.operation:CreateAccessKey', [0, 3, 4]],
    ['status:failure OR src.port:8080 api.operation:CreateAccessKey', [1, 3]],
    ['(status:failure OR src.port:8080) AND NOT api.operation:AssumeRole', [1, 3]],
    ['-status:success', [1]],
    ['NOT (status:success)', [1]],
    ['time:2024-05-02', [4]],
    ['time>=2024-05-01T12:00:02Z', [2, 3, 4]],
    ['time:2024-05-01T12:00:01..2024-05-01T12:00:03', [1, 2, 3]],
    ['time:2024-05-01T12:00', [0, 1, 2, 3]],
    ['src.ip:198.51.100.0/24', [3]],
    ['src.ip:203.0.113.7', [0, 1, 2, 4]],
    ['src.port:8000..9000', [3]],
    ['src.port>443', [3]],
    ['"100%"', [1]],
    ['message:"*"', []],
    ['tag:lateral', [3]],
    ['tag:test', [0, 1, 2, 4]],
    ['star:true', [3]],
    ['star:false', [0, 1, 2, 4]],
    ['raw:eventVersion', [0, 1, 2, 3, 4]],
    ['resource:"user/bob"', [0, 1, 2, 3, 4]],
    ['actor.mfa:false', [0, 1, 2, 3, 4]],
  ])('%s selects %j', async (query, expected) => {
    expect(await records(query)).toEqual(expected);
  });

  it('binds every value as a parameter', async () => {
    const condition = compileQuery('message:"quote \' OR 1=1 -- end"');
    expect(condition.sql).not.toContain('1=1');
    expect(Object.values(condition.params)).toContain("quote ' OR 1=1 -- end");
    expect(await records('message:"quote \' OR 1=1 -- end"')).toEqual([4]);
    expect(await records("' OR 1=1 --")).toEqual([4]);
  });

  it('parses AND tighter than OR', () => {
    expect(parseQuery('a OR b c')).toMatchObject({
      type: 'or',
      children: [{ type: 'term', value: 'a' }, { type: 'and' }],
    });
  });

  it.each([
    ['foo:bar', /unknown field foo/, 0],
    ['status:ok "open', /not closed/, 10],
    ['(status:ok', /parenthesis is not closed/, 0],
    ['status:ok)', /unexpected \)/, 9],
    ['status:ok OR', /query ends/, 12],
    ['src.port:http', /whole number/, 0],
    ['time:yesterday', /ISO 8601/, 0],
    ['status>=x', /no >= comparison/, 0],
    ['src.ip:1.2.3.4/99', /CIDR/, 0],
    ['star:maybe', /true or false/, 0],
  ])('rejects %s', (query, message, position) => {
    let error: unknown;
    try {
      compileQuery(query);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(message);
    expect((error as QueryError).position).toBe(position);
  });

  it('rejects an over-long or deeply nested query', () => {
    expect(() => parseQuery('a'.repeat(MAX_QUERY_LENGTH + 1))).toThrow(/longer than/);
    expect(() => parseQuery(`${'('.repeat(40)}a${')'.repeat(40)}`)).toThrow(/nests deeper/);
    expect(() => parseQuery(Array.from({ length: 70 }, (_, i) => `w${i}`).join(' '))).toThrow(
      /more than 64 terms/,
    );
  });
});

describe('workbench query of records stored in parts', () => {
  // Records over 16,384 code units are stored in parts with `raw` NULL in their row. The first
  // part of record 1 ends within "boundary-needle": its JSON text starts with `{"a":"` and the
  // padding, then `","b":"`, so the value starts at code unit 16,380.
  const SPLIT = [
    testEvent(0, { raw: { a: 'x'.repeat(20_000), b: 'deep-needle' } }),
    testEvent(1, { raw: { a: 'x'.repeat(16_367), b: 'boundary-needle', c: 'y'.repeat(20_000) } }),
    testEvent(2, { raw: { a: 'x'.repeat(20_000) } }),
    testEvent(3, { raw: { b: 'deep-needle' } }),
  ];
  let splitDir: string;
  let splitDb: CaseDb;
  let splitReader: CaseReader;

  beforeAll(async () => {
    splitDir = await mkdtemp(join(tmpdir(), 'cloudcase-query-'));
    splitDb = await CaseDb.open(splitDir);
    const writer = await splitDb.eventWriter();
    for (const event of SPLIT) writer.append(event);
    await writer.close();
    splitReader = new CaseReader(await splitDb.connect());
  });

  afterAll(async () => {
    await splitReader.close();
    await splitDb.close();
    await rm(splitDir, { recursive: true, force: true });
  });

  it.each([
    ['raw:deep-needle', [0, 3]],
    ['raw:boundary-needle', [1]],
    ['raw:"boundary-needle"', [1]],
    ['raw:boundary*needle', [1]],
    ['raw:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', [0, 1, 2]],
    ['NOT raw:needle', [2]],
  ])('%s selects %j', async (query, expected) => {
    const condition = compileQuery(query);
    const rows = await splitReader.all(
      `SELECT evidence_record FROM events WHERE ${condition.sql} ORDER BY evidence_record`,
      condition.params,
    );

    expect(rows.map((row) => Number(row.evidence_record))).toEqual(expected);
  });

  it('splits the boundary record within its needle', async () => {
    const [part] = await splitReader.all(
      `SELECT p.text FROM event_raw_parts p JOIN events e ON e.raw_key = p.raw_key
       WHERE e.evidence_record = 1 AND p.part = 0`,
    );

    expect(String(part?.text).endsWith('"boun')).toBe(true);
  });
});
