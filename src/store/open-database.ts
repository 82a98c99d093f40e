import { accessSync, constants, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { caseCipher } from '../evidence/case-cipher.ts';
import { ENCRYPTED_DB_FILE } from './encrypted-files.ts';
import { caseServedError, checkServeLock, readServeLock } from './serve-lock.ts';
import { openWorkingCopy, type WorkingCopy } from './working-copy.ts';

// DuckDB's default buffer pool is 80% of the machine's memory; a case of any size must fit a
// laptop beside a browser, and DuckDB spills to a temporary folder beside the file past this.
export const CASE_MEMORY_LIMIT = '256MB';

/**
 * DuckDB's memory limit while an ingest appends events. The buffer pool otherwise keeps the
 * blocks that each commit writes, up to the case's limit: with 256 MB that cache reached 188 MB
 * after 200,000 CloudTrail events, and with 128 MB it stayed near 70 MB. Setting duplicates
 * aside after a million events ran out of memory at 128 MB, so the case's limit returns then.
 */
export const INGEST_MEMORY_LIMIT = '128MB';

/**
 * Rows per row group of a case opened for writing; DuckDB's default is 122,880. An ingest's
 * transaction keeps the row group it fills uncompressed in memory until it commits (DuckDB 1.5),
 * an estimated 270 MB for 122,880 CloudTrail events of 2.2 KB, so a
 * smaller group lowers the peak of every ingest. It must be a multiple of DuckDB's vector size,
 * 2048.
 */
export const CASE_ROW_GROUP_ROWS = 16_384;

/** Name under which a case opened for writing is attached. */
const CASE_CATALOG = 'case_db';

/**
 * Options of a read-only open. Reads get the case's memory limit too: with 2 GB, `verify` of a
 * million CloudTrail events peaked at 2.0 GB RSS, and with 256 MB at 0.67 GB (2 cores, DuckDB 1.5).
 * Timeline exports sort one time slice at a time, sized from this limit (see `time-slices.ts`).
 * A read-only database cannot create its spill folder beside the file, so it spills to a folder
 * of its own under the system's temporary folder, which DuckDB creates when it first spills.
 */
function readOnlyOptions(spill: string): Record<string, string> {
  return { memory_limit: CASE_MEMORY_LIMIT, access_mode: 'READ_ONLY', temp_directory: spill };
}

/** File name of the case database inside a case folder. */
export const CASE_DB_FILE = 'case.duckdb';

// DuckDB's file lock is per process, so a second instance in this process would open the file
// without error and the two would corrupt each other. This registry closes that gap.
const openInThisProcess = new Map<string, { mode: 'read' | 'write'; count: number }>();

// Numbers the spill folders of read-only opens. Two instances open in one process must not share
// one, because an instance deletes its spill folder when it closes.
let readSpillFolders = 0;

/** A DuckDB instance whose connections use the case database by default. */
export interface CaseInstance {
  connect(): Promise<DuckDBConnection>;
}

/** An open case database. */
export interface OpenDatabase {
  instance: CaseInstance;
  /**
   * Closes the instance and releases the case. For an encrypted case, a write open encrypts its
   * working copy back into the case; every open deletes its working copy.
   */
  close(): Promise<void>;
}

/**
 * Opens the database of a case folder, mapping DuckDB's errors with `translateOpenError`. An
 * unencrypted case has `case.duckdb`; an encrypted one has `case.duckdb.enc`, which is
 * decrypted to a working copy outside the case (see `working-copy.ts`). That raises
 * `case_key_missing` or `case_key_wrong` without the right key, and `database_modified` when
 * the file does not authenticate.
 */
export async function openDatabase(caseDir: string, readOnly: boolean): Promise<OpenDatabase> {
  const path = resolve(join(caseDir, CASE_DB_FILE));
  const cipher = existsSync(caseDir) ? await caseCipher(caseDir) : null;
  // An encrypted case may still hold a plaintext database, which opening it encrypts.
  const encrypted = join(caseDir, ENCRYPTED_DB_FILE);
  const stored = cipher === null || (!existsSync(encrypted) && existsSync(path)) ? path : encrypted;
  checkCaseFolder(caseDir, stored, readOnly);
  checkServeLock(caseDir);
  claim(path, readOnly ? 'read' : 'write', caseDir);

  let copy: WorkingCopy | null = null;
  try {
    if (cipher !== null) copy = await openWorkingCopy(caseDir, readOnly, cipher);
  } catch (error) {
    release(path);
    throw error;
  }

  // A writer spills beside the file it opens, which for a working copy is its private folder.
  readSpillFolders += 1;
  const spill =
    copy?.spillDir ?? join(tmpdir(), `cloudcase-duckdb-${process.pid}-${readSpillFolders}`);
  let instance: DuckDBInstance;
  let caseInstance: CaseInstance;
  try {
    if (readOnly) {
      instance = await DuckDBInstance.create(copy?.path ?? path, readOnlyOptions(spill));
      caseInstance = instance;
    } else {
      instance = await DuckDBInstance.create(':memory:', writeOptions(copy?.path ?? path));
      caseInstance = await attachCase(instance, copy?.path ?? path);
    }
  } catch (error) {
    copy?.discard();
    release(path);
    throw translateOpenError(error, caseDir, path, readOnly);
  }

  return {
    instance: caseInstance,
    async close() {
      instance.closeSync();
      try {
        await copy?.close();
      } finally {
        release(path);
      }
    },
  };
}

// An in-memory database spills to a `.tmp` folder in the working directory by default, so the
// spill folder is set to the one DuckDB uses beside a database file it opens.
function writeOptions(file: string): Record<string, string> {
  return { memory_limit: CASE_MEMORY_LIMIT, temp_directory: `${file}.tmp` };
}

/**
 * Attaches the case file to an in-memory instance, because `ROW_GROUP_SIZE` is an option of
 * ATTACH that the file does not keep, and returns an instance whose connections `USE` it.
 * DuckDB checkpoints the attached file when the instance closes.
 */
async function attachCase(instance: DuckDBInstance, file: string): Promise<CaseInstance> {
  const connection = await instance.connect();
  try {
    const quoted = file.replaceAll("'", "''");
    await connection.run(
      `ATTACH '${quoted}' AS ${CASE_CATALOG} (ROW_GROUP_SIZE ${CASE_ROW_GROUP_ROWS})`,
    );
  } finally {
    connection.closeSync();
  }

  return {
    async connect() {
      const connection = await instance.connect();
      await connection.run(`USE ${CASE_CATALOG}`);
      return connection;
    },
  };
}

function release(path: string): void {
  const held = openInThisProcess.get(path);
  if (held === undefined) return;

  held.count -= 1;
  if (held.count === 0) openInThisProcess.delete(path);
}

function checkCaseFolder(caseDir: string, path: string, readOnly: boolean): void {
  if (!existsSync(caseDir)) {
    throw new CloudcaseError(
      'case_not_found',
      `case folder ${caseDir} does not exist; create it with cloudcase investigate`,
      EXIT.case,
    );
  }
  if (readOnly && !existsSync(path)) {
    throw new CloudcaseError(
      'case_not_found',
      `case folder ${caseDir} has no ${basename(path)}; run cloudcase investigate on it first`,
      EXIT.case,
    );
  }
}

function claim(path: string, mode: 'read' | 'write', caseDir: string): void {
  const held = openInThisProcess.get(path);
  if (held !== undefined && (held.mode === 'write' || mode === 'write')) {
    throw new CloudcaseError(
      'case_locked',
      `case ${caseDir} is already open in this process; close it before opening it again`,
      EXIT.case,
    );
  }
  if (held === undefined) openInThisProcess.set(path, { mode, count: 1 });
  else held.count += 1;
}

/**
 * Maps DuckDB's error on opening `case.duckdb` to `case_open_in_server` (another process's
 * lock, held by a running `cloudcase serve`), `case_locked`, `case_not_writable`,
 * `case_not_readable`, or `case_open_failed` for anything else. DuckDB 1.5 reports another
 * process's lock as an IO Error "Could not set lock on file ...: Conflicting lock is held in
 * <program> (PID n)". A file it cannot open gives "Cannot open file ...: " followed by the
 * system's error text, such as "Permission denied" or "Read-only file system".
 */
export function translateOpenError(
  error: unknown,
  caseDir: string,
  path: string,
  readOnly: boolean,
): CloudcaseError {
  const message = error instanceof Error ? error.message : String(error);
  const fail = (code: string, text: string) =>
    new CloudcaseError(code, text, EXIT.case, { cause: error });

  if (/could not set lock|conflicting lock/i.test(message)) {
    const served = readServeLock(caseDir);
    if (served !== null) return caseServedError(caseDir, served, error);
    return fail(
      'case_locked',
      `another cloudcase command is using this case (${caseDir}); wait for it to finish`,
    );
  }
  if (/read-only file system/i.test(message)) {
    return fail(
      'case_not_writable',
      `case ${caseDir} is on a read-only file system; copy the case folder to a writable disk ` +
        'and run the command on the copy',
    );
  }
  if (/permission denied/i.test(message)) {
    return readOnly || !isReadable(path)
      ? fail(
          'case_not_readable',
          `${CASE_DB_FILE} in case ${caseDir} is not readable (permission denied); give your ` +
            'user read access to the file, then retry',
        )
      : fail(
          'case_not_writable',
          `${CASE_DB_FILE} in case ${caseDir} is not writable (permission denied); give your ` +
            'user write access to the case folder and the file, then retry',
        );
  }

  return fail(
    'case_open_failed',
    `opening ${CASE_DB_FILE} in case ${caseDir} failed; check that the file is a cloudcase database`,
  );
}

// A missing file counts as readable, because the write open that failed was creating it.
function isReadable(path: string): boolean {
  if (!existsSync(path)) return true;

  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
