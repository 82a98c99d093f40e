import { Readable } from 'node:stream';

/** A UTF-16 encoding as the WHATWG Encoding Standard, and so `TextDecoder`, names it. */
export type Utf16Encoding = 'utf-16le' | 'utf-16be';

/**
 * Returns the UTF-16 encoding that a byte order mark at the start of `head` declares, or `null`.
 * Windows PowerShell 5.1 writes UTF-16LE with a mark when output is redirected to a file
 * (Microsoft's about_Character_Encoding for PowerShell 5.1).
 * `FF FE 00 00` is the UTF-32LE mark, so it does not count.
 */
export function utf16ByteOrder(head: Buffer): Utf16Encoding | null {
  if (head.length < 2) return null;
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] !== 0xff || head[1] !== 0xfe) return null;
  const utf32 = head.length >= 4 && head[2] === 0 && head[3] === 0;
  return utf32 ? null : 'utf-16le';
}

/**
 * Decodes a UTF-16 byte stream into UTF-8 bytes, chunk by chunk, and drops its byte order mark.
 * A code unit or surrogate pair split between chunks is held until the next chunk. A lone
 * surrogate or an odd last byte becomes U+FFFD, as `TextDecoder` does when it is not fatal. An
 * input error reaches the consumer unchanged after the text decoded before it, and destroying
 * the output destroys the input.
 */
export function decodeUtf16(input: Readable, encoding: Utf16Encoding): Readable {
  async function* decode(): AsyncGenerator<Buffer> {
    const decoder = new TextDecoder(encoding);
    for await (const chunk of input) {
      const text = decoder.decode(chunk as Buffer, { stream: true });
      if (text.length > 0) yield Buffer.from(text, 'utf8');
    }
    const rest = decoder.decode();
    if (rest.length > 0) yield Buffer.from(rest, 'utf8');
  }

  const output = Readable.from(decode(), { objectMode: false, highWaterMark: 0 });
  output.on('close', () => {
    if (!input.destroyed) input.destroy();
  });
  return output;
}

/**
 * Returns whether `head` looks like UTF-16 text without a byte order mark: in at least 9 of 10
 * of its first 256 code units, the same one of the two bytes is zero, as in ASCII text.
 */
export function looksLikeUtf16(head: Buffer): boolean {
  const length = Math.min(head.length, 512) & ~1;
  if (length < 4) return false;
  let asciiBigEndian = 0;
  let asciiLittleEndian = 0;
  for (let i = 0; i < length; i += 2) {
    if (head[i] === 0 && head[i + 1] !== 0) asciiBigEndian += 1;
    if (head[i] !== 0 && head[i + 1] === 0) asciiLittleEndian += 1;
  }
  const units = length / 2;
  return Math.max(asciiBigEndian, asciiLittleEndian) >= units * 0.9;
}
