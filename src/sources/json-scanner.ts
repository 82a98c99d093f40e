import { LOSSY_DIGITS, parseJsonLossless } from './json-numbers.ts';
import type { RecordResult } from './types.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const SAMPLE_BYTES = 64;
// Record keys longer than this are never compared, so their bytes are not kept.
const MAX_KEY_BYTES = 64;
const NO_DEPTH = -1;
const SHORT_STRING_BYTES = 32;
/**
 * Maximum nesting depth of one record, counting its own brackets. Deeper records are rejected,
 * because later code that recurses over parsed values (JSON.stringify, Sigma field matching) can
 * overflow the call stack. CloudTrail records seen so far nest fewer than 32 levels.
 */
export const MAX_RECORD_DEPTH = 256;

/**
 * What the current top-level value is: nothing yet, one record (an object on its own), a
 * document whose array under a record key contains the records, a top-level array whose elements
 * are records, or a line that is not JSON.
 */
type TopLevel = 'none' | 'record' | 'wrapper' | 'array' | 'garbage';

/** Settings of a `JsonScanner`. */
export interface JsonScannerOptions {
  /** Keys of a top-level object whose array value contains the records, such as `Records`. */
  recordKeys: readonly string[];
  /** Largest record, in bytes, that is parsed; larger records are rejected unbuffered. */
  maxRecordBytes: number;
}

/**
 * A push-based byte-level JSON record splitter. It tracks strings (quotes and backslash
 * escapes) and bracket nesting, so it finds record boundaries without parsing, and keeps only
 * the bytes of the record in progress. Each `push` returns the results its bytes completed.
 */
export class JsonScanner {
  readonly #keys: Buffer[];
  readonly #maxRecordBytes: number;
  #out: RecordResult[] = [];
  #index = 0;

  // Position of the current chunk's first byte, and the line at the current byte.
  #chunkOffset = 0;
  #line = 1;

  // Structure state.
  #top: TopLevel = 'none';
  #closers: number[] = [];
  // Brackets opened beyond the depth bound: counted, not pushed to `#closers`, so a deep input
  // costs no memory. Their matching is not checked, because the record is rejected anyway.
  #excessDepth = 0;
  #recordDepth = NO_DEPTH;
  #inString = false;
  #escape = false;
  #broken = false;
  #skipLine = false;
  // Decided by the first top-level record: true when it fits on one line (JSON lines).
  #lineMode: boolean | null = null;
  #newlineAt = -1;

  // Record in progress.
  #inRecord = false;
  #inScalar = false;
  #recordOffset = 0;
  #recordLine = 1;
  #recordStart = 0;
  #recordParts: Buffer[] = [];
  #recordSize = 0;
  #oversized = false;
  #tooDeep = false;
  #recordHasNewline = false;
  // Whether the record may contain a number that `JSON.parse` changes: an integer of
  // `LOSSY_DIGITS` or more digits, a number with an exponent, or one cut by a chunk's end.
  // Records without one, nearly all, skip the exact search of `parseJsonLossless`.
  #mayBeLossy = false;
  // Index in the current chunk after the last number measured.
  #numberEnd = 0;

  // Key tracking at depth 1, to recognise `{"Records": [`.
  #keyStart = 0;
  #keyCarry: Buffer | null = null;
  #keyTooLong = false;
  // The record key (one of `#keys`) that the last string or colon at depth 1 completed.
  #lastKey: Buffer | null = null;
  #pendingKey: Buffer | null = null;

  constructor(options: JsonScannerOptions) {
    this.#keys = options.recordKeys.map((key) => Buffer.from(key, 'utf8'));
    this.#maxRecordBytes = options.maxRecordBytes;
  }

