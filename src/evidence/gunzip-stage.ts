import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { DeferredFailure } from './stream-chain.ts';

/**
 * A gunzip transform (RFC 1952, multi-member included) that delivers every byte it decompressed
 * before a failure. A Node zlib stream that fails destroys itself with its buffered output, and
 * a truncated member fails only at the end, so a plain gunzip can lose the whole output of a
 * small file. Here the inner gunzip's output is pushed on as it arrives, and a failure ends this
 * stream cleanly and is kept in `failure`, which `chainStreams` raises after the output.
 */
export class GunzipStage extends Transform implements DeferredFailure {
  readonly #inner: Gunzip;
  #failure: unknown = null;
  #pending: TransformCallback | null = null;

  constructor(chunkSize: number) {
    super();
    this.#inner = createGunzip({ chunkSize });
    // The inner stream flows into this one, so its own buffer stays empty when it fails.
    this.#inner.on('data', (chunk: Buffer) => this.push(chunk));
    this.#inner.on('error', (error) => {
      this.#failure ??= error;
      this.#release();
    });
    this.#inner.on('end', () => this.#release());
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
    this.#pending = callback;
    this.#inner.write(chunk, () => this.#release());
  }

  override _flush(callback: TransformCallback): void {
    if (this.#failure !== null) {
      callback();
      return;
    }
    this.#pending = callback;
    this.#inner.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }

  #release(): void {
    const callback = this.#pending;
    this.#pending = null;
    callback?.();
  }
}
