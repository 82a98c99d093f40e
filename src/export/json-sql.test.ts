import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonField,
  jsonObjectSql,
  TO_JSON_MAX_TEXT_BYTES,
  toJsonMaxBytes,
} from './json-sql.ts';

let connection: DuckDBConnection;

const C0 = Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join('');

// Texts with every character that JSON escapes, and some that it does not.
const TEXTS: readonly (string | null)[] = [
  'plain',
  '',
  null,
  C0,
  'quote " and backslash \\ and \\" both',
  '\\u0041 is not an escape here',
  'tab\there, newline\nhere, DEL \u007f, NEL \u0085',
  'é € 😀 \u2028 / </script>',
  `${'x'.repeat(3_000)}"`,
];

const FIELDS: readonly JsonField[] = [
  { name: 'text', sql: 'text', kind: 'text' },
  { name: 'count', sql: 'count', kind: 'literal' },
  { name: 'flag', sql: 'flag', kind: 'literal' },
  { name: 'port', sql: 'port', kind: 'literal' },
];

beforeAll(async () => {
  connection = await (await DuckDBInstance.create(':memory:')).connect();
  await connection.run(
    'CREATE TABLE t (id INTEGER, text VARCHAR, count BIGINT, flag BOOLEAN, port INTEGER)',
  );
  for (const [id, text] of TEXTS.entries()) {
    await connection.run('INSERT INTO t VALUES ($id, $text, $count, $flag, $port)', {
      id,
      text,
      count: id % 2 === 0 ? -9_007_199_254_740_993n : null,
      flag: id % 3 === 0 ? null : id % 3 === 1,
      port: id % 2 === 0 ? null : 443,
    });
  }
});

afterAll(() => {
  connection.closeSync();
});

async function lines(toJsonMaxBytes: number): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT ${jsonObjectSql(FIELDS, toJsonMaxBytes)} FROM t ORDER BY id`,
  );
  return reader.getRowsJS().map((row) => String(row[0]));
}

describe('jsonObjectSql', () => {
  it('writes wide rows with the bytes of to_json', async () => {
    const byToJson = await lines(Number.MAX_SAFE_INTEGER);
    const byStringFunctions = await lines(-1);

    expect(byStringFunctions).toEqual(byToJson);
  });

  it('writes JSON that parses back to the values', async () => {
    const parsed = (await lines(-1)).map((line) => JSON.parse(line) as { text: unknown });

    expect(parsed.map((row) => row.text)).toEqual(TEXTS);
    expect(parsed[1]).toEqual({ text: '', count: null, flag: true, port: 443 });
  });

  it('writes integers in full', async () => {
    const [first] = await lines(-1);

    expect(first).toBe('{"text":"plain","count":-9007199254740993,"flag":null,"port":null}');
  });
});

describe('toJsonMaxBytes', () => {
  it('keeps the full width for two threads', () => {
    expect(toJsonMaxBytes(256e6, 2)).toBe(TO_JSON_MAX_TEXT_BYTES);
    expect(toJsonMaxBytes(null, 64)).toBe(TO_JSON_MAX_TEXT_BYTES);
  });

  it('narrows with more threads', () => {
    // On every thread together, to_json takes about 2,048 × 10 times the text of a row.
    for (const threads of [4, 8]) {
      const bytes = toJsonMaxBytes(256e6, threads);
      expect(bytes).toBeLessThan(TO_JSON_MAX_TEXT_BYTES);
      expect(threads * 2_048 * 10 * (bytes + 700)).toBeLessThanOrEqual(256e6 * 0.6);
    }
    // Past that, every row is written with string functions.
    expect(toJsonMaxBytes(256e6, 64)).toBe(0);
    expect(toJsonMaxBytes(64e6, 8)).toBe(0);
  });
});
