/**
 * The decrypted working copy of an encrypted case database. At rest an encrypted case contains
 * only `case.duckdb.enc`. A command that opens the database decrypts it into a private folder
 * outside the case (mode 0700, on /dev/shm when it exists, so the plaintext stays in memory),
 * and DuckDB works on that copy. Closing a write open encrypts the copy back into the case and
 * deletes the folder; read opens delete their copy unsaved.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { type CaseCipher, DATABASE_FILE } from '../evidence/case-cipher.ts';
import { isSealed } from '../evidence/custody.ts';
import { caseSigner } from '../evidence/signing-key.ts';
import {
  assertDatabaseCurrent,
  completeInterruptedSave,
  recordDatabaseSave,
} from './database-binding.ts';
import {
  createDatabaseLock,
  lockedError,
  readDatabaseLock,
  removeDatabaseLock,
} from './database-lock.ts';
import { encryptReports } from './encrypt-reports.ts';
import {
  decryptDatabaseFile,
  ENCRYPTED_DB_FILE,
  ENCRYPTED_EXTENSION,
  encryptFile,
} from './encrypted-files.ts';
import { isProcessRunning } from './serve-lock.ts';

/** Environment variable naming the folder that receives decrypted working copies. */
export const WORK_DIR_ENV = 'CLOUDCASE_DB_WORK_DIR';

/** File name of the decrypted database inside a working folder. */
export const PLAIN_DB_FILE = 'case.duckdb';
const OWNER_FILE = 'owner.json';
const FOLDER_PREFIX = 'cloudcase-db-';

/** An open working copy. */
export interface WorkingCopy {
  /** The decrypted database that DuckDB opens. */
  path: string;
  /** DuckDB's spill folder, inside the private folder, since spilled rows are plaintext too. */
  spillDir: string;
  /**
   * Encrypts the copy back into the case when it was opened for writing, then deletes it.
   * When encrypting fails, the copy and the lock are kept and `database_save_failed` names
   * them, so the next open saves the copy.
   */
  close(): Promise<void>;
  /** Deletes the copy without saving it, after DuckDB failed to open it. */
  discard(): void;
}

/** Contents of `owner.json` in a working folder: the process that created it, and for which case. */
export interface OwnerFile {
  pid: number;
  started_at: string;
  mode: 'read' | 'write';
  case: string;
}

/** Working copies this process has open, by folder; deleted unsaved if the process ends. */
const openCopies = new Map<string, { caseDir: string; writer: boolean }>();

let warn: (message: string) => void = () => undefined;

/** Tells whether this process has the working folder `folder` open. */
export function isOpenInThisProcess(folder: string): boolean {
  return openCopies.has(folder);
}

/**
 * Sets the function that receives warnings about working copies: a stale copy saved or
 * deleted, a plaintext database encrypted. The store never prints them itself.
 */
export function setWorkingCopyWarnings(handler: (message: string) => void): void {
  warn = handler;
}

/**
 * Decrypts the database of an encrypted case into a new working copy. A write open takes the
 * case's lock first and raises `case_locked` while another process holds it. A read open
 * raises the same while a writer is at work, as DuckDB does on an unencrypted case. Before
 * that, a copy left by a crashed writer is saved into the case, and copies left by crashed
 * readers are deleted.
 */
export async function openWorkingCopy(
  caseDir: string,
  readOnly: boolean,
  cipher: CaseCipher,
): Promise<WorkingCopy> {
  await deleteStaleReaderCopies(caseDir);
  // A writer signs a ledger entry when it saves, so a missing signing key fails now, before
  // any work that could not be saved.
  if (!readOnly) await caseSigner(caseDir);
  await settleStaleWriter(caseDir, cipher);
  await encryptPlaintextDatabase(caseDir, cipher);

  const workDir = await createWorkFolder(caseDir, readOnly ? 'read' : 'write');
  const copy = makeCopy(caseDir, workDir, readOnly, cipher);
  try {
    if (!readOnly) createDatabaseLock(caseDir, workDir);
    await completeInterruptedSave(caseDir);
    const encrypted = join(caseDir, ENCRYPTED_DB_FILE);
    if (existsSync(encrypted)) await decryptDatabaseFile(cipher, encrypted, copy.path);
    await assertDatabaseCurrent(caseDir);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    openCopies.delete(workDir);
    if (!readOnly && !(error instanceof CloudcaseError && error.code === 'case_locked')) {
      removeDatabaseLock(caseDir);
    }
    throw error;
  }

  return copy;
}

