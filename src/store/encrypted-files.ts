/**
 * Encrypts and decrypts whole files of an encrypted case (the database, the reports) in the
 * authenticated record layout of encrypted evidence (see `aead-stream.ts`), under keys derived
 * for their kind. Everything streams, so memory stays at a few records whatever the file size.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { link, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { DecryptTransform, EncryptTransform } from '../evidence/aead-stream.ts';
import {
  type CaseCipher,
  caseCipher,
  DATABASE_FILE,
  type EncryptedFileKind,
  REPORT_FILE,
} from '../evidence/case-cipher.ts';

/** File name of the encrypted case database inside an encrypted case folder. */
export const ENCRYPTED_DB_FILE = 'case.duckdb.enc';

/** Extension added to the name of an encrypted report. */
export const ENCRYPTED_EXTENSION = '.enc';

/**
 * Returns where a report written as `file` is stored: `<file>.enc` once closing the database of
 * an encrypted case has encrypted it, else `file`.
 */
export function storedReportPath(file: string): string {
  const encrypted = `${file}${ENCRYPTED_EXTENSION}`;
  return !existsSync(file) && existsSync(encrypted) ? encrypted : file;
}

/**
 * Decrypts the database `source` into the new file `target` (mode 0600), checking every
 * record. Raises `database_modified` when the file does not authenticate under the case key;
 * the caller then deletes `target` with its folder.
 */
export async function decryptDatabaseFile(
  cipher: CaseCipher,
  source: string,
  target: string,
): Promise<void> {
  await decryptTo(
    cipher,
    DATABASE_FILE,
    source,
    createWriteStream(target, { flags: 'wx', mode: 0o600 }),
  );
}

/** Reads the encrypted database to its end, checking every record, and keeps nothing. */
export async function authenticateDatabaseFile(cipher: CaseCipher, file: string): Promise<void> {
  const decrypt = new DecryptTransform(cipher, file, {
    kind: DATABASE_FILE,
    damaged: (label) => modifiedError('database_modified', `the encrypted case database ${label}`),
  });
  await pipeline(createReadStream(file), decrypt, async (chunks: AsyncIterable<Buffer>) => {
    for await (const _ of chunks);
  });
}

/**
 * Decrypts an encrypted report or database of the case to `out`, telling them apart by their
 * magic. Raises `not_encrypted` for any other file, and `report_modified` or
 * `database_modified` when the file does not authenticate. `end` false leaves `out` open, for
 * stdout.
 */
export async function decryptCaseFile(
  cipher: CaseCipher,
  source: string,
  out: Writable,
  end = true,
): Promise<void> {
  const magic = Buffer.alloc(REPORT_FILE.magic.length);
  const handle = await open(source, 'r');
  try {
    await handle.read(magic, 0, magic.length, 0);
  } finally {
    await handle.close();
  }
  const kind = [REPORT_FILE, DATABASE_FILE].find((candidate) => candidate.magic.equals(magic));
  if (kind === undefined) {
    throw new CloudcaseError(
      'not_encrypted',
      `${source} is not an encrypted report or database of a cloudcase case`,
      EXIT.usage,
    );
  }
  await decryptTo(cipher, kind, source, out, end);
}

/** Decrypts an encrypted report of a case into memory, for the workbench's preview. */
export async function readEncryptedReport(caseDir: string, file: string): Promise<Buffer> {
  const cipher = await caseCipher(caseDir);
  if (cipher === null) {
    throw new CloudcaseError('not_encrypted', `case ${caseDir} is not encrypted`, EXIT.case);
  }
  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await decryptTo(cipher, REPORT_FILE, file, collect);

  return Buffer.concat(chunks);
}

/**
 * Returns the SHA-256 (hex) of the plaintext of an encrypted report, which is the hash of the
 * file `cloudcase case decrypt` writes. Raises `report_modified` when it does not authenticate.
 */
export async function hashEncryptedReport(cipher: CaseCipher, file: string): Promise<string> {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback();
    },
  });
  await decryptTo(cipher, REPORT_FILE, file, sink);

  return hash.digest('hex');
}

/**
 * Encrypts a report held in memory into the new file `target`, which must not exist: like a
 * `wx` write, it fails with EEXIST when another process created `target` first. The ciphertext
 * is written to `<target>.partial-<pid>` and hard-linked to `target`, so `target` appears only
 * whole, and a link fails where the name exists.
 */
export async function writeEncryptedReport(
  cipher: CaseCipher,
  content: string | Uint8Array,
  target: string,
): Promise<void> {
  const partial = `${target}.partial-${process.pid}`;
  const handle = await open(partial, 'w', 0o600);
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    await pipeline(
      Readable.from([bytes]),
      new EncryptTransform(cipher, REPORT_FILE),
      createWriteStream('', { fd: handle.fd, autoClose: false }),
    );
    await handle.sync();
    await handle.close();
    await link(partial, target);
    await syncFolder(dirname(target));
  } finally {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
  }
}

async function decryptTo(
  cipher: CaseCipher,
  kind: EncryptedFileKind,
  source: string,
  out: Writable,
  end = true,
): Promise<void> {
  const [code, what] =
    kind === DATABASE_FILE
      ? ['database_modified', 'the encrypted case database']
      : ['report_modified', 'the encrypted report'];
  const decrypt = new DecryptTransform(cipher, source, {
    kind,
    damaged: (label) => modifiedError(code, `${what} ${label}`),
  });
  await pipeline(createReadStream(source), decrypt, out, { end });
}

/**
 * Encrypts `source` into `target` atomically: the ciphertext goes to `<target>.partial-<pid>`,
 * is flushed to disk, and is renamed over `target`, so a crash leaves either the old or the new
 * file, never a mix. The pid keeps two processes that save at once from writing one file.
 * `beforeRename` runs on the flushed partial file; when it fails, `target` is left as it was.
 */
export async function encryptFile(
  cipher: CaseCipher,
  kind: EncryptedFileKind,
  source: string,
  target: string,
  beforeRename?: (partial: string) => Promise<void>,
): Promise<void> {
  const partial = `${target}.partial-${process.pid}`;
  const handle = await open(partial, 'w', 0o600);
  try {
    await pipeline(
      createReadStream(source),
      new EncryptTransform(cipher, kind),
      createWriteStream('', { fd: handle.fd, autoClose: false }),
    );
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await beforeRename?.(partial);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, target);
  await syncFolder(dirname(target));
}

function modifiedError(code: string, what: string): CloudcaseError {
  return new CloudcaseError(
    code,
    `${what} does not authenticate with the case key: it was changed, cut short or written ` +
      'under another key; restore it from a backup, or delete it and run cloudcase ' +
      `${code === 'report_modified' ? 'report' : 'investigate'} to write it again from the evidence`,
    EXIT.verification,
  );
}

// A rename is durable only once the folder that contains the name is flushed too.
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
