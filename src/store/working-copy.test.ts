import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CASE_KEY_ENV, enableEncryption } from '../evidence/case-cipher.ts';
import { SIGNING_KEY_ENV } from '../evidence/signing-key.ts';
import { verifyCase } from '../evidence/verify-case.ts';
import { CaseDb } from './case-db.ts';
import { checkCaseDatabase } from './check-database.ts';
import { DATABASE_SAVED_ACTION, fileSha256 } from './database-binding.ts';
import { DATABASE_LOCK_FILE } from './database-lock.ts';
import { decryptCaseFile, ENCRYPTED_DB_FILE } from './encrypted-files.ts';
import { testEvent } from './test-events.ts';
import { setWorkingCopyWarnings, WORK_DIR_ENV } from './working-copy.ts';

const MARKER = 'zebracanary-7f3a';

/** Returns the SHA-256 of bytes as hex. */
function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
const key = randomBytes(32);
let root: string;
let caseDir: string;
let workBase: string;
let warnings: string[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cloudcase-dbcrypt-'));
  caseDir = join(root, 'case');
  workBase = join(root, 'work');
  await mkdir(caseDir);
  await mkdir(workBase);
  await enableEncryption(caseDir, key);
  process.env[CASE_KEY_ENV] = key.toString('hex');
  process.env[WORK_DIR_ENV] = workBase;
  warnings = [];
  setWorkingCopyWarnings((message) => warnings.push(message));
});

