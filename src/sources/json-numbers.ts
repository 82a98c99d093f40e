/**
 * Parsing of log records' JSON text without silent changes to numbers. `JSON.parse` reads every
 * number as an IEEE 754 double, so an integer beyond 2^53 - 1 is rounded (12345678901234567890
 * becomes 12345678901234567000) and a number beyond about 1.8e308 becomes `Infinity` (which
 * `JSON.stringify` writes as `null`). Such a number is kept as a string of its text as written,
 * so rules match its digits and the timeline shows them. Every other number stays a number,
 * also a non-zero number below about 5e-324, which becomes 0 as DuckDB reads it too. The record's
 * text itself is stored verbatim either way.
 */

// Text that may hold such a number: a run of 16 or more digits, or a number with an exponent of
// 3 or more digits, neither inside a word. Hex ids and UUIDs (`…-1e234…`) do not match, so most
// records take the fast path. Strings can still match, which only costs the exact check below.
/** Digits from which an integer may exceed 2^53 - 1 (16 digits reach 9.0e15). */
export const LOSSY_DIGITS = 16;

const MAYBE_LOSSY = /(?<![\w.])\d{16,}(?![\w.])|(?<![\w.])\d+(?:\.\d+)?[eE][+-]?\d{3,}(?!\w)/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON text as `JSON.parse` does, but keeps numbers it would change as text. */
export function parseJsonLossless(text: string): unknown {
  if (!MAYBE_LOSSY.test(text)) return JSON.parse(text);
  return JSON.parse(quoteLossyNumbers(text));
}

/** Tells whether `JSON.parse` would read a JSON number token as a different value. */
export function isLossyNumber(token: string): boolean {
  const value = Number(token);
  if (!Number.isFinite(value)) return true;
  return /^-?\d+$/.test(token) && !Number.isSafeInteger(value);
}

/**
 * Rewrites JSON text so that each number token `JSON.parse` would change becomes a string with
 * the token's text. Strings are copied as they are, escapes included. Invalid JSON stays
 * invalid, so `JSON.parse` still rejects it.
 */
function quoteLossyNumbers(text: string): string {
  let out = '';
  let copied = 0;
  let at = 0;
  while (at < text.length) {
    const char = text.charCodeAt(at);
    if (char === 0x22) {
      at = stringEnd(text, at);
      continue;
    }
    if (char !== 0x2d && (char < 0x30 || char > 0x39)) {
      at++;
      continue;
    }
    NUMBER.lastIndex = at;
    const token = NUMBER.exec(text)?.[0];
    if (token === undefined) {
      at++;
      continue;
    }
    if (isLossyNumber(token)) {
      out += `${text.slice(copied, at)}"${token}"`;
      copied = at + token.length;
    }
    at += token.length;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// Returns the index after the string that opens at `start`, or the text's end when unclosed.
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  while (at < text.length) {
    const char = text.charCodeAt(at);
    if (char === 0x5c) at += 2;
    else if (char === 0x22) return at + 1;
    else at++;
  }
  return at;
}
