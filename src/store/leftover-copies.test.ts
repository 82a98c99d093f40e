import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CASE_KEY_ENV, enableEncryption } from '../evidence/case-cipher.ts';
import { CaseDb } from './case-db.ts';
import { deleteWorkingCopies, findWorkingCopies, leftoverCopyWarnings } from './leftover-copies.ts';
import { WORK_DIR_ENV } from './working-copy.ts';

const key = randomBytes(32);
let root: string;
let caseDir: string;
let workBase: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cloudcase-leftover-'));
  caseDir = join(root, 'case');
  workBase = join(root, 'work');
  await mkdir(caseDir);
  await mkdir(workBase);
  await enableEncryption(caseDir, key);
  process.env[CASE_KEY_ENV] = key.toString('hex');
  process.env[WORK_DIR_ENV] = workBase;
  const db = await CaseDb.open(caseDir);
  await db.close();
});

afterEach(async () => {
  delete process.env[CASE_KEY_ENV];
  delete process.env[WORK_DIR_ENV];
  await rm(root, { recursive: true, force: true });
});

const CASE_DB_MODULE = JSON.stringify(join(import.meta.dirname, 'case-db.ts'));

/** Opens the case in a child process that is then killed, leaving its working copy. */
async function killedOpen(mode: 'open' | 'openReadOnly', workDir = workBase): Promise<void> {
  const script = `
    import { CaseDb } from ${CASE_DB_MODULE};
    await CaseDb.${mode}(${JSON.stringify(caseDir)});
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, [WORK_DIR_ENV]: workDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const signal = await new Promise((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  expect(signal).toBe('SIGKILL');
}

describe('leftover working copies', () => {
  // Each open deletes or saves the copies found before it, so one test leaves one copy.
  it('finds the copy a killed reader left', async () => {
    await killedOpen('openReadOnly');
    const copies = await findWorkingCopies(caseDir);
    const warnings = await leftoverCopyWarnings(caseDir);

    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ running: false, owner: { mode: 'read' } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.code).toBe('working_copy_left');
    expect(warnings[0]?.message).toContain(workBase);
    expect(warnings[0]?.message).toContain('deletes it');
  });

  it('finds the copy a killed writer left', async () => {
    await killedOpen('open');
    const warnings = await leftoverCopyWarnings(caseDir);

    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('encrypts it into the case');
  });

  it('deletes copies killed processes left', async () => {
    await killedOpen('open');

    expect(await deleteWorkingCopies(caseDir)).toHaveLength(1);
    expect(await readdir(workBase)).toEqual([]);
  });

  it('finds a writer copy in another work folder', async () => {
    const other = join(root, 'other-work');
    await mkdir(other);
    await killedOpen('open', other);
    const copies = await findWorkingCopies(caseDir);

    expect(copies).toHaveLength(1);
    expect(copies[0]?.folder.startsWith(other)).toBe(true);
    expect(await deleteWorkingCopies(caseDir)).toHaveLength(1);
    expect(await readdir(other)).toEqual([]);
  });

  it('keeps a copy in use', async () => {
    const db = await CaseDb.openReadOnly(caseDir);
    try {
      await killedOpen('openReadOnly');
      const copies = await findWorkingCopies(caseDir);

      expect(copies.map((copy) => copy.running).sort()).toEqual([false, true]);
      expect(await leftoverCopyWarnings(caseDir)).toHaveLength(1);
      await expect(deleteWorkingCopies(caseDir)).rejects.toMatchObject({ code: 'case_locked' });
      expect(await readdir(workBase)).toHaveLength(2);
    } finally {
      await db.close();
    }
  });

  it('ignores other cases', async () => {
    const otherCase = join(root, 'other-case');
    await mkdir(otherCase);
    await killedOpen('openReadOnly');

    expect(await findWorkingCopies(otherCase)).toEqual([]);
    expect(existsSync(workBase)).toBe(true);
  });
});
