import type { Readable } from 'node:stream';
import { CloudcaseError } from '../core/errors.ts';
import type { EventMatch } from '../detect/types.ts';
import { FORMATS } from '../sources/index.ts';
import { streamErrorCode } from '../sources/json-records.ts';
import type { RecordRejected, SourceFormat } from '../sources/types.ts';
import type { EventWriter } from '../store/index.ts';
import type { IngestDigests } from '../store/ingest-digests.ts';
import type { CopiesCheck } from '../store/stored-copies.ts';
import type { ParsedBatch } from './parse-messages.ts';
import type { ParserThread } from './parser-thread.ts';
import { type Peeked, peekStream } from './peek.ts';
import { detectStreamFormat, SNIFF_BYTES } from './sniff-stream.ts';
import type { RejectedRecord, StreamSummary } from './types.ts';
import { decodeUtf16, looksLikeUtf16, utf16ByteOrder } from './utf16-stream.ts';

/** Destinations of a stream's events, matches and rejections. */
export interface StreamSinks {
  writer: EventWriter;
  /** Parses, normalizes and matches the records, on a thread of its own. */
  parser: ParserThread;
  onMatches(matches: EventMatch[]): Promise<void>;
  onRejected(record: RejectedRecord): Promise<void>;
  onRecord(): void;
  /** Folds the stored digest of each item from the rows as they are stored. */
  digests?: IngestDigests;
  /** Checks the stored copies of each CloudTrail row as it is stored. */
  copies?: CopiesCheck;
}

/** One decompressed log stream of an evidence item, with where it came from. */
export interface StreamInput {
  path: string;
  sha256: string;
  member: string | null;
  stream: Readable;
}

/**
 * Recognises the format of one log stream, parses it record by record, normalizes, matches and
 * stores each event. A stream whose format is not recognised counts as one rejected record, so
 * that records read always equal stored plus rejected and nothing is dropped without a trace.
 */
export async function ingestStream(input: StreamInput, sinks: StreamSinks): Promise<StreamSummary> {
  const summary: StreamSummary = {
    path: input.path,
    sha256: input.sha256,
    member: input.member,
    format: null,
    read: 0,
    stored: 0,
    rejected: 0,
    error: null,
  };
  sinks.digests?.beginStream(input.sha256, input.member);
  const peeked = await peekUtf8(input.stream);
  const { head, error } = peeked;
  if (head.length === 0) {
    peeked.stream.destroy();
    if (error !== null) await rejectWholeStream(input, summary, sinks, streamFailure(error));
    return summary;
  }

  const { format, stream } = await detectStreamFormat(peeked, input.member ?? input.path);
  if (!format) {
    stream.destroy();
    await rejectWholeStream(input, summary, sinks, unknownFormat(head), head);
    return summary;
  }

  summary.format = format.id;
  await parseRecords(format, stream, input, summary, sinks);

  return summary;
}

/**
 * Peeks at the first bytes of a stream. A stream with a UTF-16 byte order mark is decoded to
 * UTF-8 first, so every parser reads it as UTF-8 text and its offsets count bytes of that text.
 */
async function peekUtf8(stream: Readable): Promise<Peeked> {
  const peeked = await peekStream(stream, SNIFF_BYTES);
  const encoding = utf16ByteOrder(peeked.head);
  if (encoding === null) return peeked;

  return peekStream(decodeUtf16(peeked.stream, encoding), SNIFF_BYTES);
}

function unknownFormat(head: Buffer): { code: string; reason: string } {
  if (looksLikeUtf16(head)) {
    return {
      code: 'utf16_unsupported',
      reason:
        'the file looks like UTF-16 text without a byte order mark, which is not decoded; ' +
        'convert it to UTF-8, such as with `iconv -f UTF-16LE -t UTF-8` (or UTF-16BE)',
    };
  }
  const reason = `format not recognised; supported formats: ${FORMATS.map((f) => f.id).join(', ')}`;
  return { code: 'unknown_format', reason };
}

async function parseRecords(
  format: SourceFormat,
  stream: Readable,
  input: StreamInput,
  summary: StreamSummary,
  sinks: StreamSinks,
): Promise<void> {
  const source = { path: input.path, sha256: input.sha256, member: input.member };
  const result = await sinks.parser.parse(format.id, stream, source, {
    onBatch: (batch) => storeBatch(batch, sinks),
  });
  summary.read = result.read;
  summary.stored = result.stored;
  summary.rejected = result.rejected;
  summary.error = result.error;
}

async function storeBatch(batch: ParsedBatch, sinks: StreamSinks): Promise<void> {
  for (let i = 0; i < batch.read; i++) sinks.onRecord();
  for (const record of batch.rejected) await sinks.onRejected(record);
  for (const row of batch.rows) {
    // Before the append, which converts the row in place.
    sinks.digests?.addRow(row);
    sinks.copies?.addRow(row);
    if (!sinks.writer.appendRow(row)) await sinks.writer.drain();
  }
  if (batch.matches.length > 0) await sinks.onMatches(batch.matches);
}

function rejectedRow(input: StreamInput, record: RecordRejected): RejectedRecord {
  const { kind: _kind, ...rest } = record;
  return { ...rest, path: input.path, sha256: input.sha256, member: input.member };
}

/** Counts a stream that yields no record at all as one rejected record, so it is not lost. */
async function rejectWholeStream(
  input: StreamInput,
  summary: StreamSummary,
  sinks: StreamSinks,
  failure: { code: string; reason: string },
  head: Buffer = Buffer.alloc(0),
): Promise<void> {
  summary.error = failure;
  summary.read = 1;
  summary.rejected = 1;
  await sinks.onRejected(
    rejectedRow(input, {
      kind: 'rejected',
      index: 0,
      offset: 0,
      line: 1,
      ...failure,
      sample: head.subarray(0, 120).toString('utf8'),
    }),
  );
}

function streamFailure(error: unknown): { code: string; reason: string } {
  const code = streamErrorCode(error);
  const reason =
    error instanceof CloudcaseError ? error.message : `reading the stream failed (${code})`;
  return { code, reason };
}