function makeCopy(
  caseDir: string,
  workDir: string,
  readOnly: boolean,
  cipher: CaseCipher,
): WorkingCopy {
  openCopies.set(workDir, { caseDir, writer: !readOnly });
  watchSignals();
  const path = join(workDir, PLAIN_DB_FILE);
  const forget = () => {
    rmSync(workDir, { recursive: true, force: true });
    openCopies.delete(workDir);
    if (!readOnly) removeDatabaseLock(caseDir);
  };

  return {
    path,
    spillDir: join(workDir, 'spill'),
    discard: forget,
    async close() {
      if (!readOnly) {
        try {
          await saveCopy(caseDir, cipher, path);
        } catch (error) {
          openCopies.delete(workDir);
          throw saveFailedError(caseDir, workDir, error);
        }
      }
      try {
        const reports = await encryptReports(caseDir, cipher);
        if (reports.length > 0) warn(reportsMessage(caseDir, reports));
      } finally {
        forget();
      }
    },
  };
}

// Folds the write-ahead log into the file, so the one file contains every committed change.
// DuckDB does that when it closes a database, and this catches a copy whose DuckDB did not close.
// Each save is recorded in the signed ledger before the new file replaces the old one, so an
// older file put back later no longer matches the ledger (see `database-binding.ts`).
async function saveCopy(caseDir: string, cipher: CaseCipher, path: string): Promise<void> {
  if (existsSync(`${path}.wal`)) {
    const instance = await DuckDBInstance.create(path, { temp_directory: `${path}.spill` });
    instance.closeSync();
  }
  await encryptFile(cipher, DATABASE_FILE, path, join(caseDir, ENCRYPTED_DB_FILE), (partial) =>
    recordDatabaseSave(caseDir, partial),
  );
}

/**
 * Settles a lock left by a writer that ended without closing, because it was killed or the
 * machine stopped. Its working copy, when still there, contains every change it committed, so
 * it is encrypted into the case. Then the lock is removed. Raises `case_locked` while the
 * writer still runs.
 */
async function settleStaleWriter(caseDir: string, cipher: CaseCipher): Promise<void> {
  const found = readDatabaseLock(caseDir, new Set(openCopies.keys()));
  if (found.state === 'free') return;
  if (found.state === 'held') throw lockedError(caseDir);

  // NOTE: two commands that find the same stale lock at once both save the copy; one of them
  // may then fail to read it after the other deleted it, and has to be run again.
  const workDir = found.lock.work_dir;
  const path = join(workDir, PLAIN_DB_FILE);
  // A sealed ledger takes no more saves: the copy's unsaved changes came after the seal.
  if (isOwnWorkFolder(caseDir, workDir) && existsSync(path) && (await isSealed(caseDir))) {
    warn(
      `a command that was writing to case ${caseDir} ended without closing it (pid ` +
        `${found.lock.pid}) and the case was sealed since; its unsaved changes were deleted`,
    );
  } else if (isOwnWorkFolder(caseDir, workDir) && existsSync(path)) {
    await saveCopy(caseDir, cipher, path);
    warn(
      `a command that was writing to case ${caseDir} ended without closing it (pid ` +
        `${found.lock.pid}); its decrypted working copy was encrypted into the case and deleted`,
    );
  }
  if (isOwnWorkFolder(caseDir, workDir)) rmSync(workDir, { recursive: true, force: true });
  removeDatabaseLock(caseDir);
}

/**
 * Encrypts a plaintext `case.duckdb` found in an encrypted case (written by a version that did
 * not encrypt the database, or copied in) and deletes it. Raises `database_conflict` when the
 * case contains an encrypted database too, since either may be the newer one.
 */
async function encryptPlaintextDatabase(caseDir: string, cipher: CaseCipher): Promise<void> {
  const plain = join(caseDir, PLAIN_DB_FILE);
  if (!existsSync(plain)) return;
  if (existsSync(join(caseDir, ENCRYPTED_DB_FILE))) {
    throw new CloudcaseError(
      'database_conflict',
      `encrypted case ${caseDir} holds both ${PLAIN_DB_FILE} and ${ENCRYPTED_DB_FILE}; move away ` +
        'the one that is not current, then retry',
      EXIT.case,
    );
  }

  const workDir = await createWorkFolder(caseDir, 'write');
  createDatabaseLock(caseDir, workDir);
  try {
    // DuckDB opens the file in place, which checks that no older process still has it open,
    // and folds its write-ahead log in when it closes.
    const instance = await DuckDBInstance.create(plain, { temp_directory: join(workDir, 'spill') });
    instance.closeSync();
    // A sealed ledger takes no entry, so the file of a sealed case is encrypted unrecorded.
    const record = (await isSealed(caseDir))
      ? undefined
      : (partial: string) => recordDatabaseSave(caseDir, partial);
    await encryptFile(cipher, DATABASE_FILE, plain, join(caseDir, ENCRYPTED_DB_FILE), record);
    rmSync(plain);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    removeDatabaseLock(caseDir);
  }
  warn(
    `case ${caseDir} is encrypted but held an unencrypted ${PLAIN_DB_FILE}; it is now stored as ` +
      `${ENCRYPTED_DB_FILE} and the plaintext file was deleted (its old disk blocks may remain)`,
  );
}

