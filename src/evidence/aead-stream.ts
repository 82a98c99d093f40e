import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import {
  type CaseCipher,
  type EncryptedFileKind,
  EVIDENCE_FILE,
  fileKey,
  HEADER_BYTES,
  RECORD_BYTES,
  recordAad,
  recordNonce,
  TAG_BYTES,
} from './case-cipher.ts';

/**
 * The layout of an encrypted file: an 8-byte magic (`CCAEAD01` for evidence), a 32-byte random
 * salt, then the
 * plaintext in records of 64 KiB, each AES-256-GCM encrypted under a key derived from the case
 * key and the salt, followed by its 16-byte tag. The last record is shorter than 64 KiB (empty
 * when the plaintext fills whole records) and is marked final in its additional data. A file
 * cut at a record boundary thus fails to authenticate, as does a record moved to another place.
 */
const FULL_RECORD = RECORD_BYTES + TAG_BYTES;

/** Encrypts a stream into the layout above. */
export class EncryptTransform extends Transform {
  readonly #key: Buffer;
  readonly #salt = randomBytes(32);
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #index = 0;

  constructor(cipher: CaseCipher, kind: EncryptedFileKind = EVIDENCE_FILE) {
    super();
    this.#key = fileKey(cipher, this.#salt, kind);
    this.push(Buffer.concat([kind.magic, this.#salt]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= RECORD_BYTES) {
      let buffer = Buffer.concat(this.#pending);
      while (buffer.length >= RECORD_BYTES) {
        this.push(this.#seal(buffer.subarray(0, RECORD_BYTES), false));
        buffer = buffer.subarray(RECORD_BYTES);
      }
      this.#pending = [buffer];
      this.#pendingBytes = buffer.length;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.#seal(Buffer.concat(this.#pending), true));
  }

  #seal(plain: Buffer, final: boolean): Buffer {
    const index = this.#index++;
    const cipher = createCipheriv('aes-256-gcm', this.#key, recordNonce(index));
    cipher.setAAD(recordAad(index, final));
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  }
}

/** Options of a `DecryptTransform`: the kind of file, and the error for damage. */
export interface DecryptOptions {
  kind?: EncryptedFileKind;
  /** Builds the error raised when the input does not authenticate; `damagedError` by default. */
  damaged?: (label: string) => CloudcaseError;
}

/**
 * Decrypts a stream in the layout above, passing on each record only once its tag checks.
 * Fails with `evidence_modified` (or the error of `options.damaged`) when a record does not
 * authenticate or the file ends without its final record.
 */
export class DecryptTransform extends Transform {
  readonly #cipher: CaseCipher;
  readonly #label: string;
  readonly #kind: EncryptedFileKind;
  readonly #damagedError: (label: string) => CloudcaseError;
  #key: Buffer | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #index = 0;

  constructor(cipher: CaseCipher, label: string, options: DecryptOptions = {}) {
    super();
    this.#cipher = cipher;
    this.#label = label;
    this.#kind = options.kind ?? EVIDENCE_FILE;
    this.#damagedError = options.damaged ?? damagedError;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    try {
      if (this.#key === null && !this.#readHeader()) {
        callback();
        return;
      }
      // A full record is never the last one: a plaintext that fills whole records ends with an
      // empty final record.
      while (this.#buffer.length >= FULL_RECORD) {
        this.push(this.#open(this.#buffer.subarray(0, FULL_RECORD), false));
        this.#buffer = this.#buffer.subarray(FULL_RECORD);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.#key === null || this.#buffer.length < TAG_BYTES) throw this.#damaged();
      callback(null, this.#open(this.#buffer, true));
    } catch (error) {
      callback(error as Error);
    }
  }

  #readHeader(): boolean {
    if (this.#buffer.length < HEADER_BYTES) return false;
    const magic = this.#kind.magic;
    if (!this.#buffer.subarray(0, magic.length).equals(magic)) throw this.#damaged();
    this.#key = fileKey(
      this.#cipher,
      this.#buffer.subarray(magic.length, HEADER_BYTES),
      this.#kind,
    );
    this.#buffer = this.#buffer.subarray(HEADER_BYTES);
    return true;
  }

  #open(record: Buffer, final: boolean): Buffer {
    const plain = openRecord(this.#key as Buffer, this.#index, final, record);
    if (plain === null) throw this.#damaged();
    this.#index += 1;
    return plain;
  }

  #damaged(): CloudcaseError {
    return this.#damagedError(this.#label);
  }
}

/** Decrypts and authenticates one record; `null` when it does not authenticate. */
export function openRecord(
  key: Buffer,
  index: number,
  final: boolean,
  record: Buffer,
): Buffer | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, recordNonce(index));
    decipher.setAAD(recordAad(index, final));
    decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(record.subarray(0, record.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return null;
  }
}

/** Builds the error for an encrypted evidence file that does not authenticate. */
export function damagedError(label: string): CloudcaseError {
  return new CloudcaseError(
    'evidence_modified',
    `Encrypted evidence ${label} does not authenticate with the case key: it was changed, cut ` +
      'short or written under another key; run `cloudcase verify`.',
    EXIT.verification,
  );
}
