import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { CaseReader } from './case-reader.ts';
import { compileQuery } from './query-compile.ts';

let caseDir: string;
let db: CaseDb;
let reader: CaseReader;

// Record 0 is the text on which backtracking wildcard matchers take exponential time: many
// characters that each wildcard segment matches, and no `b` to end the match.
const EVENTS = [
  testEvent(0, { message: 'a'.repeat(2000), tags: ['rule-tag'] }),
  testEvent(1, { message: 'cost (1+1) is $2 [x] {y} a|b ^c', tags: ['lateral.movement'] }),
  testEvent(2, { message: 'line one\nline TWO', tags: ['lateralXmovement'] }),
];

beforeAll(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-wildcards-'));
  db = await CaseDb.open(caseDir);
  const writer = await db.eventWriter();
  for (const event of EVENTS) writer.append(event);
  await writer.close();
  reader = new CaseReader(await db.connect());
});

afterAll(async () => {
  await reader.close();
  await db.close();
  await rm(caseDir, { recursive: true, force: true });
});

async function records(query: string): Promise<number[]> {
  const condition = compileQuery(query);
  const rows = await reader.all(
    `SELECT evidence_record FROM events WHERE ${condition.sql} ORDER BY evidence_record`,
    condition.params,
  );
  return rows.map((row) => Number(row.evidence_record));
}

describe('workbench query wildcards', () => {
  it('completes many wildcards over a long text', async () => {
    expect(await records(`message:${'*a'.repeat(12)}*b`)).toEqual([]);
    expect(await records(`raw:${'*a'.repeat(12)}*b`)).toEqual([]);
    expect(await records(`${'a*'.repeat(12)}a`)).toEqual([0]);
  });

  it.each([
    ['message:*(1+1)*', [1]],
    ['message:cost*$2*', [1]],
    ['message:*[x]*{y}*', [1]],
    ['message:*a|b*', [1]],
    ['message:*^c', [1]],
    ['message:co?t*', [1]],
    ['message:c.st*', []],
    ['message:*ONE?LINE*', [2]],
    ['"(1+1)" is*', [1]],
    ['tag:lateral.*', [1]],
    ['tag:lateral?movement', [1, 2]],
    ['tag:RULE-*', [0]],
  ])('%s selects %j', async (query, expected) => {
    expect(await records(query)).toEqual(expected);
  });
});
