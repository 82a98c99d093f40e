import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { splitEndpoint, splitFields } from './text-fields.ts';
import { headLines, type LineParser, scanTextRecords, scoreLines } from './text-lines.ts';
import type { RecordResult } from './types.ts';

// Takes each line as one field; rejects lines that start with `!` and skips lines that start
// with `#`.
const echo: LineParser = {
  parse(line) {
    if (line.startsWith('#')) return { kind: 'skip' };
    if (line.startsWith('!')) return { kind: 'rejected', code: 'bad_line', reason: 'marked bad' };
    return { kind: 'record', value: { line } };
  },
};

async function scan(
  chunks: (string | Buffer)[],
  options: { maxLineBytes?: number } = {},
): Promise<RecordResult[]> {
  const results: RecordResult[] = [];
  const input = Readable.from(chunks.map((chunk) => Buffer.from(chunk)));
  for await (const result of scanTextRecords(input, echo, options)) results.push(result);
  return results;
}

function failing(chunks: string[]): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      for (const chunk of chunks) yield Buffer.from(chunk);
      throw Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
    },
  };
}

describe('scanTextRecords', () => {
  it('gives each line its byte offset and line number across chunks', async () => {
    const results = await scan(['alpha\nbe', 'ta\r\n\n  \ngamma']);

    expect(results).toEqual([
      { kind: 'record', index: 0, offset: 0, line: 1, value: { line: 'alpha' } },
      { kind: 'record', index: 1, offset: 6, line: 2, value: { line: 'beta' } },
      { kind: 'record', index: 2, offset: 16, line: 5, value: { line: 'gamma' } },
    ]);
  });

  it('counts offsets in bytes, not characters', async () => {
    const results = await scan(['é\nb\n']);
    expect(results.map((result) => result.offset)).toEqual([0, 3]);
  });

  it('removes a byte order mark and keeps the offsets of the file', async () => {
    const results = await scan([
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a\nb')]),
    ]);
    expect(results[0]).toMatchObject({ offset: 3, value: { line: 'a' } });
    expect(results[1]).toMatchObject({ offset: 5, value: { line: 'b' } });
  });

  it('rejects a line the parser rejects and goes on', async () => {
    const results = await scan(['#header\n!bad\nok\n']);

    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({
      kind: 'rejected',
      index: 0,
      line: 2,
      offset: 8,
      code: 'bad_line',
      sample: '!bad',
    });
    expect(results[1]).toMatchObject({ kind: 'record', index: 1, line: 3 });
  });

  it('rejects an overlong line, split across chunks, and reads the next', async () => {
    const results = await scan(['short\n', 'x'.repeat(6), 'y'.repeat(6), 'z\nnext\n'], {
      maxLineBytes: 10,
    });

    expect(results.map((result) => result.kind)).toEqual(['record', 'rejected', 'record']);
    expect(results[1]).toMatchObject({ code: 'line_too_long', offset: 6, line: 2 });
    expect(results[2]).toMatchObject({ offset: 20, line: 3, value: { line: 'next' } });
  });

  it('lets a line of exactly the maximum end with CRLF', async () => {
    const results = await scan(['0123456789\r\n'], { maxLineBytes: 10 });
    expect(results).toEqual([
      { kind: 'record', index: 0, offset: 0, line: 1, value: { line: '0123456789' } },
    ]);
  });

  it('ends with one rejection when the stream fails', async () => {
    const results: RecordResult[] = [];
    for await (const result of scanTextRecords(failing(['a\nb']), echo)) results.push(result);

    expect(results).toHaveLength(2);
    expect(results[1]).toMatchObject({
      kind: 'rejected',
      code: 'gzip_truncated',
      offset: 2,
      line: 2,
    });
  });
});

describe('headLines', () => {
  it('leaves out a line cut by the end of the head', () => {
    expect(headLines(Buffer.from('a b\r\n\nc d\ne f'), 5)).toEqual(['a b', 'c d']);
    expect(headLines(Buffer.from('only line'), 5)).toEqual(['only line']);
  });
});

describe('scoreLines', () => {
  const isDigits = (line: string) => /^\d+$/.test(line);

  it('lowers the score for a few damaged lines', () => {
    expect(scoreLines(['1', '2', '3'], isDigits, 0.9)).toBe(0.9);
    expect(scoreLines(['1', 'x', '3'], isDigits, 0.9)).toBeCloseTo(0.7);
  });

  it('scores zero when the first line or most lines fail', () => {
    expect(scoreLines(['x', '2', '3'], isDigits, 0.9)).toBe(0);
    expect(scoreLines(['1', 'x', 'y'], isDigits, 0.9)).toBe(0);
    expect(scoreLines([], isDigits, 0.9)).toBe(0);
  });
});

describe('splitFields', () => {
  it('reads quoted and bracketed fields', () => {
    const line = 'own bkt [01/Aug/2019:00:24:41 +0000] "GET /a b HTTP/1.1" - "x  y"';
    expect(splitFields(line, { brackets: true })).toEqual([
      'own',
      'bkt',
      '01/Aug/2019:00:24:41 +0000',
      'GET /a b HTTP/1.1',
      '-',
      'x  y',
    ]);
  });

  it('ends a quoted field only at a quote before a space', () => {
    expect(splitFields('"h2","http/1.1" next')).toEqual(['h2","http/1.1', 'next']);
  });

  it('keeps brackets as text unless asked', () => {
    expect(splitFields('[a](b) c')).toEqual(['[a](b)', 'c']);
  });

  it('rejects an unterminated quote', () => {
    expect(splitFields('a "b c')).toMatchObject({ code: 'unterminated_quote' });
    expect(splitFields('a [b c', { brackets: true })).toMatchObject({
      code: 'unterminated_bracket',
    });
  });
});

describe('splitEndpoint', () => {
  it('splits IPv4 and bracketed IPv6 endpoints', () => {
    expect(splitEndpoint('192.0.2.1:443')).toEqual({ ip: '192.0.2.1', port: 443 });
    expect(splitEndpoint('[2001:db8::1]:80')).toEqual({ ip: '2001:db8::1', port: 80 });
    expect(splitEndpoint('-')).toEqual({ ip: null, port: null });
  });
});
