import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeUtf16, looksLikeUtf16, utf16ByteOrder } from './utf16-stream.ts';

const TEXT = '{"eventName":"GetCallerIdentity","userName":"jürgen 😀"}\n';

function withMark(text: string, encoding: 'utf-16le' | 'utf-16be'): Buffer {
  const bytes = Buffer.concat([Buffer.from('\ufeff', 'utf16le'), Buffer.from(text, 'utf16le')]);
  return encoding === 'utf-16be' ? bytes.swap16() : bytes;
}

// One byte per chunk, so code units and surrogate pairs are split between chunks.
function byteChunks(bytes: Buffer): Readable {
  return Readable.from(
    Array.from(bytes, (byte) => Buffer.from([byte])),
    { objectMode: false },
  );
}

async function collect(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('utf16ByteOrder', () => {
  it('reads the mark of each byte order', () => {
    expect(utf16ByteOrder(withMark('{}', 'utf-16le'))).toBe('utf-16le');
    expect(utf16ByteOrder(withMark('{}', 'utf-16be'))).toBe('utf-16be');
  });

  it('ignores UTF-8 and UTF-32LE marks', () => {
    expect(utf16ByteOrder(Buffer.from('\ufeff{}', 'utf8'))).toBeNull();
    expect(utf16ByteOrder(Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0]))).toBeNull();
    expect(utf16ByteOrder(Buffer.from('{}'))).toBeNull();
  });
});

describe('decodeUtf16', () => {
  it('decodes little-endian split bytes', async () => {
    const text = await collect(decodeUtf16(byteChunks(withMark(TEXT, 'utf-16le')), 'utf-16le'));

    expect(text).toBe(TEXT);
  });

  it('decodes big-endian split bytes', async () => {
    const text = await collect(decodeUtf16(byteChunks(withMark(TEXT, 'utf-16be')), 'utf-16be'));

    expect(text).toBe(TEXT);
  });

  it('replaces a lone surrogate', async () => {
    const bytes = withMark('a\ud800b', 'utf-16le');
    const text = await collect(decodeUtf16(Readable.from([bytes]), 'utf-16le'));

    expect(text).toBe('a\ufffdb');
  });

  it('passes an input error on after the text', async () => {
    const failure = new Error('read failed');
    async function* failing() {
      yield withMark('{}', 'utf-16le');
      throw failure;
    }
    const chunks: string[] = [];
    const decoded = decodeUtf16(Readable.from(failing(), { objectMode: false }), 'utf-16le');

    await expect(async () => {
      for await (const chunk of decoded) chunks.push((chunk as Buffer).toString('utf8'));
    }).rejects.toBe(failure);
    expect(chunks.join('')).toBe('{}');
  });
});

describe('looksLikeUtf16', () => {
  it('recognises ASCII JSON in UTF-16 without a mark', () => {
    const little = Buffer.from(TEXT, 'utf16le');

    expect(looksLikeUtf16(little)).toBe(true);
    expect(looksLikeUtf16(Buffer.from(little).swap16())).toBe(true);
  });

  it('rejects UTF-8 text and binary data', () => {
    expect(looksLikeUtf16(Buffer.from(TEXT, 'utf8'))).toBe(false);
    expect(looksLikeUtf16(Buffer.alloc(64))).toBe(false);
  });
});
