import type { Readable } from 'node:stream';
import { CloudcaseError } from '../core/errors.ts';
import { streamErrorCode } from './json-records.ts';
import type { RecordResult } from './types.ts';

/** Default maximum length of one line: 1 MiB, far above any AWS log line. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * Key under which a text format keeps the original line in a record's `raw` object, beside the
 * named fields. No AWS text log has a field of that name.
 */
export const RAW_LINE_KEY = 'original';

/** Characters of a rejected line kept as its sample. */
const SAMPLE_CHARS = 200;
const LF = 0x0a;
const CR = 0x0d;

/** Result of parsing one line of text. */
export type LineParse =
  | { kind: 'record'; value: Record<string, unknown> }
  /** A line that is no record, such as a header naming the fields; it is not counted. */
  | { kind: 'skip' }
  | { kind: 'rejected'; code: string; reason: string };

/**
 * Parses the lines of one stream in order. A parser may keep state between lines, such as the
 * field names a header line declares, so `scanTextRecords` makes a new one per stream.
 */
export interface LineParser {
  parse(line: string): LineParse;
}

/** Settings of `scanTextRecords`. */
export interface TextRecordOptions {
  /** Maximum length of one line in bytes, without its line break. Default: 1 MiB. */
  maxLineBytes?: number;
}

/**
 * Streams the records of a line-oriented text log: one record per line, LF or CRLF line breaks,
 * blank lines skipped, a UTF-8 byte order mark at the start removed. Memory is bounded by the
 * longest line allowed plus one chunk. A line longer than the maximum, or one the parser
 * rejects, becomes a `rejected` result with its location and the scan goes on at the next line.
 * A stream error ends the scan with one rejection for the unread remainder.
 */
export async function* scanTextRecords(
  input: Readable | AsyncIterable<Buffer | string>,
  parser: LineParser,
  options: TextRecordOptions = {},
): AsyncGenerator<RecordResult> {
  const splitter = new LineSplitter(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  let index = 0;

  const emit = function* (found: FoundLine): Generator<RecordResult> {
    const { offset, line } = found;
    if (found.kind === 'too_long') {
      const reason = `the line is longer than ${splitter.maxLineBytes} bytes`;
      yield {
        kind: 'rejected',
        index: index++,
        offset,
        line,
        code: 'line_too_long',
        reason,
        sample: found.sample,
      };
      return;
    }
    if (found.text.trim() === '') return;

    const parsed = parser.parse(found.text);
    if (parsed.kind === 'skip') return;
    if (parsed.kind === 'rejected') {
      const { code, reason } = parsed;
      const sample = found.text.slice(0, SAMPLE_CHARS);
      yield { kind: 'rejected', index: index++, offset, line, code, reason, sample };
      return;
    }
    yield { kind: 'record', index: index++, offset, line, value: parsed.value };
  };

  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (const found of splitter.push(bytes)) yield* emit(found);
    }
  } catch (error) {
    const { offset, line } = splitter.position();
    const code = streamErrorCode(error);
    const reason = streamErrorReason(error, code);
    yield { kind: 'rejected', index: index++, offset, line, code, reason, sample: '' };
    return;
  }

  for (const found of splitter.end()) yield* emit(found);
}

// A CloudcaseError's message is written by cloudcase and never quotes log content, so it is
// kept. Other errors may quote the input, so only a fixed reason is given for them.
function streamErrorReason(error: unknown, code: string): string {
  if (error instanceof CloudcaseError) return error.message;
  if (code === 'gzip_truncated') return 'the gzip stream ends early, so the rest was not read';
  if (code === 'gzip_invalid') return 'the gzip stream is corrupt, so the rest was not read';

  return 'reading the input failed, so the rest was not read';
}

type FoundLine =
  | { kind: 'line'; offset: number; line: number; text: string }
  | { kind: 'too_long'; offset: number; line: number; sample: string };

