/**
 * The lock file `cloudcase serve` writes in a case folder while it owns the case database, so
 * that other commands can name the server that holds the case instead of DuckDB's lock error.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/** File name of the lock file inside a case folder. */
export const SERVE_LOCK_FILE = 'serve.lock';

/** Contents of the lock file. `url` has no token: the lock file is no way into the server. */
export interface ServeLock {
  pid: number;
  port: number;
  url: string;
  started_at: string;
}

/** Writes the lock file of a server that owns the case. */
export function writeServeLock(caseDir: string, lock: ServeLock): void {
  writeFileSync(join(caseDir, SERVE_LOCK_FILE), `${JSON.stringify(lock)}\n`, { mode: 0o600 });
}

/** Removes the lock file when it is this process's own. */
export function removeServeLock(caseDir: string, pid = process.pid): void {
  if (readServeLock(caseDir)?.pid === pid) rmSync(join(caseDir, SERVE_LOCK_FILE), { force: true });
}

/**
 * Returns the lock of a server that is still running, or `null` when there is no lock file, it
 * is unreadable, or its process is gone (a stale lock left by a server that was killed).
 */
export function readServeLock(caseDir: string): ServeLock | null {
  let lock: ServeLock;
  try {
    lock = JSON.parse(readFileSync(join(caseDir, SERVE_LOCK_FILE), 'utf8')) as ServeLock;
  } catch {
    return null;
  }
  return isProcessRunning(lock.pid, lock.started_at) ? lock : null;
}

/**
 * Tells whether the process that wrote a lock at `writtenAt` (ISO 8601) with its `pid` still
 * runs. A process that started after the lock was written only reuses the pid of the one that
 * wrote it (after a reboot, say), so it does not count.
 */
export function isProcessRunning(pid: number, writtenAt: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isAlive(pid)) return false;

  const started = processStartMillis(pid);
  const written = Date.parse(writtenAt);
  return started === null || Number.isNaN(written) || started <= written + START_TOLERANCE_MS;
}

// Start times from /proc are in clock ticks, and the lock's time is taken after the server
// started, so only a start well after it counts as another process.
const START_TOLERANCE_MS = 2000;

/**
 * Returns when a process started, in epoch milliseconds, from Linux's /proc, or `null` where
 * /proc is not available.
 * NOTE: this assumes 100 clock ticks a second, the value of USER_HZ on Linux's common
 * architectures.
 */
function processStartMillis(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    // The process name (field 2) is in parentheses and may hold spaces, so fields are counted
    // from the last ')': the start time is field 22, the 20th after it.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    if (boot === undefined || !Number.isFinite(ticks)) return null;
    return Number(boot) * 1000 + ticks * 10;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `case_open_in_server` error for a case another process serves. */
export function caseServedError(caseDir: string, lock: ServeLock, cause?: unknown): CloudcaseError {
  return new CloudcaseError(
    'case_open_in_server',
    `the case ${caseDir} is open in cloudcase serve (pid ${lock.pid}, ${lock.url}); ` +
      'use the workbench, or stop the server and run the command again',
    EXIT.case,
    cause === undefined ? undefined : { cause },
  );
}

/** Raises `case_open_in_server` when another process serves the case. */
export function checkServeLock(caseDir: string): void {
  const lock = readServeLock(caseDir);
  if (lock !== null && lock.pid !== process.pid) throw caseServedError(caseDir, lock);
}
