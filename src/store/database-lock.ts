/**
 * The lock file a process holds in an encrypted case folder while it has the database open for
 * writing. Each process works on a decrypted copy of its own, so DuckDB's file lock cannot keep
 * two writers apart there, and this file does. It names the writer's working copy, so that a
 * copy left by a crashed writer can be found and saved.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { isProcessRunning } from './serve-lock.ts';

/** File name of the lock file inside an encrypted case folder. */
export const DATABASE_LOCK_FILE = 'case.duckdb.lock';

/** Contents of the lock file. */
export interface DatabaseLock {
  pid: number;
  started_at: string;
  /** Folder of the writer's decrypted working copy. */
  work_dir: string;
}

/** The lock file's state: none, held by a running process, or left by one that ended. */
export type LockState =
  | { state: 'free' }
  | { state: 'held'; lock: DatabaseLock }
  | { state: 'stale'; lock: DatabaseLock };

/** Reads the lock file of an encrypted case. */
export function readDatabaseLock(caseDir: string, ownWorkDirs: ReadonlySet<string>): LockState {
  let lock: DatabaseLock;
  try {
    lock = JSON.parse(readFileSync(join(caseDir, DATABASE_LOCK_FILE), 'utf8')) as DatabaseLock;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'free' };
    // A lock file cut short by a crash while it was written names no working copy to save.
    return { state: 'stale', lock: { pid: 0, started_at: '', work_dir: '' } };
  }
  // This process's own lock counts only while it still has that working copy open.
  const running =
    lock.pid === process.pid
      ? ownWorkDirs.has(lock.work_dir)
      : isProcessRunning(lock.pid, lock.started_at);

  return running ? { state: 'held', lock } : { state: 'stale', lock };
}

/**
 * Creates the lock file for `workDir`. Raises `case_locked` when another process created it
 * first. A stale lock must be removed with `removeDatabaseLock` before.
 */
export function createDatabaseLock(caseDir: string, workDir: string): void {
  const lock: DatabaseLock = {
    pid: process.pid,
    started_at: new Date().toISOString(),
    work_dir: workDir,
  };
  try {
    writeFileSync(join(caseDir, DATABASE_LOCK_FILE), `${JSON.stringify(lock)}\n`, {
      flag: 'wx',
      mode: 0o600,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw lockedError(caseDir, error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new CloudcaseError(
        'case_not_writable',
        `case ${caseDir} is not writable (${code}); give your user write access to the case ` +
          'folder, or copy it to a writable disk and run the command on the copy',
        EXIT.case,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Removes the lock file. */
export function removeDatabaseLock(caseDir: string): void {
  rmSync(join(caseDir, DATABASE_LOCK_FILE), { force: true });
}

/** Builds the `case_locked` error for an encrypted case another command writes to. */
export function lockedError(caseDir: string, cause?: unknown): CloudcaseError {
  return new CloudcaseError(
    'case_locked',
    `another cloudcase command is using this case (${caseDir}); wait for it to finish`,
    EXIT.case,
    cause === undefined ? undefined : { cause },
  );
}
