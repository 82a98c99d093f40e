import zlib from 'node:zlib';

/** Length of a gzip member trailer: CRC-32 then ISIZE, both 32-bit little-endian (RFC 1952). */
export const GZIP_TRAILER_BYTES = 8;

/**
 * Maximum length of a gzip member header. The file name and comment fields have no length in
 * the format, so a cap keeps a header without its zero terminator from filling memory. It is
 * applied to whole headers too, so a header is accepted or rejected wherever the reads split it.
 */
// NOTE: 1 MiB is a chosen cap, not a gzip limit; a longer header is rejected as invalid.
export const MAX_GZIP_HEADER_BYTES = 1024 * 1024;

const FLAG_HEADER_CRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
const FLAG_RESERVED = 0xe0;

/**
 * Parses the gzip member header (RFC 1952, section 2.3) at the start of `bytes`. Returns its
 * length, `null` when more bytes are needed, or a `Z_DATA_ERROR` error when the bytes are not
 * a valid header.
 */
export function parseGzipHeader(bytes: Buffer): number | null | Error {
  const magic = [0x1f, 0x8b, 0x08];
  for (let i = 0; i < Math.min(bytes.length, magic.length); i++) {
    if (bytes[i] !== magic[i]) return gzipDataError('incorrect header check');
  }
  if (bytes.length < 10) return null;

  const flags = bytes[3] as number;
  if ((flags & FLAG_RESERVED) !== 0) return gzipDataError('unknown header flags set');

  let end: number | null = 10;
  if ((flags & FLAG_EXTRA) !== 0) {
    end = end + 2 <= bytes.length ? end + 2 + bytes.readUInt16LE(end) : null;
  }
  if (end !== null && (flags & FLAG_NAME) !== 0) end = afterZero(bytes, end);
  if (end !== null && (flags & FLAG_COMMENT) !== 0) end = afterZero(bytes, end);
  if (end !== null && (flags & FLAG_HEADER_CRC) !== 0) end += 2;

  if (end !== null && end > MAX_GZIP_HEADER_BYTES) return gzipDataError('header too long');
  if (end === null || end > bytes.length) {
    return bytes.length > MAX_GZIP_HEADER_BYTES ? gzipDataError('header too long') : null;
  }
  if ((flags & FLAG_HEADER_CRC) !== 0) {
    const expected = bytes.readUInt16LE(end - 2);
    if ((crc32(bytes.subarray(0, end - 2)) & 0xffff) !== expected) {
      return gzipDataError('header crc mismatch');
    }
  }

  return end;
}

function afterZero(bytes: Buffer, start: number): number | null {
  const zero = bytes.indexOf(0, start);
  return zero < 0 ? null : zero + 1;
}

/**
 * Checks a member trailer against the CRC-32 and the length modulo 2^32 of the member's
 * decompressed data. Returns a `Z_DATA_ERROR` error on a mismatch, else `null`.
 */
export function checkGzipTrailer(trailer: Buffer, crc: number, size: number): Error | null {
  if (trailer.readUInt32LE(0) !== crc) return gzipDataError('incorrect data check');
  if (trailer.readUInt32LE(4) !== size) return gzipDataError('incorrect length check');

  return null;
}

/** Creates an error coded like zlib's own for corrupt data, so callers map both the same way. */
export function gzipDataError(message: string, offset?: number): Error {
  return Object.assign(new Error(message), {
    code: 'Z_DATA_ERROR',
    ...(offset === undefined ? {} : { offset }),
  });
}

/** Creates an error coded like zlib's own for input that ends inside a gzip member. */
export function gzipTruncatedError(): Error {
  return Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
}

/** Computes the CRC-32 that gzip uses (ISO 3309) of `bytes`, continuing from `value`. */
export function crc32(bytes: Uint8Array, value = 0): number {
  // zlib.crc32 exists from Node 20.15 and 22.2; older releases use the table below.
  if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes, value);

  let crc = ~value >>> 0;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
