import type { Readable } from 'node:stream';
import { type JsonRecordOptions, scanJsonRecords } from './json-records.ts';
import { type LineParser, scanTextRecords } from './text-lines.ts';
import type { RecordResult } from './types.ts';

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const BYTE_ORDER_MARK = new Set([0xef, 0xbb, 0xbf]);

/**
 * Streams the records of a log that comes as text lines or as a JSON rendering of the same
 * records, such as the JSON lines that log pipelines write. A stream whose first byte after
 * whitespace and a byte order mark is `{` or `[` is read as JSON, any other as text lines.
 */
export async function* scanTextOrJsonRecords(
  input: Readable | AsyncIterable<Buffer | string>,
  parser: LineParser,
  jsonOptions: JsonRecordOptions = {},
): AsyncGenerator<RecordResult> {
  const iterator = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let first: number | null = null;
  let failure: { error: unknown } | null = null;

  try {
    while (first === null) {
      const next = await iterator.next();
      if (next.done === true) break;
      const bytes = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      head.push(bytes);
      first = firstSignificantByte(bytes, head.length === 1);
    }
  } catch (error) {
    // The scanner that reads the replayed chunks reports the failure with its location.
    failure = { error };
  }

  const replay = replayStream(head, iterator, failure);
  if (first === 0x7b || first === 0x5b) {
    yield* scanJsonRecords(replay, jsonOptions);
    return;
  }
  yield* scanTextRecords(replay, parser);
}

function firstSignificantByte(bytes: Buffer, atStart: boolean): number | null {
  let i = 0;
  if (atStart) while (i < 3 && BYTE_ORDER_MARK.has(bytes[i] ?? -1)) i++;
  for (; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (!WHITESPACE.has(byte)) return byte;
  }
  return null;
}

async function* replayStream(
  head: Buffer[],
  iterator: AsyncIterator<Buffer | string>,
  failure: { error: unknown } | null,
): AsyncGenerator<Buffer | string> {
  yield* head;
  if (failure !== null) throw failure.error;

  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return;
    yield next.value;
  }
}
