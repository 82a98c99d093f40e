/**
 * Binds each save of an encrypted case database to the signed custody ledger. The case key
 * authenticates `case.duckdb.enc` but not its age, so every save appends a signed
 * `database_saved` entry with the SHA-256 of the new ciphertext, and opening or verifying the
 * case compares the file with the last such entry. An older copy of the file put in its place
 * then fails with `database_rolled_back`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, rename } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { custodyPath } from '../evidence/case-layout.ts';
import { appendCustody, readJsonLines } from '../evidence/index.ts';
import { ENCRYPTED_DB_FILE } from './encrypted-files.ts';

/** Ledger action recorded for each save of an encrypted database. */
export const DATABASE_SAVED_ACTION = 'database_saved';

/** Returns the SHA-256 (hex) of a file's bytes. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Returns the SHA-256 of `case.duckdb.enc` that the last `database_saved` ledger entry
 * records, or `null` when none does (a case saved only by a release that recorded no saves).
 * The entries' signatures are checked by `verify`, not here.
 */
export async function recordedDatabaseHash(caseDir: string): Promise<string | null> {
  let recorded: string | null = null;
  for await (const line of readJsonLines(custodyPath(caseDir))) {
    if (!line.ok) continue;
    const entry = (line.value ?? {}) as { action?: unknown; details?: { sha256?: unknown } };
    const sha256 = entry.details?.sha256;
    if (entry.action === DATABASE_SAVED_ACTION && typeof sha256 === 'string') recorded = sha256;
  }

  return recorded;
}

/** Appends the signed `database_saved` entry for the ciphertext `file` about to be stored. */
export async function recordDatabaseSave(caseDir: string, file: string): Promise<void> {
  await appendCustody(caseDir, {
    actor: process.env.CLOUDCASE_ANALYST ?? `${os.userInfo().username}@${os.hostname()}`,
    action: DATABASE_SAVED_ACTION,
    details: { file: ENCRYPTED_DB_FILE, sha256: await fileSha256(file) },
  });
}

/**
 * Finishes a save interrupted after its ledger entry and before its rename: that left
 * `case.duckdb.enc.partial-<pid>` with the recorded hash, which is renamed into place. Two
 * opens may both find it, so a partial file another process renamed first is no error.
 */
export async function completeInterruptedSave(caseDir: string): Promise<void> {
  const partials = await partialFiles(caseDir);
  if (partials.length === 0) return;
  const recorded = await recordedDatabaseHash(caseDir);
  if (recorded === null) return;

  const file = join(caseDir, ENCRYPTED_DB_FILE);
  if (existsSync(file) && (await fileSha256(file)) === recorded) return;
  for (const partial of partials) {
    if ((await fileSha256(partial).catch(() => null)) !== recorded) continue;
    await rename(partial, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    return;
  }
}

/**
 * Raises `database_rolled_back` when `case.duckdb.enc` is not the file the ledger last
 * recorded, and `database_missing` when it is gone.
 */
export async function assertDatabaseCurrent(caseDir: string): Promise<void> {
  const problem = await databaseCurrencyProblem(caseDir);
  if (problem !== null) throw new CloudcaseError(problem.code, problem.message, EXIT.verification);
}

/**
 * Returns the problem `assertDatabaseCurrent` raises, or `null`, and for `verify` also
 * `database_save_interrupted` when a save waits to be completed.
 */
export async function databaseCurrencyProblem(
  caseDir: string,
): Promise<{ code: string; message: string } | null> {
  const recorded = await recordedDatabaseHash(caseDir);
  if (recorded === null) return null;

  const file = join(caseDir, ENCRYPTED_DB_FILE);
  if (existsSync(file) && (await fileSha256(file)) === recorded) return null;
  for (const partial of await partialFiles(caseDir)) {
    if ((await fileSha256(partial)) !== recorded) continue;
    return {
      code: 'database_save_interrupted',
      message: `a save of ${ENCRYPTED_DB_FILE} was recorded but not completed; the next command that opens the case with its key completes it.`,
    };
  }
  if (!existsSync(file)) {
    return {
      code: 'database_missing',
      message: `${ENCRYPTED_DB_FILE} is missing, but the ledger records a save of it; restore it from a backup.`,
    };
  }

  return {
    code: 'database_rolled_back',
    message:
      `${ENCRYPTED_DB_FILE} is not the database the custody ledger last recorded (SHA-256 ` +
      `${recorded}): an older or other copy was put in its place; restore the current file ` +
      'from a backup.',
  };
}

async function partialFiles(caseDir: string): Promise<string[]> {
  const prefix = `${ENCRYPTED_DB_FILE}.partial-`;
  const names = await readdir(caseDir).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(prefix)).map((name) => join(caseDir, name));
}
