import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/** Bytes kept from the start of a stream, enough for every magic number checked here. */
const HEAD_BYTES = 8;

/** Digest a stream is checked against when it ends. */
export interface ExpectedDigest {
  sha256: string;
  /** Names the item in the error message. */
  label: string;
}

/**
 * A pass-through that hashes (SHA-256) and counts the bytes flowing through it and keeps the
 * first few. Given an expected digest, it fails at the end of the input with a
 * `CloudcaseError` coded `evidence_modified` when the digest differs.
 */
export class HashTransform extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #expected: ExpectedDigest | undefined;
  #head: Buffer = Buffer.alloc(0);
  #digest: string | undefined;
  bytes = 0;

  constructor(expected?: ExpectedDigest) {
    super();
    this.#expected = expected;
  }

  /** The first bytes of the stream, up to eight. */
  get head(): Buffer {
    return this.#head;
  }

  /** The hex digest; available once the stream has ended. */
  get sha256(): string {
    if (this.#digest === undefined) throw new Error('digest read before the stream ended');
    return this.#digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    if (this.#head.length < HEAD_BYTES) {
      this.#head = Buffer.concat([this.#head, chunk.subarray(0, HEAD_BYTES - this.#head.length)]);
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = this.#hash.digest('hex');
    if (this.#expected !== undefined && this.#digest !== this.#expected.sha256) {
      callback(modifiedError(this.#expected));
      return;
    }
    callback();
  }
}

/** Builds the error for stored bytes that no longer match their recorded digest. */
export function modifiedError(expected: ExpectedDigest): CloudcaseError {
  return new CloudcaseError(
    'evidence_modified',
    `Evidence ${expected.label} no longer matches its SHA-256 ${expected.sha256}; ` +
      'run `cloudcase verify` and re-acquire the item from its original source.',
    EXIT.verification,
  );
}
