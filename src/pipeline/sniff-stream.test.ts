import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { peekStream } from './peek.ts';
import { detectStreamFormat, SKIM_BYTES, SNIFF_BYTES } from './sniff-stream.ts';

const CHUNK = 16 * 1024;
/** Bytes that the streams may read ahead of the bytes peeked: a few chunks. */
const READ_AHEAD = 4 * CHUNK;

/** A stream of `opening`, then `filler` chunks without end, that counts the bytes taken. */
function endless(opening: string, filler: string) {
  const counter = { bytes: 0 };
  async function* chunks(): AsyncGenerator<Buffer> {
    const first = Buffer.from(opening);
    counter.bytes += first.length;
    yield first;
    const chunk = Buffer.from(filler.repeat(CHUNK / filler.length));
    for (;;) {
      counter.bytes += chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), counter };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('detectStreamFormat', () => {
  test('sniffs sorted CloudTrail lines after a long first field', async () => {
    const record = {
      addendum: { reason: 'r'.repeat(100_000) },
      awsRegion: 'us-east-1',
      eventName: 'GetObject',
      eventSource: 's3.amazonaws.com',
      eventTime: '2024-03-01T10:00:00Z',
      eventVersion: '1.08',
    };
    const text = `${JSON.stringify(record)}\n${JSON.stringify(record)}\n`;
    const peeked = await peekStream(Readable.from([Buffer.from(text)]), SNIFF_BYTES);
    const { format, stream } = await detectStreamFormat(peeked, 'events.jsonl');

    expect(format?.id).toBe('aws.cloudtrail');
    expect(await readAll(stream)).toBe(text);
  });

  test('reads at most the skimmed bytes of an endless string', async () => {
    const { stream: input, counter } = endless('{"note": "', 'x');
    const peeked = await peekStream(input, SNIFF_BYTES);
    const { format, stream } = await detectStreamFormat(peeked, 'x.json');
    stream.destroy();

    expect(format).toBeNull();
    expect(counter.bytes).toBeLessThanOrEqual(SKIM_BYTES + READ_AHEAD);
  });

  test('reads no further for a stream that is not JSON', async () => {
    const { stream: input, counter } = endless('plain text ', 'y');
    const peeked = await peekStream(input, SNIFF_BYTES);
    const { format, stream } = await detectStreamFormat(peeked, 'x.txt');
    stream.destroy();

    expect(format).toBeNull();
    expect(counter.bytes).toBeLessThanOrEqual(SNIFF_BYTES + READ_AHEAD);
  });
});
