/**
 * Finds the decrypted working copies of an encrypted case outside the case folder, telling
 * those of running commands from those that a process killed outright (SIGKILL, a crash) left
 * behind. `case purge` deletes the left copies with the case, and `verify` warns about them,
 * because each is a plaintext database of the case.
 */
import { rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { VerifyProblem } from '../evidence/types.ts';
import { readDatabaseLock } from './database-lock.ts';
import { isProcessRunning } from './serve-lock.ts';
import {
  folderPrefix,
  isOpenInThisProcess,
  isOwnWorkFolder,
  type OwnerFile,
  readOwner,
  workBase,
} from './working-copy.ts';

/** A working folder of a case. */
export interface FoundCopy {
  folder: string;
  /** The process that created the folder, or `null` when its `owner.json` is missing. */
  owner: OwnerFile | null;
  /** Whether that process still runs, so the copy is in use. */
  running: boolean;
}

/**
 * Lists the working folders of a case in every folder that may hold them: the current work
 * folder (`$CLOUDCASE_DB_WORK_DIR`, /dev/shm or the system's temporary folder), the other two
 * defaults, and the folder named by the case's lock file. Only folders that this user created
 * with mode 0700 and the case's name prefix count.
 * NOTE: a copy made with another `CLOUDCASE_DB_WORK_DIR` is found only while the case's lock
 * file names it, which holds for a writer's copy and not for a reader's.
 */
export async function findWorkingCopies(caseDir: string): Promise<FoundCopy[]> {
  const prefix = folderPrefix(caseDir);
  const found: FoundCopy[] = [];
  for (const base of candidateBases(caseDir)) {
    const names = await readdir(base).catch(() => [] as string[]);
    for (const name of names) {
      const folder = join(base, name);
      if (!name.startsWith(prefix) || !isOwnWorkFolder(caseDir, folder)) continue;

      const owner = await readOwner(folder);
      if (owner !== null && owner.case !== resolve(caseDir)) continue;
      found.push({ folder, owner, running: owner !== null && isRunning(folder, owner) });
    }
  }

  return found;
}

/**
 * Deletes the working copies of a case before the case itself is deleted, and returns the
 * folders deleted. Raises `case_locked` while a running command has one open, and deletes
 * nothing then.
 */
export async function deleteWorkingCopies(caseDir: string): Promise<string[]> {
  const copies = await findWorkingCopies(caseDir);
  const running = copies.find((copy) => copy.running);
  if (running !== undefined) {
    throw new CloudcaseError(
      'case_locked',
      `case ${caseDir} is open in process ${running.owner?.pid} (working copy ${running.folder}); ` +
        'wait for that command to end or stop it, then retry',
      EXIT.case,
    );
  }
  for (const copy of copies) rmSync(copy.folder, { recursive: true, force: true });

  return copies.map((copy) => copy.folder);
}

/**
 * Lists, as `working_copy_left` warnings for `verify`, the working copies of a case that
 * processes which ended without closing the database left outside the case folder.
 */
export async function leftoverCopyWarnings(caseDir: string): Promise<VerifyProblem[]> {
  const copies = await findWorkingCopies(caseDir);
  return copies
    .filter((copy) => !copy.running)
    .map((copy) => {
      const who = copy.owner === null ? 'a process' : `process ${copy.owner.pid}`;
      const next =
        copy.owner?.mode === 'write'
          ? 'the next command that opens the case with its key encrypts it into the case ' +
            '(or deletes it unsaved once the case is sealed)'
          : 'the next command that opens the case with its key deletes it';
      return {
        code: 'working_copy_left',
        message:
          `${who} ended without closing the database and left its decrypted working copy in ` +
          `${copy.folder}; ${next}, and cloudcase case purge deletes it.`,
      };
    });
}

function isRunning(folder: string, owner: OwnerFile): boolean {
  if (owner.pid === process.pid) return isOpenInThisProcess(folder);

  return isProcessRunning(owner.pid, owner.started_at);
}

function candidateBases(caseDir: string): string[] {
  const bases = [workBase(), '/dev/shm', tmpdir()];
  const lock = readDatabaseLock(caseDir, new Set());
  if (lock.state !== 'free' && isAbsolute(lock.lock.work_dir)) {
    bases.push(dirname(lock.lock.work_dir));
  }

  return [...new Set(bases.map((base) => resolve(base)))];
}
