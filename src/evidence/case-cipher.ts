import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/** Environment variable naming a file that contains the case key. */
export const CASE_KEY_FILE_ENV = 'CLOUDCASE_CASE_KEY_FILE';

/** Environment variable that contains the case key itself, as 64 hex digits. */
export const CASE_KEY_ENV = 'CLOUDCASE_CASE_KEY';

/** Marks a case whose evidence is encrypted, and records how. Holds no key. */
export const ENCRYPTION_FILE = 'encryption.json';

/** Plaintext bytes per authenticated record of an encrypted evidence file. */
export const RECORD_BYTES = 64 * 1024;

/** Bytes of a GCM authentication tag. */
export const TAG_BYTES = 16;

/** `CCAEAD01` followed by a 32-byte random salt: the header of an encrypted evidence file. */
export const MAGIC = Buffer.from('CCAEAD01', 'latin1');
export const HEADER_BYTES = MAGIC.length + 32;

/**
 * A kind of encrypted file: its 8-byte magic and the HKDF info its file keys are derived with,
 * so a file of one kind never decrypts as another.
 */
export interface EncryptedFileKind {
  magic: Buffer;
  info: string;
}

/** Encrypted evidence files. */
export const EVIDENCE_FILE: EncryptedFileKind = { magic: MAGIC, info: 'cloudcase evidence v1' };

/** The encrypted case database, `case.duckdb.enc`. */
export const DATABASE_FILE: EncryptedFileKind = {
  magic: Buffer.from('CCDBAE01', 'latin1'),
  info: 'cloudcase database v1',
};

/** Encrypted reports, `reports/*.enc`. */
export const REPORT_FILE: EncryptedFileKind = {
  magic: Buffer.from('CCRPAE01', 'latin1'),
  info: 'cloudcase report v1',
};

/** The contents of `encryption.json`. */
interface EncryptionInfo {
  algorithm: 'aes-256-gcm';
  record_bytes: number;
  /** HMAC-SHA256 of a fixed text under the key, which separates a wrong key from damaged data. */
  key_check: string;
}

/** The key of an encrypted case, ready to derive per-file keys. */
export interface CaseCipher {
  key: Buffer;
}

const KEY_CHECK_TEXT = 'cloudcase case key check v1';

/**
 * Reads the case key given by `keyFile`, else by `CLOUDCASE_CASE_KEY_FILE`, else by
 * `CLOUDCASE_CASE_KEY`, or `null` when none is given. The file contains 64 hex digits or 32
 * raw bytes. Raises `case_key_invalid` for anything else.
 */
export async function readGivenKey(keyFile?: string): Promise<Buffer | null> {
  const file = keyFile ?? process.env[CASE_KEY_FILE_ENV];
  if (file !== undefined) {
    const bytes = await fs.readFile(file).catch((error: unknown) => {
      throw keyError(
        'case_key_not_found',
        `case key file ${file} cannot be read; check the path`,
        error,
      );
    });
    return parseKey(bytes, `case key file ${file}`);
  }
  const text = process.env[CASE_KEY_ENV];
  return text === undefined ? null : parseKey(Buffer.from(text, 'utf8'), CASE_KEY_ENV);
}

function parseKey(bytes: Buffer, what: string): Buffer {
  const text = bytes.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (bytes.length === 32) return Buffer.from(bytes);

  throw keyError('case_key_invalid', `${what} must hold 64 hex digits (a 256-bit key)`);
}

/** Generates a random 256-bit case key as 64 hex digits and a newline, for a key file. */
export function newKeyText(): string {
  return `${randomBytes(32).toString('hex')}\n`;
}

/** Marks a new case as encrypted with `key`; its evidence is stored encrypted from then on. */
export async function enableEncryption(caseDir: string, key: Buffer): Promise<void> {
  const info: EncryptionInfo = {
    algorithm: 'aes-256-gcm',
    record_bytes: RECORD_BYTES,
    key_check: keyCheck(key),
  };
  await fs.writeFile(path.join(caseDir, ENCRYPTION_FILE), `${JSON.stringify(info, null, 2)}\n`, {
    flag: 'wx',
  });
}

/**
 * Loads the cipher of a case, or returns `null` when its evidence is not encrypted. Raises `case_key_missing`
 * when the case is encrypted and no key is given, and `case_key_wrong` when the key given is
 * not the case's. The key is read again on every call, so a key removed takes effect at once.
 */
export async function caseCipher(caseDir: string): Promise<CaseCipher | null> {
  const info = await readEncryptionInfo(caseDir);
  if (info === null) return null;

  const key = await readGivenKey();
  if (key === null) {
    throw keyError(
      'case_key_missing',
      `the evidence of ${caseDir} is encrypted; set ${CASE_KEY_FILE_ENV} to the case key file`,
    );
  }
  if (keyCheck(key) !== info.key_check) {
    throw keyError('case_key_wrong', `the case key given is not the key of ${caseDir}`);
  }
  return { key };
}

/** Tells whether the case stores its evidence encrypted. */
export async function isEncrypted(caseDir: string): Promise<boolean> {
  return (await readEncryptionInfo(caseDir)) !== null;
}

async function readEncryptionInfo(caseDir: string): Promise<EncryptionInfo | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(caseDir, ENCRYPTION_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const info = JSON.parse(text) as Partial<EncryptionInfo>;
  if (info.algorithm !== 'aes-256-gcm' || info.record_bytes !== RECORD_BYTES) {
    throw keyError('encryption_unsupported', `${ENCRYPTION_FILE} names an unknown encryption`);
  }
  return info as EncryptionInfo;
}

/** Derives the AES-256 key of one encrypted file from the case key and the file's salt. */
export function fileKey(
  cipher: CaseCipher,
  salt: Buffer,
  kind: EncryptedFileKind = EVIDENCE_FILE,
): Buffer {
  return Buffer.from(hkdfSync('sha256', cipher.key, salt, kind.info, 32));
}

/** Builds the GCM nonce of record `index`, unique per file key, so never reused. */
export function recordNonce(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

/** Builds the additional data of record `index`: its position and whether it ends the file. */
export function recordAad(index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(9);
  aad.writeBigUInt64BE(BigInt(index), 0);
  aad[8] = final ? 1 : 0;
  return aad;
}

function keyCheck(key: Buffer): string {
  return createHmac('sha256', key).update(KEY_CHECK_TEXT).digest('hex');
}

function keyError(code: string, message: string, cause?: unknown): CloudcaseError {
  return new CloudcaseError(code, message, EXIT.case, cause === undefined ? {} : { cause });
}