  /** Scans one chunk and returns the results it completed. */
  push(chunk: Buffer): RecordResult[] {
    if (!this.#broken) this.#scan(chunk);
    this.#chunkOffset += chunk.length;

    return this.#drain();
  }

  /** Ends the input and returns the results for anything left open. */
  end(): RecordResult[] {
    if (this.#broken) return this.#drain();

    const offset = this.#chunkOffset;
    if (this.#top === 'garbage' || this.#inScalar) {
      this.#inScalar = false;
      this.#finishRecord(offset);
    } else if (this.#inRecord) {
      this.#rejectOpenRecord('truncated_record', 'the input ends inside this record');
    } else if (this.#closers.length > 0) {
      this.#reject(offset, this.#line, 'truncated_input', 'the input ends inside a JSON array', '');
    }

    return this.#drain();
  }

  /** Rejects the unread remainder after the input failed, and ignores any later bytes. */
  fail(code: string, reason: string): RecordResult[] {
    if (this.#broken) return this.#drain();

    if (this.#inRecord) {
      this.#rejectOpenRecord(code, reason);
    } else {
      this.#reject(this.#chunkOffset, this.#line, code, reason, '');
    }
    this.#broken = true;

    return this.#drain();
  }

  #drain(): RecordResult[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #scan(chunk: Buffer): void {
    const length = chunk.length;
    this.#recordStart = 0;
    this.#keyStart = 0;
    this.#newlineAt = -1;
    this.#numberEnd = 0;

    let i = 0;
    while (i < length && !this.#broken) {
      if (this.#skipLine || this.#top === 'garbage') {
        i = this.#scanToLineEnd(chunk, i);
        continue;
      }
      if (this.#inString) {
        i = this.#scanString(chunk, i);
        continue;
      }

      const byte = chunk[i] as number;
      if (byte === QUOTE && !this.#inScalar) {
        this.#openString(i);
        if (this.#inString) i = this.#scanString(chunk, i + 1);
        continue;
      }
      if (this.#inScalar && isDelimiter(byte)) {
        this.#inScalar = false;
        this.#endRecord(chunk, i);
      }
      if (!this.#inScalar) this.#structural(chunk, i, byte);
      i++;
    }

    this.#carryOver(chunk);
  }

  // Skips to the end of a line, either to resync after a broken record or to the end of a line
  // that is not JSON. Uses indexOf because these lines can be long runs of binary data.
  #scanToLineEnd(chunk: Buffer, from: number): number {
    const newline = chunk.indexOf(LF, from);
    if (newline === -1) return chunk.length;

    if (this.#top === 'garbage') {
      this.#finishRecord(this.#chunkOffset + newline, chunk, newline);
      this.#top = 'none';
    }
    this.#skipLine = false;
    this.#line++;

    return newline + 1;
  }

  // Finds the closing quote with indexOf, which is faster than a byte loop on long strings. A
  // quote preceded by an odd run of backslashes is escaped.
  #scanString(chunk: Buffer, from: number): number {
    const length = chunk.length;
    let i = from;
    if (this.#escape) {
      this.#escape = false;
      i++;
    }

    // Most strings in logs are short, and on those a byte loop costs less than calling indexOf.
    const shortEnd = Math.min(length, i + SHORT_STRING_BYTES);
    for (let j = i; j < shortEnd; j++) {
      const byte = chunk[j];
      if (byte === BACKSLASH || byte === LF) break;
      if (byte === QUOTE) return this.#closeString(chunk, j);
    }

    for (;;) {
      const quote = chunk.indexOf(QUOTE, i);
      const stop = quote === -1 ? length : quote;
      if (this.#nextNewline(chunk, i) < stop) return this.#newlineInString(chunk, i);
      if (quote === -1) {
        this.#escape = i < length && endsWithOddBackslashes(chunk, i, length);
        return length;
      }
      if (!endsWithOddBackslashes(chunk, i, quote)) break;
      i = quote + 1;
    }

    return this.#closeString(chunk, chunk.indexOf(QUOTE, i));
  }

  #closeString(chunk: Buffer, quote: number): number {
    this.#inString = false;
    const depth = this.#closers.length;
    if (depth === 1) this.#closeKey(chunk, quote);
    if (this.#inRecord && depth === this.#recordDepth) this.#endRecord(chunk, quote + 1);

    return quote + 1;
  }

  // Position of the next newline at or after `from`, cached because newlines are rare.
  #nextNewline(chunk: Buffer, from: number): number {
    if (this.#newlineAt < from) {
      const found = chunk.indexOf(LF, from);
      this.#newlineAt = found === -1 ? chunk.length : found;
    }
    return this.#newlineAt;
  }

  // A raw newline inside a string: invalid JSON, which ends the record in JSON lines.
  #newlineInString(chunk: Buffer, from: number): number {
    const newline = this.#nextNewline(chunk, from);
    this.#line++;
    if (this.#newlineBreaksRecord(true)) return this.#breakLine(chunk, newline);
    // Odd backslashes before the newline escape it, which also makes the string invalid JSON.
    return newline + 1;
  }

  #structural(chunk: Buffer, i: number, byte: number): void {
    const depth = this.#closers.length;

    switch (byte) {
      case OPEN_BRACE:
      case OPEN_BRACKET:
        if (this.#isTooDeep(depth)) this.#openTooDeep(chunk, i);
        else this.#open(i, byte, depth);
        return;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        if (this.#excessDepth > 0) this.#excessDepth--;
        else this.#close(chunk, i, byte, depth);
        return;
      case LF:
        this.#line++;
        if (this.#inRecord) this.#recordHasNewline = true;
        if (depth === 1 && this.#lineMode === null && this.#nextLineStartsRecord(chunk, i)) {
          this.#lineMode = true;
          this.#breakLine(chunk, i);
        } else if (depth > 0 && this.#newlineBreaksRecord(false)) this.#breakLine(chunk, i);
        return;
      case SPACE:
      case TAB:
      case CR:
        return;
      case COLON:
        if (depth === 1) this.#pendingKey = this.#lastKey;
        return;
      case COMMA:
        if (depth === 1) this.#lastKey = null;
        return;
      default:
        this.#literal(i, depth);
        if (isDigit(byte) && i >= this.#numberEnd) this.#measureNumber(chunk, i);
    }
  }

  // Measures the number whose digits start at `start`, and marks the record when `JSON.parse` may
  // read it as a different value.
  #measureNumber(chunk: Buffer, start: number): void {
    let end = start;
    while (end < chunk.length && isDigit(chunk[end] as number)) end++;
    const integerDigits = end - start;
    if (end < chunk.length && chunk[end] === 0x2e) {
      end++;
      while (end < chunk.length && isDigit(chunk[end] as number)) end++;
    }
    const next = chunk[end];
    const exponent = next === 0x65 || next === 0x45;
    if (integerDigits >= LOSSY_DIGITS || exponent || end >= chunk.length) this.#mayBeLossy = true;
    this.#numberEnd = end;
  }

  #openString(i: number): void {
    const depth = this.#closers.length;
    // A top-level string, such as a JSON line that is a quoted record, is read like any other
    // top-level value: its whole line is one record, counted and handed to the format.
    if (depth === 0 && !this.#inRecord) {
      this.#top = 'garbage';
      this.#startRecord(i);
      return;
    }
    this.#inString = true;
    if (depth === 1) this.#openKey(i);
    if (!this.#inRecord && depth === this.#recordDepth) this.#startRecord(i);
  }

  #open(i: number, byte: number, depth: number): void {
    const closer = byte === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;

    if (depth === 0) {
      this.#top = byte === OPEN_BRACE ? 'record' : 'array';
      this.#recordDepth = byte === OPEN_BRACE ? 0 : 1;
      if (byte === OPEN_BRACE) this.#startRecord(i);
    } else if (depth === 1 && byte === OPEN_BRACKET && this.#isRecordKey()) {
      // The object is a document such as `{"Records": [...]}`: its prefix is no record.
      this.#top = 'wrapper';
      this.#dropRecord();
      this.#recordDepth = 2;
    } else if (!this.#inRecord && depth === this.#recordDepth) {
      this.#startRecord(i);
    }
    if (depth === 1) this.#lastKey = null;

    this.#closers.push(closer);
  }

  // Depth is counted from the record's own first bracket, or from the top level outside records.
  #isTooDeep(depth: number): boolean {
    if (this.#excessDepth > 0) return true;
    const base = this.#inRecord ? Math.max(this.#recordDepth, 0) : 0;
    return depth - base >= MAX_RECORD_DEPTH;
  }

  // Keeps only the sample of a record that is too deep, as for an oversized record, so the rest
  // of it is scanned unbuffered and the record is rejected when it ends.
  #openTooDeep(chunk: Buffer, i: number): void {
    this.#excessDepth++;
    if (!this.#inRecord || this.#tooDeep) return;

    this.#tooDeep = true;
    if (!this.#oversized) {
      const parts = [...this.#recordParts, chunk.subarray(this.#recordStart, i + 1)];
      this.#recordParts = [Buffer.from(headOf(parts))];
      this.#oversized = true;
    }
  }

  #close(chunk: Buffer, i: number, byte: number, depth: number): void {
    if (depth === 0 || this.#closers[depth - 1] !== byte) {
      this.#mismatch(chunk, i);
      return;
    }

    this.#closers.pop();
    const inner = depth - 1;
    if (this.#inRecord && inner === this.#recordDepth) this.#endRecord(chunk, i + 1);
    // After the record array of a wrapper closes, the rest of the wrapper holds no records.
    if (this.#top === 'wrapper' && inner === 1) this.#recordDepth = NO_DEPTH;
    if (inner === 0) {
      this.#top = 'none';
      this.#recordDepth = NO_DEPTH;
    }
  }

  #literal(i: number, depth: number): void {
    if (depth === 1) this.#lastKey = null;

    if (depth === 0) {
      this.#top = 'garbage';
      this.#startRecord(i);
    } else if (!this.#inRecord && depth === this.#recordDepth) {
      this.#inScalar = true;
      this.#startRecord(i);
    }
  }

  // A closing bracket that does not match: inside a top-level record the next line is a safe
  // restart point, but inside an array nothing after this byte can be trusted.
  #mismatch(chunk: Buffer, i: number): void {
    if (this.#top === 'record' || this.#top === 'none') {
      if (!this.#inRecord) this.#startRecord(i);
      this.#rejectOpenRecord(
        'invalid_json',
        'a closing bracket does not match its opening one',
        chunk,
        i + 1,
      );
      this.#resetToNextLine(false);
      return;
    }

    const reason =
      'a closing bracket does not match its opening one, so the rest of the input was not read';
    if (!this.#inRecord) this.#startRecord(i);
    this.#rejectOpenRecord('json_structure_broken', reason, chunk, i + 1);
    this.#broken = true;
  }

  // Whether the newline at `i`, inside the first top-level object, ends a broken first line of
  // JSON lines. It does when the next line starts with `{`, which in an object can only be a
  // member's value, and the line does not end with the colon before one. Without this, one
  // malformed first line took in every later line, and the file was one rejected record.
  // NOTE: the next line's first byte is looked for in this chunk only.
  #nextLineStartsRecord(chunk: Buffer, i: number): boolean {
    if (this.#top !== 'record' || this.#closers[0] !== CLOSE_BRACE) return false;
    if (chunk[i + 1] !== OPEN_BRACE) return false;
    let last = i - 1;
    while (last >= 0 && isSpace(chunk[last] as number)) last--;

    return last >= 0 && chunk[last] !== COLON;
  }

  // In JSON lines, a newline inside a record means the record was cut short.
  #newlineBreaksRecord(inString: boolean): boolean {
    if (this.#top !== 'record') return false;
    if (this.#lineMode === true) return true;
    if (this.#lineMode === null && inString) {
      this.#lineMode = true;
      return true;
    }
    return false;
  }

  #breakLine(chunk: Buffer, i: number): number {
    this.#rejectOpenRecord('invalid_json', 'the line ends before the record is complete', chunk, i);
    this.#resetToNextLine(true);
    return i + 1;
  }

  #resetToNextLine(atNewline: boolean): void {
    this.#closers = [];
    this.#excessDepth = 0;
    this.#top = 'none';
    this.#recordDepth = NO_DEPTH;
    this.#inString = false;
    this.#escape = false;
    this.#inScalar = false;
    this.#skipLine = !atNewline;
  }

  #startRecord(i: number): void {
    this.#inRecord = true;
    this.#recordOffset = this.#chunkOffset + i;
    this.#recordLine = this.#line;
    this.#recordStart = i;
    this.#recordParts = [];
    this.#recordSize = 0;
    this.#oversized = false;
    this.#tooDeep = false;
    this.#recordHasNewline = false;
    this.#mayBeLossy = false;
  }

  #dropRecord(): void {
    this.#inRecord = false;
    this.#recordParts = [];
    this.#recordSize = 0;
    this.#oversized = false;
    this.#tooDeep = false;
  }

  #endRecord(chunk: Buffer, end: number): void {
    if (this.#top === 'record' && this.#lineMode === null) {
      this.#lineMode = !this.#recordHasNewline;
    }
    this.#finishRecord(this.#chunkOffset + end, chunk, end);
  }

  // Emits the record that ends at absolute offset `endOffset` (exclusive).
  #finishRecord(endOffset: number, chunk?: Buffer, end?: number): void {
    let bytes = this.#takeRecordBytes(chunk, end);
    const offset = this.#recordOffset;
    const line = this.#recordLine;
    const index = this.#index++;
    this.#inRecord = false;

    if (this.#tooDeep) {
      const reason = `the record nests deeper than the maximum of ${MAX_RECORD_DEPTH} levels`;
      this.#out.push({
        kind: 'rejected',
        index,
        offset,
        line,
        code: 'record_too_deep',
        reason,
        sample: sampleOf(headOf([bytes])),
      });
      return;
    }
    if (this.#oversized || endOffset - offset > this.#maxRecordBytes) {
      if (chunk !== undefined && this.#oversized) bytes = headOf([bytes, chunk.subarray(0, end)]);
      const reason = `the record is larger than the maximum of ${this.#maxRecordBytes} bytes`;
      this.#out.push({
        kind: 'rejected',
        index,
        offset,
        line,
        code: 'record_too_large',
        reason,
        sample: sampleOf(bytes),
      });
      return;
    }

    try {
      const text = bytes.toString('utf8');
      const value = this.#mayBeLossy ? parseJsonLossless(text) : JSON.parse(text);
      this.#out.push({ kind: 'record', index, offset, line, value, text });
    } catch {
      // The parser's message quotes the input, so it is not passed on.
      const reason = 'the record is not valid JSON';
      this.#out.push({
        kind: 'rejected',
        index,
        offset,
        line,
        code: 'invalid_json',
        reason,
        sample: sampleOf(bytes),
      });
    }
  }

  #takeRecordBytes(chunk?: Buffer, end?: number): Buffer {
    const parts = this.#recordParts;
    this.#recordParts = [];
    if (this.#oversized) return parts[0] ?? Buffer.alloc(0);

    const tail = chunk === undefined ? null : chunk.subarray(this.#recordStart, end);
    if (parts.length === 0) return tail ?? Buffer.alloc(0);
    if (tail !== null) parts.push(tail);

    return Buffer.concat(parts);
  }

  // Rejects the record in progress; `chunk` and `end` give its bytes in the current chunk.
  #rejectOpenRecord(code: string, reason: string, chunk?: Buffer, end?: number): void {
    if (!this.#inRecord) return;

    const parts = this.#recordParts;
    if (chunk !== undefined && !this.#oversized) parts.push(chunk.subarray(this.#recordStart, end));
    this.#inRecord = false;
    this.#recordParts = [];
    this.#reject(this.#recordOffset, this.#recordLine, code, reason, sampleOf(headOf(parts)));
  }

  #reject(offset: number, line: number, code: string, reason: string, sample: string): void {
    this.#out.push({ kind: 'rejected', index: this.#index++, offset, line, code, reason, sample });
  }

  // Keeps the unfinished record's bytes of this chunk, unless the record is already too large,
  // in which case only its first bytes stay, for the sample.
  #carryOver(chunk: Buffer): void {
    if (this.#inString && this.#closers.length === 1) this.#carryKey(chunk);

    if (!this.#inRecord) return;

    const part = chunk.subarray(this.#recordStart);
    if (this.#oversized) {
      const sample = this.#recordParts[0] ?? Buffer.alloc(0);
      if (sample.length < SAMPLE_BYTES) this.#recordParts = [headOf([sample, part])];
      return;
    }

    this.#recordSize += part.length;
    if (this.#recordSize > this.#maxRecordBytes) {
      this.#recordParts.push(part);
      this.#recordParts = [Buffer.from(headOf(this.#recordParts))];
      this.#oversized = true;
      return;
    }
    this.#recordParts.push(part);
  }

  #openKey(i: number): void {
    this.#keyStart = i + 1;
    this.#keyCarry = null;
    this.#keyTooLong = false;
  }

  // Compares in place and keeps only a reference to the matching record key, because this runs
  // for every top-level string of every record.
  #closeKey(chunk: Buffer, i: number): void {
    if (this.#keyTooLong || i - this.#keyStart > MAX_KEY_BYTES) {
      this.#lastKey = null;
      return;
    }
    const carry = this.#keyCarry;
    this.#keyCarry = null;
    if (carry === null) {
      this.#lastKey = this.#matchKey(chunk, this.#keyStart, i);
      return;
    }
    const key = Buffer.concat([carry, chunk.subarray(0, i)]);
    this.#lastKey = this.#matchKey(key, 0, key.length);
  }

  #matchKey(bytes: Buffer, start: number, end: number): Buffer | null {
    for (const key of this.#keys) {
      if (key.length === end - start && key.compare(bytes, start, end) === 0) return key;
    }
    return null;
  }

  #carryKey(chunk: Buffer): void {
    const part = chunk.subarray(this.#keyStart);
    const size = (this.#keyCarry?.length ?? 0) + part.length;
    if (this.#keyTooLong || size > MAX_KEY_BYTES) {
      this.#keyTooLong = true;
      this.#keyCarry = null;
      return;
    }
    this.#keyCarry = Buffer.concat([this.#keyCarry ?? Buffer.alloc(0), part]);
  }

  #isRecordKey(): boolean {
    const key = this.#pendingKey;
    this.#pendingKey = null;

    return key !== null && this.#top !== 'array';
  }
}

function endsWithOddBackslashes(chunk: Buffer, from: number, end: number): boolean {
  let count = 0;
  for (let i = end - 1; i >= from && chunk[i] === BACKSLASH; i--) count++;
  return count % 2 === 1;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isDelimiter(byte: number): boolean {
  return (
    byte === COMMA ||
    byte === CLOSE_BRACKET ||
    byte === CLOSE_BRACE ||
    byte === SPACE ||
    byte === LF ||
    byte === CR ||
    byte === TAB
  );
}

// The first sample-sized bytes of a record kept in several parts.
function headOf(parts: Buffer[]): Buffer {
  const head: Buffer[] = [];
  let size = 0;
  for (const part of parts) {
    if (size >= SAMPLE_BYTES) break;
    head.push(part.subarray(0, SAMPLE_BYTES - size));
    size += head[head.length - 1]?.length ?? 0;
  }
  return Buffer.concat(head);
}

function sampleOf(bytes: Buffer | undefined): string {
  if (bytes === undefined) return '';
  return bytes.subarray(0, SAMPLE_BYTES).toString('utf8');
}

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === CR;
}