afterEach(async () => {
  delete process.env[CASE_KEY_ENV];
  delete process.env[WORK_DIR_ENV];
  setWorkingCopyWarnings(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function storeMarkedEvent(): Promise<void> {
  const db = await CaseDb.open(caseDir);
  try {
    const writer = await db.eventWriter();
    writer.append(testEvent(1, { message: `${MARKER} created a key` }));
    await writer.close();
  } finally {
    await db.close();
  }
}

async function storeEvent(index: number, message: string): Promise<void> {
  const db = await CaseDb.open(caseDir);
  try {
    const writer = await db.eventWriter();
    writer.append(testEvent(index, { message }));
    await writer.close();
  } finally {
    await db.close();
  }
}

async function messages(): Promise<string[]> {
  const db = await CaseDb.openReadOnly(caseDir);
  try {
    const found: string[] = [];
    for await (const event of db.timeline()) found.push(event.message);
    return found;
  } finally {
    await db.close();
  }
}

/** Concatenates every file under `folder`, to search it for plaintext. */
async function allBytes(folder: string): Promise<string> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts).toString('latin1');
}

/** Runs a script in a child process with the case key and work folder of the test. */
function runChild(script: string): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    env: { ...process.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

const CASE_DB_MODULE = JSON.stringify(join(import.meta.dirname, 'case-db.ts'));
const TEST_EVENTS_MODULE = JSON.stringify(join(import.meta.dirname, 'test-events.ts'));

describe('encrypted case database', () => {
  it('stores only ciphertext in the case', async () => {
    await storeMarkedEvent();

    expect(existsSync(join(caseDir, ENCRYPTED_DB_FILE))).toBe(true);
    expect(existsSync(join(caseDir, 'case.duckdb'))).toBe(false);
    expect(existsSync(join(caseDir, DATABASE_LOCK_FILE))).toBe(false);
    expect(await allBytes(caseDir)).not.toContain(MARKER);
    expect(await readdir(workBase)).toEqual([]);
    expect(await messages()).toEqual([`${MARKER} created a key`]);
    expect(await readdir(workBase)).toEqual([]);
  });

  it('keeps changes across write opens', async () => {
    await storeMarkedEvent();
    const db = await CaseDb.open(caseDir);
    const writer = await db.eventWriter();
    writer.append(testEvent(2, { message: 'second' }));
    await writer.close();
    await db.close();

    expect(await messages()).toEqual([`${MARKER} created a key`, 'second']);
  });

  it('rejects a missing or wrong key', async () => {
    await storeMarkedEvent();
    delete process.env[CASE_KEY_ENV];
    const missing = await CaseDb.openReadOnly(caseDir).catch((error: unknown) => error);
    process.env[CASE_KEY_ENV] = randomBytes(32).toString('hex');
    const wrong = await CaseDb.open(caseDir).catch((error: unknown) => error);

    expect(missing).toMatchObject({ code: 'case_key_missing', exitCode: 4 });
    expect(wrong).toMatchObject({ code: 'case_key_wrong', exitCode: 4 });
    expect(await readdir(workBase)).toEqual([]);
  });

  it('rejects a changed or cut database', async () => {
    await storeMarkedEvent();
    const file = join(caseDir, ENCRYPTED_DB_FILE);
    const bytes = await readFile(file);
    const changed = Buffer.from(bytes);
    changed[100_000] = (changed[100_000] ?? 0) ^ 1;
    await writeFile(file, changed);
    const changedError = await CaseDb.openReadOnly(caseDir).catch((error: unknown) => error);
    await writeFile(file, bytes);
    await truncate(file, bytes.length - 10);
    const cutError = await CaseDb.open(caseDir).catch((error: unknown) => error);

    expect(changedError).toMatchObject({ code: 'database_modified', exitCode: 5 });
    expect(cutError).toMatchObject({ code: 'database_modified', exitCode: 5 });
    expect(await readdir(workBase)).toEqual([]);
    expect(existsSync(join(caseDir, DATABASE_LOCK_FILE))).toBe(false);
  });

  it('rejects opens while another process writes', async () => {
    await storeMarkedEvent();
    // The parent of the test process runs for as long as the test does.
    const lock = { pid: process.ppid, started_at: new Date().toISOString(), work_dir: workBase };
    await writeFile(join(caseDir, DATABASE_LOCK_FILE), JSON.stringify(lock));

    await expect(CaseDb.open(caseDir)).rejects.toMatchObject({ code: 'case_locked' });
    await expect(CaseDb.openReadOnly(caseDir)).rejects.toMatchObject({ code: 'case_locked' });
    expect(await readdir(workBase)).toEqual([]);
  });

  it('saves the copy a killed writer left', async () => {
    await storeMarkedEvent();
    const script = `
      import { CaseDb } from ${CASE_DB_MODULE};
      import { testEvent } from ${TEST_EVENTS_MODULE};
      const db = await CaseDb.open(${JSON.stringify(caseDir)});
      const writer = await db.eventWriter();
      writer.append(testEvent(3, { message: 'written before the crash' }));
      await writer.close();
      process.kill(process.pid, 'SIGKILL');`;
    const run = await runChild(script);
    const left = await readdir(workBase);

    expect(run.signal).toBe('SIGKILL');
    expect(left).toHaveLength(1);
    expect(existsSync(join(caseDir, DATABASE_LOCK_FILE))).toBe(true);
    expect(await messages()).toEqual([`${MARKER} created a key`, 'written before the crash']);
    expect(warnings.join('\n')).toMatch(/ended without closing it .*encrypted into the case/);
    expect(await readdir(workBase)).toEqual([]);
    expect(existsSync(join(caseDir, DATABASE_LOCK_FILE))).toBe(false);
  });

  it('deletes its copy when interrupted', async () => {
    await storeMarkedEvent();
    const script = `
      import { CaseDb } from ${CASE_DB_MODULE};
      const db = await CaseDb.open(${JSON.stringify(caseDir)});
      process.kill(process.pid, 'SIGINT');
      setInterval(() => {}, 1000);`;
    const run = await runChild(script);

    expect(run.signal).toBe('SIGINT');
    expect(await readdir(workBase)).toEqual([]);
    expect(existsSync(join(caseDir, DATABASE_LOCK_FILE))).toBe(false);
    expect(await messages()).toEqual([`${MARKER} created a key`]);
  });

  it('deletes the copy a killed reader left', async () => {
    await storeMarkedEvent();
    const script = `
      import { CaseDb } from ${CASE_DB_MODULE};
      await CaseDb.openReadOnly(${JSON.stringify(caseDir)});
      process.kill(process.pid, 'SIGKILL');`;
    const run = await runChild(script);
    const left = await readdir(workBase);

    expect(run.signal).toBe('SIGKILL');
    expect(left).toHaveLength(1);
    expect(await messages()).toHaveLength(1);
    expect(await readdir(workBase)).toEqual([]);
  });

  it('encrypts a plaintext database it finds', async () => {
    await rm(join(caseDir, 'encryption.json'));
    await storeMarkedEvent();
    await enableEncryption(caseDir, key);

    expect(await messages()).toEqual([`${MARKER} created a key`]);
    expect(existsSync(join(caseDir, 'case.duckdb'))).toBe(false);
    expect(await allBytes(caseDir)).not.toContain(MARKER);
    expect(warnings.join('\n')).toMatch(/held an unencrypted case\.duckdb/);
  });

  it('encrypts the reports on close', async () => {
    await mkdir(join(caseDir, 'reports', 'cisa'), { recursive: true });
    await writeFile(join(caseDir, 'reports', 'timeline.csv'), `time,message\nx,${MARKER}\n`);
    await writeFile(join(caseDir, 'reports', 'cisa', 'cisa-v0001.md'), 'filed version\n');
    await writeFile(join(caseDir, 'reports', 'cisa', 'cisa-v0001.record.json'), '{}\n');
    await storeMarkedEvent();
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await decryptCaseFile({ key }, join(caseDir, 'reports', `timeline.csv${'.enc'}`), out);

    expect(await readdir(join(caseDir, 'reports'))).toEqual(['cisa', 'timeline.csv.enc']);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(`time,message\nx,${MARKER}\n`);
    expect((await readdir(join(caseDir, 'reports', 'cisa'))).sort()).toEqual([
      'cisa-v0001.md.enc',
      'cisa-v0001.record.json',
    ]);
    expect(warnings.join('\n')).toMatch(/reports\/timeline\.csv.* stored encrypted/);
    expect(warnings.join('\n')).toContain('reports/cisa/cisa-v0001.md');
  });
});

describe('encrypted database saves', () => {
  it('records each save in the ledger', async () => {
    await storeMarkedEvent();
    await storeEvent(2, 'second');
    const entries = (await readFile(join(caseDir, 'custody.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const saves = entries.filter((entry) => entry.action === DATABASE_SAVED_ACTION);
    const current = await fileSha256(join(caseDir, ENCRYPTED_DB_FILE));
    await mkdir(join(caseDir, 'evidence'));

    expect(saves).toHaveLength(2);
    expect(saves.at(-1)?.details).toEqual({ file: ENCRYPTED_DB_FILE, sha256: current });
    // The events were stored by hand, not by an ingest, so only the stored-events check of
    // verify has something to say; every check of the saved file must pass.
    const codes = (await verifyCase(caseDir)).problems.map((problem) => problem.code);
    expect(codes.filter((code) => code !== 'database_unrecorded')).toEqual([]);
    expect(await checkCaseDatabase(caseDir)).toEqual([]);
  });

  it('rejects a rolled-back database', async () => {
    await storeMarkedEvent();
    const file = join(caseDir, ENCRYPTED_DB_FILE);
    const older = await readFile(file);
    await storeEvent(2, 'second');
    await writeFile(file, older);

    await expect(CaseDb.openReadOnly(caseDir)).rejects.toMatchObject({
      code: 'database_rolled_back',
    });
    await expect(CaseDb.open(caseDir)).rejects.toMatchObject({ code: 'database_rolled_back' });
    expect(await checkCaseDatabase(caseDir)).toMatchObject([{ code: 'database_rolled_back' }]);
    expect(await readdir(workBase)).toEqual([]);
    expect(existsSync(join(caseDir, DATABASE_LOCK_FILE))).toBe(false);
    // Compared by hash: toEqual walks a Buffer of megabytes one byte at a time, which is slow.
    expect(sha256(await readFile(file))).toBe(sha256(older));
  });

  it('rejects a deleted database', async () => {
    await storeMarkedEvent();
    await rm(join(caseDir, ENCRYPTED_DB_FILE));

    await expect(CaseDb.open(caseDir)).rejects.toMatchObject({ code: 'database_missing' });
    expect(await checkCaseDatabase(caseDir)).toMatchObject([{ code: 'database_missing' }]);
  });

  it('completes a save cut before its rename', async () => {
    await storeMarkedEvent();
    const file = join(caseDir, ENCRYPTED_DB_FILE);
    const older = await readFile(file);
    await storeEvent(2, 'second');
    const partial = `${file}.partial-999999`;
    await rename(file, partial);
    await writeFile(file, older);

    expect(await checkCaseDatabase(caseDir)).toMatchObject([{ code: 'database_save_interrupted' }]);
    expect(await messages()).toEqual([`${MARKER} created a key`, 'second']);
    expect(existsSync(partial)).toBe(false);
    expect(await checkCaseDatabase(caseDir)).toEqual([]);
  });

  it('needs the signing key to write', async () => {
    await storeMarkedEvent();
    process.env[SIGNING_KEY_ENV] = join(root, 'missing.pem');
    try {
      await expect(CaseDb.open(caseDir)).rejects.toMatchObject({ code: 'signing_key_not_found' });
      expect(await readdir(workBase)).toEqual([]);
      expect(existsSync(join(caseDir, DATABASE_LOCK_FILE))).toBe(false);
    } finally {
      delete process.env[SIGNING_KEY_ENV];
    }
  });
});
