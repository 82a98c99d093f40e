import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { damagedError, openRecord } from './aead-stream.ts';
import {
  type CaseCipher,
  fileKey,
  HEADER_BYTES,
  MAGIC,
  RECORD_BYTES,
  TAG_BYTES,
} from './case-cipher.ts';

/**
 * Gives yauzl random access to the plaintext of an encrypted zip without writing it to disk:
 * a range is served by decrypting and authenticating the records it spans. `plainSize` is the
 * item's size from the manifest; a wrong size makes the final record fail to authenticate.
 */
export class EncryptedZipReader extends yauzl.RandomAccessReader {
  readonly #file: string;
  readonly #cipher: CaseCipher;
  readonly #plainSize: number;
  readonly #label: string;
  #handle: Promise<{ handle: fs.FileHandle; key: Buffer }> | null = null;
  #cached: { index: number; plain: Buffer } | null = null;

  constructor(file: string, cipher: CaseCipher, plainSize: number, label: string) {
    super();
    this.#file = file;
    this.#cipher = cipher;
    this.#plainSize = plainSize;
    this.#label = label;
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.#range(start, end), { objectMode: false });
  }

  override close(callback: (err: Error | null) => void): void {
    const opened = this.#handle;
    this.#handle = null;
    if (opened === null) {
      callback(null);
      return;
    }
    opened.then(
      ({ handle }) => handle.close().then(() => callback(null), callback),
      () => callback(null),
    );
  }

  async *#range(start: number, end: number): AsyncGenerator<Buffer> {
    let position = start;
    while (position < end) {
      const index = Math.floor(position / RECORD_BYTES);
      const plain = await this.#record(index);
      const from = position - index * RECORD_BYTES;
      const to = Math.min(plain.length, end - index * RECORD_BYTES);
      if (to <= from) throw damagedError(this.#label);
      yield plain.subarray(from, to);
      position = index * RECORD_BYTES + to;
    }
  }

  async #record(index: number): Promise<Buffer> {
    if (this.#cached?.index === index) return this.#cached.plain;

    const { handle, key } = await this.#open();
    const finalIndex = Math.floor(this.#plainSize / RECORD_BYTES);
    if (index > finalIndex) throw damagedError(this.#label);
    const final = index === finalIndex;
    const plainLength = final ? this.#plainSize - finalIndex * RECORD_BYTES : RECORD_BYTES;
    const record = Buffer.alloc(plainLength + TAG_BYTES);
    const offset = HEADER_BYTES + index * (RECORD_BYTES + TAG_BYTES);
    const { bytesRead } = await handle.read(record, 0, record.length, offset);
    const plain = bytesRead === record.length ? openRecord(key, index, final, record) : null;
    if (plain === null) throw damagedError(this.#label);

    this.#cached = { index, plain };
    return plain;
  }

  #open(): Promise<{ handle: fs.FileHandle; key: Buffer }> {
    this.#handle ??= (async () => {
      const handle = await fs.open(this.#file, 'r');
      const header = Buffer.alloc(HEADER_BYTES);
      await handle.read(header, 0, HEADER_BYTES, 0);
      if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
        await handle.close();
        throw damagedError(this.#label);
      }
      return { handle, key: fileKey(this.#cipher, header.subarray(MAGIC.length)) };
    })();
    return this.#handle;
  }
}
