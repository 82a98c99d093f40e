import { describe, expect, it } from 'vitest';
import { MAX_GZIP_HEADER_BYTES, parseGzipHeader } from './gzip-member.ts';

const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;

// A member header with an extra field of `extra` bytes and a file name of `name` bytes.
function header(extra: number, name: number): Buffer {
  const fixed = Buffer.from([0x1f, 0x8b, 0x08, FLAG_EXTRA | FLAG_NAME, 0, 0, 0, 0, 0, 0xff]);
  const length = Buffer.alloc(2);
  length.writeUInt16LE(extra);
  return Buffer.concat([
    fixed,
    length,
    Buffer.alloc(extra, 1),
    Buffer.alloc(name, 0x61),
    Buffer.from([0]),
  ]);
}

describe('parseGzipHeader', () => {
  it('reads a long header whole or in pieces alike', () => {
    const bytes = header(65_535, 70_000);

    expect(parseGzipHeader(bytes)).toBe(bytes.length);
    expect(parseGzipHeader(bytes.subarray(0, 100_000))).toBeNull();
  });

  it('rejects a header over the cap however it arrives', () => {
    const bytes = header(10, MAX_GZIP_HEADER_BYTES);

    expect(parseGzipHeader(bytes)).toBeInstanceOf(Error);
    expect(parseGzipHeader(bytes.subarray(0, MAX_GZIP_HEADER_BYTES + 1))).toBeInstanceOf(Error);
  });
});
