import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import {
  checkGzipTrailer,
  crc32,
  GZIP_TRAILER_BYTES,
  gzipDataError,
  gzipTruncatedError,
  parseGzipHeader,
} from './gzip-member.ts';
import type { DeferredFailure } from './stream-chain.ts';

type Phase = 'header' | 'body' | 'trailer' | 'padding';

/**
 * A gunzip transform (RFC 1952, multi-member included) that delivers every byte it decompressed
 * before a failure. A Node zlib stream that fails destroys itself with its buffered output, and
 * a truncated member fails only at the end, so a plain gunzip can lose the whole output of a
 * small file. Here the inflater's output is pushed on as it arrives, and a failure ends this
 * stream cleanly and is kept in `failure`, which `chainStreams` raises after the output.
 *
 * The member headers and trailers are parsed here, and only the deflate data goes through zlib.
 * Node's gunzip loses data on bytes after a member. It drops the output of the write in which
 * non-zero trailing bytes fail, and after trailing zero bytes it ends its output without
 * finishing its input. As `gzip` does, zero bytes after the last member are accepted as padding,
 * and any other bytes there are a failure after all the output.
 */
export class GunzipStage extends Transform implements DeferredFailure {
  readonly #chunkSize: number;
  #failure: unknown = null;
  #phase: Phase = 'header';
  /** Header or trailer bytes collected so far. */
  #pending: Buffer = Buffer.alloc(0);
  #inflater: InflateRaw | null = null;
  #crc = 0;
  #size = 0;
  #members = 0;
  /** Compressed bytes taken in before the current chunk's unread rest, for error offsets. */
  #offset = 0;

  constructor(chunkSize: number) {
    super();
    this.#chunkSize = chunkSize;
  }

  /** The zlib error that ended decompression early, or `null`. */
  get failure(): unknown {
    return this.#failure;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // After a failure the remaining input is dropped, but still read, so the hash covers the file.
    if (this.#failure !== null) {
      callback();
      return;
    }
    this.#consume(chunk).then(
      () => callback(),
      (error: unknown) => {
        this.#fail(error);
        callback();
      },
    );
  }

  override _flush(callback: TransformCallback): void {
    if (this.#failure !== null) {
      callback();
      return;
    }
    this.#finish().then(
      () => callback(),
      (error: unknown) => {
        this.#fail(error);
        callback();
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inflater?.destroy();
    callback(error);
  }

  async #consume(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      const before = rest.length;
      rest = await this.#step(rest);
      this.#offset += before - rest.length;
    }
  }

  /** Takes what the current phase needs from the start of `bytes` and returns the rest. */
  async #step(bytes: Buffer): Promise<Buffer> {
    if (this.#phase === 'header' && this.#members > 0 && this.#pending.length === 0) {
      if (bytes[0] === 0) this.#phase = 'padding';
    }

    switch (this.#phase) {
      case 'padding':
        return this.#skipPadding(bytes);
      case 'header':
        return this.#readHeader(bytes);
      case 'body':
        return this.#inflate(bytes);
      case 'trailer':
        return this.#readTrailer(bytes);
    }
  }

  #skipPadding(bytes: Buffer): Buffer {
    const nonZero = bytes.findIndex((byte) => byte !== 0);
    if (nonZero < 0) return Buffer.alloc(0);

    throw gzipDataError('trailing garbage after the last gzip member', this.#offset + nonZero);
  }

  #readHeader(bytes: Buffer): Buffer {
    const collected = Buffer.concat([this.#pending, bytes]);
    const header = parseGzipHeader(collected);
    if (header instanceof Error) {
      const start = this.#offset - this.#pending.length;
      const message =
        this.#members > 0 ? 'trailing garbage after the last gzip member' : header.message;
      throw gzipDataError(message, start);
    }
    if (header === null) {
      this.#pending = collected;
      return Buffer.alloc(0);
    }

    const rest = collected.subarray(header);
    this.#pending = Buffer.alloc(0);
    this.#startMember();
    return rest;
  }

  #startMember(): void {
    const inflater = createInflateRaw({ chunkSize: this.#chunkSize });
    inflater.on('data', (chunk: Buffer) => {
      this.#crc = crc32(chunk, this.#crc);
      this.#size = (this.#size + chunk.length) >>> 0;
      this.push(chunk);
    });
    // Errors are handled where the inflater is written or ended. This listener keeps an error
    // that comes after the stage failed from being thrown as unhandled.
    inflater.on('error', () => undefined);
    this.#inflater = inflater;
    this.#crc = 0;
    this.#size = 0;
    this.#phase = 'body';
  }

  /**
   * Writes deflate data to the member's inflater. zlib stops taking input at the end of the
   * deflate stream, so fewer bytes consumed than written means the member's data ended there.
   */
  async #inflate(bytes: Buffer): Promise<Buffer> {
    const inflater = this.#inflater as InflateRaw;
    const before = inflater.bytesWritten;
    await new Promise<void>((resolve, reject) => {
      // zlib reports corrupt data only through 'error', without calling the write callback.
      // NOTE: zlib drops the output of a write that fails, so corrupt deflate data in the middle
      // of a member loses the output of up to one input chunk before the damage.
      const onError = (error: Error) => reject(error);
      inflater.once('error', onError);
      inflater.write(bytes, () => {
        inflater.off('error', onError);
        resolve();
      });
    });

    const consumed = inflater.bytesWritten - before;
    if (consumed === bytes.length) return Buffer.alloc(0);

    // Ending the inflater and waiting for it delivers its last output before the trailer check.
    inflater.end();
    await finished(inflater);
    this.#inflater = null;
    this.#phase = 'trailer';
    return bytes.subarray(consumed);
  }

  #readTrailer(bytes: Buffer): Buffer {
    const collected = Buffer.concat([this.#pending, bytes]);
    if (collected.length < GZIP_TRAILER_BYTES) {
      this.#pending = collected;
      return Buffer.alloc(0);
    }

    const mismatch = checkGzipTrailer(collected, this.#crc, this.#size);
    if (mismatch !== null) throw withOffset(mismatch, this.#offset - this.#pending.length);

    this.#pending = Buffer.alloc(0);
    this.#members++;
    this.#phase = 'header';
    return collected.subarray(GZIP_TRAILER_BYTES);
  }

  /** Checks that the input ended after a whole member, or after padding that follows one. */
  async #finish(): Promise<void> {
    if (this.#phase === 'padding') return;
    if (this.#phase === 'header' && this.#members > 0 && this.#pending.length === 0) return;

    const inflater = this.#inflater;
    if (inflater !== null) {
      // Ending the inflater delivers the output it still holds. Its own error for the cut is
      // replaced by the truncation error that a cut in a header or trailer also raises.
      inflater.end();
      await finished(inflater).catch(() => undefined);
    }
    throw gzipTruncatedError();
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    this.#inflater?.destroy();
    this.#inflater = null;
  }
}

function withOffset(error: Error, offset: number): Error {
  return Object.assign(error, { offset });
}
