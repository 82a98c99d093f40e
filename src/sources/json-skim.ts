/** Shortening of long JSON strings, so that a format's sniff reaches the keys after a long value. */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;

/**
 * Bytes kept of each JSON string: enough for keys and for short values that markers test, such
 * as an `eventSource`. A marker inside a longer string, such as JSON in a `message`, may be cut.
 */
export const KEPT_STRING_BYTES = 256;

/**
 * Returns the JSON text in `bytes` with each string cut to its first KEPT_STRING_BYTES bytes
 * and closed again, up to `maxBytes` of output. Keys and short values stay in order, so the
 * markers of a format find the keys that follow a long value. An escape sequence is kept whole
 * or left out, so a cut never leaves a backslash before the closing quote. The text may be
 * cut anywhere: the bytes after it are not needed to skim the ones before.
 */
export function skimJsonStrings(bytes: Buffer, maxBytes: number): Buffer {
  const out = Buffer.allocUnsafe(Math.min(bytes.length, maxBytes));
  let length = 0;
  let inString = false;
  // Bytes of the current escape sequence still to come after its backslash: 1 of `\n`, 5 of `\u00e9`.
  let escapeLeft = 0;
  let keepEscape = false;
  // Bytes of the current string read so far, kept or not.
  let stringBytes = 0;

  for (let index = 0; index < bytes.length && length < out.length; index++) {
    const byte = bytes[index]!;
    if (!inString) {
      if (byte === QUOTE) {
        inString = true;
        stringBytes = 0;
      }
      out[length++] = byte;
      continue;
    }
    if (escapeLeft > 0) {
      escapeLeft -= 1;
      if (keepEscape) out[length++] = byte;
    } else if (byte === BACKSLASH) {
      const width = bytes[index + 1] === LETTER_U ? 6 : 2;
      escapeLeft = width - 1;
      keepEscape = stringBytes + width <= KEPT_STRING_BYTES;
      if (keepEscape) out[length++] = byte;
      else stringBytes = KEPT_STRING_BYTES;
    } else if (byte === QUOTE) {
      inString = false;
      out[length++] = byte;
      continue;
    } else if (stringBytes < KEPT_STRING_BYTES) {
      out[length++] = byte;
    }
    stringBytes += 1;
  }

  return out.subarray(0, length);
}
