// JSON.stringify writes a lone UTF-16 surrogate as a `\udXXX` escape (paired surrogates are
// written as characters), and DuckDB rejects such escapes as malformed JSON, failing the whole
// batch. Escaped backslashes are matched first so that a literal `\\ud800` text is left alone.
const LONE_SURROGATE_ESCAPE = /\\(\\|ud[89a-f][0-9a-f]{2})/g;

/**
 * Serializes a value as one JSON line that DuckDB's JSON reader accepts.
 *
 * NOTE: a lone surrogate in any string becomes U+FFFD, so such a string does not round-trip.
 */
export function jsonLine(value: unknown): string {
  const line = JSON.stringify(value);
  if (!line.includes('\\ud')) return line;

  return line.replace(LONE_SURROGATE_ESCAPE, (match, sequence: string) =>
    sequence === '\\' ? match : '\\ufffd',
  );
}
