import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { EncryptTransform } from './aead-stream.ts';
import { caseCipher } from './case-cipher.ts';
import { partialDir, storedPathFor } from './case-layout.ts';
import { HashTransform } from './hash-transform.ts';
import { fileType, inputError, notRegularFile } from './input-errors.ts';
import { detectKind } from './magic.ts';
import type { AcquireError, EvidenceKind } from './types.ts';

/** A file copied into the case's evidence store. */
export interface StoredFile {
  kind: 'stored';
  sha256: string;
  size: number;
  evidenceKind: EvidenceKind;
  storedPath: string;
}

/**
 * Copies one input file into `evidence/<sha[0:2]>/<sha>` while hashing it (and encrypting it,
 * when the case is encrypted), streaming through a
 * temporary file that is renamed into place, and makes the copy read-only. When the store
 * already contains the digest, the copy is discarded and the stored file is left untouched.
 * Problems reading the input become an error result; problems writing the case raise.
 */
export async function storeFile(
  source: string,
  caseDir: string,
): Promise<StoredFile | AcquireError> {
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK keeps a FIFO swapped in after the walk from blocking the open.
    handle = await fs.open(source, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return inputError(source, error);
  }

  try {
    // Checked on the open handle, because the path may have changed since the walk.
    const stats = await handle.stat();
    if (!stats.isFile()) return notRegularFile(source, fileType(stats));

    return await copyIntoStore(handle, source, caseDir);
  } finally {
    await handle.close();
  }
}

async function copyIntoStore(
  handle: fs.FileHandle,
  source: string,
  caseDir: string,
): Promise<StoredFile | AcquireError> {
  await fs.mkdir(partialDir(caseDir), { recursive: true });
  const temp = path.join(partialDir(caseDir), randomUUID());
  const hasher = new HashTransform();
  // The digest is of the original bytes; an encrypted case stores only their ciphertext.
  const cipher = await caseCipher(caseDir);
  const stages: Transform[] = cipher === null ? [hasher] : [hasher, new EncryptTransform(cipher)];
  const reader = handle.createReadStream({ autoClose: false });
  let readError: unknown;
  reader.once('error', (error) => {
    readError = error;
  });

  try {
    await pipeline([
      reader,
      ...stages,
      createWriteStream(temp, { flags: 'wx', mode: 0o444, flush: true }),
    ]);
  } catch (error) {
    await fs.rm(temp, { force: true });
    if (readError !== undefined) return inputError(source, readError);
    throw writeFailed(source, caseDir, error);
  }

  const storedPath = storedPathFor(hasher.sha256);
  await placeStoredFile(temp, path.join(caseDir, storedPath));

  return {
    kind: 'stored',
    sha256: hasher.sha256,
    size: hasher.bytes,
    evidenceKind: detectKind(hasher.head),
    storedPath,
  };
}

async function placeStoredFile(temp: string, target: string): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const present = await fs.stat(target).then(
    () => true,
    () => false,
  );

  // Stored evidence is never replaced, even by identical bytes.
  if (present) {
    await fs.rm(temp, { force: true });
    return;
  }
  await fs.rename(temp, target);
  await fs.chmod(target, 0o444);
}

function writeFailed(source: string, caseDir: string, cause: unknown): CloudcaseError {
  const errno = (cause as NodeJS.ErrnoException).code ?? 'unknown';
  return new CloudcaseError(
    'case_write_failed',
    `Copying ${source} into ${caseDir}/evidence failed (${errno}); ` +
      'check the free space and permissions of the case folder, then run the command again.',
    EXIT.case,
    { cause },
  );
}