/** Cuts a byte stream into lines, keeping each line's byte offset and one-based number. */
class LineSplitter {
  readonly maxLineBytes: number;
  // Bytes of the current line not yet ended by a line break.
  #parts: Buffer[] = [];
  #partBytes = 0;
  // Set once the current line has passed the maximum: its remaining bytes are dropped.
  #overflow: { sample: string } | null = null;
  #offset = 0;
  #line = 1;
  #started = false;

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Returns the location of the line being read. */
  position(): { offset: number; line: number } {
    return { offset: this.#offset, line: this.#line };
  }

  *push(chunk: Buffer): Generator<FoundLine> {
    let bytes = chunk;
    if (!this.#started && bytes.length > 0) {
      this.#started = true;
      bytes = this.#withoutByteOrderMark(bytes);
    }

    let from = 0;
    while (from < bytes.length) {
      const newline = bytes.indexOf(LF, from);
      const end = newline === -1 ? bytes.length : newline;
      this.#append(bytes.subarray(from, end));
      if (newline === -1) return;

      yield this.#finishLine(1);
      from = newline + 1;
    }
  }

  *end(): Generator<FoundLine> {
    if (this.#partBytes > 0 || this.#overflow !== null) yield this.#finishLine(0);
  }

  // NOTE: a byte order mark split across the first two chunks is kept, so the first line then
  // starts with U+FEFF and its parser rejects it.
  #withoutByteOrderMark(bytes: Buffer): Buffer {
    const hasMark =
      bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    if (!hasMark) return bytes;

    this.#offset += 3;
    return bytes.subarray(3);
  }

  #append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#overflow !== null) {
      this.#partBytes += piece.length;
      return;
    }
    // One byte of slack lets a CR that ends the line not count towards the maximum.
    if (this.#partBytes + piece.length > this.maxLineBytes + 1) {
      const head = Buffer.concat([...this.#parts, piece]).subarray(0, SAMPLE_CHARS);
      this.#overflow = { sample: head.toString('utf8') };
      this.#parts = [];
      this.#partBytes += piece.length;
      return;
    }
    this.#parts.push(piece);
    this.#partBytes += piece.length;
  }

  // Ends the current line; `breakBytes` is the length of the LF that ended it (0 at the end).
  #finishLine(breakBytes: number): FoundLine {
    const offset = this.#offset;
    const line = this.#line;
    const totalBytes = this.#partBytes;
    const overflow = this.#overflow;
    const parts = this.#parts;

    this.#offset += totalBytes + breakBytes;
    this.#line++;
    this.#parts = [];
    this.#partBytes = 0;
    this.#overflow = null;

    if (overflow !== null) return { kind: 'too_long', offset, line, sample: overflow.sample };

    let bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    if (bytes.length > this.maxLineBytes) {
      const sample = bytes.subarray(0, SAMPLE_CHARS).toString('utf8');
      return { kind: 'too_long', offset, line, sample };
    }
    return { kind: 'line', offset, line, text: bytes.toString('utf8') };
  }
}

/**
 * Returns up to `max` non-blank lines from the first bytes of a stream, for a format's sniff.
 * The last line is left out when the head ends inside it and other lines precede it, because a
 * cut line would look malformed.
 */
export function headLines(head: Buffer, max: number): string[] {
  let textHead = head.toString('utf8');
  if (textHead.startsWith('\uFEFF')) textHead = textHead.slice(1);

  const lines = textHead.split('\n');
  const complete = textHead.endsWith('\n') || lines.length === 1 ? lines : lines.slice(0, -1);
  const found: string[] = [];
  for (const line of complete) {
    const trimmed = line.replace(/\r$/, '');
    if (trimmed.trim() === '') continue;
    found.push(trimmed);
    if (found.length >= max) break;
  }
  return found;
}

/**
 * Scores sniffed lines against a line test: `full` when every line passes, `full - 0.2` when the
 * first line and at least half of them pass (a file may hold a few damaged lines), otherwise 0.
 */
export function scoreLines(
  lines: string[],
  passes: (line: string) => boolean,
  full: number,
): number {
  const [first] = lines;
  if (first === undefined || !passes(first)) return 0;

  const passed = lines.filter(passes).length;
  if (passed === lines.length) return full;
  return passed * 2 >= lines.length ? full - 0.2 : 0;
}
