/**
 * SQL expressions that build a JSON object per row, for rows of any width. DuckDB's `to_json` is
 * fast, but while it writes a vector of rows it takes nine to ten times their text from the
 * memory limit (DuckDB 1.5.6). For 2,047 events whose uid and archive member name were 5,000
 * bytes each, it needed 233 MB of the 256 MB limit of a case, before any sort. So `to_json`
 * writes only rows of at most `TO_JSON_MAX_TEXT_BYTES` of text, and DuckDB's string functions
 * write the wider rows without that allocation. They took four times as long as `to_json` for
 * 200,000 CloudTrail events. Both write the same bytes.
 */

/** A value of a JSON object: the SQL expression and how it is written. */
export interface JsonField {
  name: string;
  sql: string;
  /** `text` for VARCHAR values, `literal` for integers and booleans, whose text is their JSON. */
  kind: 'text' | 'literal';
}

/**
 * Bytes of text per row up to which `to_json` writes the row, at most. DuckDB writes 2,048 rows
 * at a time on each thread, so `to_json` takes an estimated 2,048 × 10 × 3,700 bytes, 75 MB, per
 * thread at most, counting the field names. In a case of 1,000,000 CloudTrail events, the
 * text of an event was 2,416 bytes on average, and 0.4% of the events had more than 3,000.
 */
export const TO_JSON_MAX_TEXT_BYTES = 3_000;

/** Share of DuckDB's memory limit that `to_json` may take on all threads together. */
const TO_JSON_SHARE_OF_MEMORY = 0.6;

/**
 * Bytes that `to_json` takes on one thread per byte of a row's text: ten times each of a
 * vector's 2,048 rows, an estimate from DuckDB 1.5.6.
 */
const TO_JSON_BYTES_PER_TEXT_BYTE = 2_048 * 10;

/** Bytes of a Timesketch line's field names and punctuation, an estimate. */
const FIELD_NAME_BYTES = 700;

/**
 * Returns the bytes of text per row up to which `to_json` may write rows, for DuckDB's
 * `memoryLimit` (bytes, or null when unknown) and thread count. That is `TO_JSON_MAX_TEXT_BYTES`
 * for two threads at a 256 MB limit, and less with more threads or less memory.
 */
export function toJsonMaxBytes(memoryLimit: number | null, threads: number): number {
  if (memoryLimit === null) return TO_JSON_MAX_TEXT_BYTES;

  const perThread = (memoryLimit * TO_JSON_SHARE_OF_MEMORY) / Math.max(1, threads);
  const bytes = Math.floor(perThread / TO_JSON_BYTES_PER_TEXT_BYTE) - FIELD_NAME_BYTES;
  return Math.max(0, Math.min(TO_JSON_MAX_TEXT_BYTES, bytes));
}

// The characters that `to_json` escapes, in RE2 syntax: the quotation mark, the backslash and
// the C0 controls. DuckDB passes the pattern to RE2 as written, so `\x00` is RE2's escape.
const ESCAPED = String.raw`["\\\x00-\x1f]`;
const CONTROL = String.raw`[\x00-\x1f]`;

// The escape of the one-character string `ch`, as `to_json` writes it: a short escape where JSON
// has one, otherwise `\u` with four uppercase hex digits.
const CHARACTER_ESCAPE = String.raw`CASE WHEN ch = '"' THEN '\"' WHEN ch = '\' THEN '\\'
  WHEN ord(ch) >= 32 THEN ch
  WHEN ord(ch) = 8 THEN '\b' WHEN ord(ch) = 9 THEN '\t' WHEN ord(ch) = 10 THEN '\n'
  WHEN ord(ch) = 12 THEN '\f' WHEN ord(ch) = 13 THEN '\r'
  ELSE printf('\u%04X', ord(ch)) END`;

// `expression` with every character escaped, one code point at a time. DuckDB's string_split
// with an empty separator splits a string into its code points.
function escapeEach(expression: string): string {
  return `array_to_string(list_transform(string_split(${expression}, ''), lambda ch: ${CHARACTER_ESCAPE}), '')`;
}

// The JSON string of the VARCHAR `expression`, quotes included, or `null` when it is NULL.
// Only values with a character to escape are rewritten, and only values with a control
// character go through the slower per-character escape.
function jsonStringSql(expression: string): string {
  const quoted = String.raw`replace(replace(${expression}, '\', '\\'), '"', '\"')`;
  const escaped = `CASE WHEN NOT regexp_matches(${expression}, '${ESCAPED}') THEN ${expression}
    WHEN regexp_matches(${expression}, '${CONTROL}') THEN ${escapeEach(expression)}
    ELSE ${quoted} END`;

  return `coalesce('"' || (${escaped}) || '"', 'null')`;
}

// The JSON object of `fields` written with string functions.
function concatSql(fields: readonly JsonField[]): string {
  const parts = fields.map((field, i) => {
    const value =
      field.kind === 'text'
        ? jsonStringSql(field.sql)
        : `coalesce(CAST(${field.sql} AS VARCHAR), 'null')`;
    const key = `${i === 0 ? '{' : ','}${JSON.stringify(field.name)}:`;
    return `'${key.replace(/'/g, "''")}', ${value}`;
  });

  return `concat(${parts.join(', ')}, '}')`;
}

// The JSON object of `fields` written by `to_json`.
function toJsonSql(fields: readonly JsonField[]): string {
  const members = fields.map((field) => `"${field.name.replace(/"/g, '""')}" := ${field.sql}`);
  return `to_json(struct_pack(${members.join(', ')}))::VARCHAR`;
}

/**
 * Returns an SQL expression for the JSON object of `fields`, in order, as one VARCHAR. A row
 * whose text fields contain more than `toJsonMaxBytes` bytes in all is written with string
 * functions, any other row by `to_json`.
 */
export function jsonObjectSql(
  fields: readonly JsonField[],
  toJsonMaxBytes = TO_JSON_MAX_TEXT_BYTES,
): string {
  const texts = fields.filter((field) => field.kind === 'text');
  const width = texts.map((field) => `coalesce(strlen(${field.sql}), 0)`).join(' + ');

  return `CASE WHEN ${width || '0'} <= ${toJsonMaxBytes} THEN ${toJsonSql(fields)}
    ELSE ${concatSql(fields)} END`;
}
