import type { Readable } from 'node:stream';
import { CloudcaseError } from '../core/errors.ts';
import { JsonScanner } from './json-scanner.ts';
import type { RecordResult } from './types.ts';

/** Default maximum size of one record: 64 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Settings of `scanJsonRecords`. */
export interface JsonRecordOptions {
  /**
   * Keys of a top-level object whose array value contains the records, such as `Records` (CloudTrail
   * S3 delivery) or `Events` (`aws cloudtrail lookup-events`). Default: none.
   */
  recordKeys?: readonly string[];
  /** Maximum size of one record in bytes; larger records are rejected. Default: 64 MiB. */
  maxRecordBytes?: number;
}

/**
 * Streams the JSON records of a byte stream (RFC 8259 JSON) without loading it whole. The shape
 * is recognised from the bytes: JSON Lines (jsonlines.org: one value per line, blank lines
 * skipped), a top-level array whose elements are the records, or an object whose array under one
 * of `recordKeys` holds the records; these may follow one another in one stream.
 *
 * Memory is bounded by the largest record plus one chunk. Malformed records become `rejected`
 * results with a code and location and the scan resumes at the next line (JSON lines) or the next
 * element (arrays). A stream error ends the scan with one rejection for the unread remainder.
 */
export async function* scanJsonRecords(
  input: Readable | AsyncIterable<Buffer | string>,
  options: JsonRecordOptions = {},
): AsyncGenerator<RecordResult> {
  const scanner = new JsonScanner({
    recordKeys: options.recordKeys ?? [],
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
  });

  let started = false;
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      if (!started && bytes.length > 0) {
        started = true;
        bytes = withoutByteOrderMark(bytes);
      }
      yield* scanner.push(bytes);
    }
  } catch (error) {
    yield* scanner.fail(streamErrorCode(error), streamErrorReason(error));
    return;
  }

  yield* scanner.end();
}

// NOTE: a byte order mark split across the first two chunks is not removed; the scanner then
// rejects the first line as invalid JSON.
function withoutByteOrderMark(bytes: Buffer): Buffer {
  const hasMark = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return hasMark ? bytes.subarray(3) : bytes;
}

/**
 * Maps a stream error to a rejection code. A `CloudcaseError` keeps its own code. zlib reports a gzip member cut short as
 * `Z_BUF_ERROR` ("unexpected end of file") and corrupt data as `Z_DATA_ERROR`.
 */
export function streamErrorCode(error: unknown): string {
  if (error instanceof CloudcaseError) return error.code;

  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'Z_BUF_ERROR') return 'gzip_truncated';
  if (code === 'Z_DATA_ERROR') return 'gzip_invalid';
  if (typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code)) return code.toLowerCase();

  return 'read_failed';
}

// A CloudcaseError's message is written by cloudcase and never quotes log content, so it is
// kept. Other errors may quote the input, so only a fixed reason is given for them.
function streamErrorReason(error: unknown): string {
  if (error instanceof CloudcaseError) return error.message;

  const code = streamErrorCode(error);
  if (code === 'gzip_truncated') return 'the gzip stream ends early, so the rest was not read';
  if (code === 'gzip_invalid') return 'the gzip stream is corrupt, so the rest was not read';

  return 'reading the input failed, so the rest was not read';
}
