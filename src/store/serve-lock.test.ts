import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CloudcaseError, EXIT } from '../core/errors.ts';
import { CaseDb } from './case-db.ts';
import { translateOpenError } from './open-database.ts';
import { readServeLock, removeServeLock, SERVE_LOCK_FILE, writeServeLock } from './serve-lock.ts';

let caseDir: string;
let child: ChildProcess | null = null;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-lock-'));
  const db = await CaseDb.open(caseDir);
  await db.close();
});

afterEach(async () => {
  child?.kill();
  child = null;
  await rm(caseDir, { recursive: true, force: true });
});

// A process that stays alive until the test ends, standing in for a running server.
function liveProcess(): number {
  child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  return child.pid as number;
}

// The pid of a process that has already exited.
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(run.stdout);
}

const lockOf = (pid: number, startedAt = new Date().toISOString()) => ({
  pid,
  port: 7420,
  url: 'http://127.0.0.1:7420',
  started_at: startedAt,
});

async function openError(open: () => Promise<CaseDb>): Promise<CloudcaseError> {
  try {
    const db = await open();
    await db.close();
  } catch (error) {
    return error as CloudcaseError;
  }
  throw new Error('the case opened');
}

describe('serve lock', () => {
  it('names the server when another process serves the case', async () => {
    writeServeLock(caseDir, lockOf(liveProcess()));
    for (const open of [() => CaseDb.openReadOnly(caseDir), () => CaseDb.open(caseDir)]) {
      const error = await openError(open);
      expect(error.code).toBe('case_open_in_server');
      expect(error.exitCode).toBe(EXIT.case);
      expect(error.message).toContain(`pid ${child?.pid}`);
      expect(error.message).toContain('http://127.0.0.1:7420');
      expect(error.message).toContain('cloudcase serve');
    }
  });

  it('ignores a lock whose process is gone', async () => {
    writeServeLock(caseDir, lockOf(deadPid()));
    expect(readServeLock(caseDir)).toBeNull();
    const db = await CaseDb.openReadOnly(caseDir);
    await db.close();
  });

  it('ignores a lock whose pid another process reuses', async () => {
    const pid = liveProcess();
    writeServeLock(caseDir, lockOf(pid, new Date(Date.now() - 3_600_000).toISOString()));
    expect(readServeLock(caseDir)).toBeNull();
    writeServeLock(caseDir, lockOf(pid));
    expect(readServeLock(caseDir)?.pid).toBe(pid);
  });

  it('ignores an unreadable lock file', async () => {
    await writeFile(join(caseDir, SERVE_LOCK_FILE), 'not json');
    expect(readServeLock(caseDir)).toBeNull();
  });

  it('lets the serving process open its own case', async () => {
    writeServeLock(caseDir, lockOf(process.pid));
    const db = await CaseDb.open(caseDir);
    await db.close();
    removeServeLock(caseDir);
    expect(readServeLock(caseDir)).toBeNull();
  });

  it("maps DuckDB's lock error to the server's message", () => {
    writeServeLock(caseDir, lockOf(liveProcess()));
    const duckdb = new Error(
      'IO Error: Could not set lock on file "case.duckdb": Conflicting lock is held in node (PID 1)',
    );
    const error = translateOpenError(duckdb, caseDir, join(caseDir, 'case.duckdb'), true);
    expect(error.code).toBe('case_open_in_server');
    expect(error.exitCode).toBe(EXIT.case);
  });

  it("keeps DuckDB's lock error when no server holds the case", () => {
    const duckdb = new Error('IO Error: Could not set lock on file "case.duckdb"');
    const error = translateOpenError(duckdb, caseDir, join(caseDir, 'case.duckdb'), true);
    expect(error.code).toBe('case_locked');
  });
});
