/**
 * Raw records too large for DuckDB to put together within its memory limit, which exports of
 * JSON text write from their parts instead. With DuckDB 1.5.6, a Timesketch export that put
 * records of 63 MiB together with `string_agg` and wrote them as JSON strings ran out of the
 * 244 MiB limit of a case. JSON string escaping works one character at a time, so the escaped
 * parts, written in order, are the bytes of the escaped whole record.
 */
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { hasRawKeys, keyRanges, RAW_PART_UNITS } from './raw-parts.ts';

/** Parts of a record that one query reads: at most about 12.6 MB of UTF-8. */
const PARTS_PER_READ = 256;

/** Bytes of UTF-8 that one UTF-16 code unit takes at most. */
const MAX_BYTES_PER_UNIT = 3;

/**
 * Returns the `raw_key` of each event that `where` selects whose parts may hold more than
 * `maxBytes` of UTF-8, counting every part full and 3 bytes per code unit. Counting parts reads
 * no text. Records stored before keys existed are not returned, so DuckDB still puts them
 * together.
 */
export async function largeRecordKeys(
  connection: DuckDBConnection,
  where: string,
  maxBytes: number,
): Promise<bigint[]> {
  if (!(await hasRawKeys(connection))) return [];

  const maxParts = Math.floor(maxBytes / (MAX_BYTES_PER_UNIT * RAW_PART_UNITS));
  const reader = await connection.runAndReadAll(
    `SELECT raw_key FROM events WHERE (${where}) AND raw IS NULL AND raw_key IS NOT NULL`,
  );
  const keys = reader.getRowsJS().map(([key]) => BigInt(key as bigint));
  if (keys.length === 0) return [];

  const counts = await connection.runAndReadAll(
    `SELECT raw_key FROM event_raw_parts WHERE ${keyRanges(keys)}
     GROUP BY raw_key HAVING count(*) > ${maxParts}`,
  );
  return counts.getRowsJS().map(([key]) => BigInt(key as bigint));
}

/**
 * Placeholder text that stands for a large record's raw text in a line that DuckDB builds: a
 * random prefix of this export followed by the record's `raw_key`. The prefix contains no
 * character that JSON escapes, so it appears in the line as written.
 */
export class RawPlaceholder {
  readonly prefix = `cloudcase-raw-${randomBytes(16).toString('hex')}-`;
  readonly #prefixBytes = Buffer.from(this.prefix);

  /** Returns SQL for the placeholder of the `events` row named `row`. */
  sql(row: string): string {
    return `'${this.prefix}' || CAST(${row}.raw_key AS VARCHAR)`;
  }

  /**
   * Splits `line` around the first placeholder it contains: the bytes before it, the record's
   * key and the bytes after it. Returns null when the line contains none.
   */
  find(line: Uint8Array): { before: Buffer; key: bigint; after: Buffer } | null {
    const bytes = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
    const start = bytes.indexOf(this.#prefixBytes);
    if (start < 0) return null;

    let end = start + this.#prefixBytes.length;
    while (end < bytes.length && bytes[end]! >= 0x30 && bytes[end]! <= 0x39) end++;
    const key = BigInt(bytes.subarray(start + this.#prefixBytes.length, end).toString('latin1'));
    return { before: bytes.subarray(0, start), key, after: bytes.subarray(end) };
  }
}

/** Reads the parts of the record `key` in order, `PARTS_PER_READ` parts per query. */
export async function* rawPartTexts(
  connection: DuckDBConnection,
  key: bigint,
): AsyncIterable<string> {
  const reader = await connection.runAndReadAll(
    `SELECT max(part) FROM event_raw_parts WHERE raw_key = ${key}`,
  );
  const last = reader.getRowsJS()[0]?.[0];
  if (last === null || last === undefined) return;

  for (let from = 0; from <= Number(last); from += PARTS_PER_READ) {
    const parts = await connection.runAndReadAll(
      `SELECT text FROM event_raw_parts
       WHERE raw_key = ${key} AND part >= ${from} AND part < ${from + PARTS_PER_READ}
       ORDER BY part`,
    );
    for (const [text] of parts.getRowsJS()) yield String(text);
  }
}

// The characters that a JSON string escapes: the quotation mark, the backslash and C0 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes the C0 controls.
const JSON_ESCAPED = /["\\\x00-\x1f]/g;

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
};

/**
 * Escapes `text` for the inside of a JSON string as DuckDB's `to_json` does (1.5.6): the
 * quotation mark, the backslash and the C0 controls, with a short escape where JSON has one and
 * otherwise `\u` with four uppercase hex digits.
 */
export function escapeJsonText(text: string): string {
  return text.replace(JSON_ESCAPED, (ch) => {
    return (
      SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
    );
  });
}
