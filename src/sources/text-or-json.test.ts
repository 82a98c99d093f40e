import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LineParser } from './text-lines.ts';
import { scanTextOrJsonRecords } from './text-or-json.ts';
import type { RecordResult } from './types.ts';

const words: LineParser = {
  parse: (line) => ({ kind: 'record', value: { words: line.split(' ') } }),
};

async function scan(input: AsyncIterable<Buffer | string>): Promise<RecordResult[]> {
  const results: RecordResult[] = [];
  for await (const result of scanTextOrJsonRecords(input, words)) results.push(result);
  return results;
}

function chunks(...parts: (string | Buffer)[]): Readable {
  return Readable.from(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

describe('scanTextOrJsonRecords', () => {
  it('reads JSON lines after whitespace and a byte order mark', async () => {
    const mark = Buffer.from([0xef, 0xbb, 0xbf]);
    const results = await scan(chunks(mark, '  \n', '{"a":1}\n{"a":2}'));

    expect(results.map((result) => result.kind === 'record' && result.value)).toEqual([
      { a: 1 },
      { a: 2 },
    ]);
  });

  it('reads text lines with their own parser', async () => {
    const results = await scan(chunks('a b\n', 'c\n'));
    expect(results.map((result) => result.kind === 'record' && result.value)).toEqual([
      { words: ['a', 'b'] },
      { words: ['c'] },
    ]);
  });

  it('reports a stream that fails before its first byte', async () => {
    const failing: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        yield Buffer.from('   ');
        throw Object.assign(new Error('corrupt'), { code: 'Z_DATA_ERROR' });
      },
    };
    const results = await scan(failing);

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ kind: 'rejected', code: 'gzip_invalid' });
  });
});