/** Deletes the working copies of this case that read opens of ended processes left behind. */
async function deleteStaleReaderCopies(caseDir: string): Promise<void> {
  const base = workBase();
  const prefix = folderPrefix(caseDir);
  const names = await readdir(base).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;

    const folder = join(base, name);
    const owner = await readOwner(folder);
    if (owner === null || owner.mode !== 'read') continue;
    if (isProcessRunning(owner.pid, owner.started_at) && owner.pid !== process.pid) continue;
    if (owner.pid === process.pid && openCopies.has(folder)) continue;

    rmSync(folder, { recursive: true, force: true });
  }
}

async function createWorkFolder(caseDir: string, mode: 'read' | 'write'): Promise<string> {
  // mkdtemp creates the folder with mode 0700, so only this user can enter it.
  const folder = await mkdtemp(join(workBase(), folderPrefix(caseDir)));
  const owner: OwnerFile = {
    pid: process.pid,
    started_at: new Date().toISOString(),
    mode,
    case: resolve(caseDir),
  };
  await writeFile(join(folder, OWNER_FILE), `${JSON.stringify(owner)}\n`, { mode: 0o600 });

  return folder;
}

/**
 * Chooses where working copies go: `$CLOUDCASE_DB_WORK_DIR`, else /dev/shm (memory-backed on
 * Linux) when it is a writable folder, else the system's temporary folder.
 */
export function workBase(): string {
  const chosen = process.env[WORK_DIR_ENV];
  if (chosen !== undefined && chosen !== '') return resolve(chosen);
  if (isWritableFolder('/dev/shm')) return '/dev/shm';

  return tmpdir();
}

function isWritableFolder(folder: string): boolean {
  try {
    if (!statSync(folder).isDirectory()) return false;
    accessSync(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the name prefix of the working folders of a case: a hash of the case's absolute path,
 * so stale copies of one case can be found without reading other cases' folders.
 */
export function folderPrefix(caseDir: string): string {
  const tag = createHash('sha256').update(resolve(caseDir)).digest('hex').slice(0, 16);
  return `${FOLDER_PREFIX}${tag}-`;
}

/**
 * Tells whether a folder named by a lock file is a working folder of this case that this user
 * created: a lock file is case data, and the folder is deleted or read into the case.
 */
export function isOwnWorkFolder(caseDir: string, folder: string): boolean {
  if (!isAbsolute(folder) || !basename(folder).startsWith(folderPrefix(caseDir))) return false;
  try {
    const stat = lstatSync(folder);
    const ownUser = process.getuid === undefined || stat.uid === process.getuid();
    return stat.isDirectory() && ownUser && (stat.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Reads `owner.json` of a working folder, or returns `null` when it is missing or unreadable. */
export async function readOwner(folder: string): Promise<OwnerFile | null> {
  try {
    return JSON.parse(await readFile(join(folder, OWNER_FILE), 'utf8')) as OwnerFile;
  } catch {
    return null;
  }
}

function reportsMessage(caseDir: string, names: string[]): string {
  const example = join(caseDir, 'reports', `${names[0]}${ENCRYPTED_EXTENSION}`);
  return (
    `the case is encrypted, so reports/${names.join(', reports/')} ` +
    `${names.length === 1 ? 'is' : 'are'} stored encrypted with the extension ` +
    `${ENCRYPTED_EXTENSION}; read one with cloudcase case decrypt --case ${caseDir} ${example}`
  );
}

function saveFailedError(caseDir: string, workDir: string, cause: unknown): CloudcaseError {
  return new CloudcaseError(
    'database_save_failed',
    `encrypting the database back into case ${caseDir} failed; the decrypted working copy is ` +
      `kept in ${workDir}, and the next command that opens the case with its key saves it`,
    EXIT.case,
    { cause },
  );
}

let watching = false;

/**
 * Deletes every open working copy unsaved when the process ends without closing them, and on
 * SIGINT, SIGTERM and SIGHUP, unless the command handles that signal itself (as `serve` does,
 * closing the database properly). A signal then ends the process as it would have by default.
 */
function watchSignals(): void {
  if (watching) return;

  watching = true;
  process.on('exit', discardOpenCopies);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      discardOpenCopies();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function discardOpenCopies(): void {
  for (const [folder, { caseDir, writer }] of openCopies) {
    rmSync(folder, { recursive: true, force: true });
    if (writer) removeDatabaseLock(caseDir);
  }
  openCopies.clear();
}
