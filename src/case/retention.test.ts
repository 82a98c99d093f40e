import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CASE_KEY_ENV } from '../evidence/case-cipher.ts';
import { readCaseInfo, writeCaseInfo } from './case-dir.ts';
import { closeCase, initCase, placeHold, releaseHold, setCase } from './case-lifecycle.ts';
import { purgeCase, retentionStatus } from './retention.ts';

const DAY_MS = 86_400_000;
const author = { analyst: 'ana' };
let work: string;
let caseDir: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-retention-'));
  caseDir = path.join(work, 'case');
  await initCase(caseDir, author, { title: 'kept' });
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const daysLater = (days: number) => new Date(Date.now() + days * DAY_MS);

describe('purgeCase', () => {
  it('refuses an open case', async () => {
    await expect(purgeCase(caseDir, daysLater(1000))).rejects.toMatchObject({
      code: 'case_not_closed',
    });
  });

  it('waits for the retention period', async () => {
    await setCase(caseDir, author, { retention_days: 120 });
    await closeCase(caseDir, author, {});

    await expect(purgeCase(caseDir, daysLater(100))).rejects.toMatchObject({
      code: 'retention_not_ended',
    });
    expect(existsSync(caseDir)).toBe(true);
    await purgeCase(caseDir, daysLater(121));
    expect(existsSync(caseDir)).toBe(false);
  });

  it('refuses under legal hold', async () => {
    await closeCase(caseDir, author, {});
    await placeHold(caseDir, author, 'litigation');

    await expect(purgeCase(caseDir, daysLater(1000))).rejects.toMatchObject({
      code: 'legal_hold',
    });
    await releaseHold(caseDir, author);
    await purgeCase(caseDir, daysLater(1000));
    expect(existsSync(caseDir)).toBe(false);
  });

  it('keeps a hold removed from case.json', async () => {
    await placeHold(caseDir, author, 'litigation');
    await closeCase(caseDir, author, {});
    const info = await readCaseInfo(caseDir);
    await writeCaseInfo(caseDir, { ...info, retention: { evidence_days: 90, legal_hold: null } });

    expect((await retentionStatus(caseDir)).legal_hold).toBe('litigation');
    // The edited case.json no longer matches the signed ledger, which alone stops a purge.
    await expect(purgeCase(caseDir, daysLater(1000))).rejects.toMatchObject({
      code: 'verification_failed',
    });
    expect(existsSync(caseDir)).toBe(true);
  });

  it('counts retention from the signed seal', async () => {
    await closeCase(caseDir, author, {});
    const info = await readCaseInfo(caseDir);
    await writeCaseInfo(caseDir, { ...info, closed_at: '2000-01-01T00:00:00.000Z' });

    await expect(purgeCase(caseDir, daysLater(30))).rejects.toMatchObject({
      code: 'verification_failed',
    });
  });

  it('keeps the longest retention the ledger signed when case.json is shortened', async () => {
    await setCase(caseDir, author, { retention_days: 1000 });
    await closeCase(caseDir, author, {});
    const info = await readCaseInfo(caseDir);
    await writeCaseInfo(caseDir, { ...info, retention: { evidence_days: 90, legal_hold: null } });

    expect((await retentionStatus(caseDir)).evidence_days).toBe(1000);
  });

  it('deletes nothing when the seal entry was tampered with', async () => {
    await closeCase(caseDir, author, {});
    const ledger = path.join(caseDir, 'custody.jsonl');
    const lines = (await fs.readFile(ledger, 'utf8')).trimEnd().split('\n');
    const seal = JSON.parse(lines.at(-1) ?? '{}');
    lines[lines.length - 1] = JSON.stringify({ ...seal, time: '2000-01-01T00:00:00.000Z' });
    await fs.writeFile(ledger, `${lines.join('\n')}\n`);

    await expect(purgeCase(caseDir, daysLater(1))).rejects.toMatchObject({
      code: 'verification_failed',
    });
    expect(existsSync(caseDir)).toBe(true);
  });
});

describe('purgeCase of an encrypted case', () => {
  const key = randomBytes(32);
  let shredded: string;

  beforeEach(async () => {
    shredded = path.join(work, 'shredded');
    await initCase(shredded, author, { title: 'shredded' }, key);
    await closeCase(shredded, author, {});
  });

  afterEach(() => {
    delete process.env[CASE_KEY_ENV];
  });

  it('refuses without the key unless told', async () => {
    await expect(purgeCase(shredded, daysLater(100))).rejects.toMatchObject({
      code: 'case_key_missing',
    });
    expect(existsSync(shredded)).toBe(true);
    await purgeCase(shredded, daysLater(100), { withoutCaseKey: true });
    expect(existsSync(shredded)).toBe(false);
  });

  it('still checks retention without the key', async () => {
    await expect(
      purgeCase(shredded, daysLater(10), { withoutCaseKey: true }),
    ).rejects.toMatchObject({ code: 'retention_not_ended' });
    await placeHold(shredded, author, 'litigation');
    await expect(
      purgeCase(shredded, daysLater(100), { withoutCaseKey: true }),
    ).rejects.toMatchObject({ code: 'legal_hold' });
    expect(existsSync(shredded)).toBe(true);
  });

  it('still verifies the ledger without the key', async () => {
    const info = await readCaseInfo(shredded);
    await writeCaseInfo(shredded, { ...info, closed_at: '2000-01-01T00:00:00.000Z' });

    await expect(
      purgeCase(shredded, daysLater(100), { withoutCaseKey: true }),
    ).rejects.toMatchObject({ code: 'verification_failed' });
    expect(existsSync(shredded)).toBe(true);
  });

  it('rejects a wrong key', async () => {
    process.env[CASE_KEY_ENV] = 'ab'.repeat(32);

    await expect(
      purgeCase(shredded, daysLater(100), { withoutCaseKey: true }),
    ).rejects.toMatchObject({ code: 'verification_failed' });
    expect(existsSync(shredded)).toBe(true);
  });

  it('purges with the key', async () => {
    process.env[CASE_KEY_ENV] = key.toString('hex');

    await purgeCase(shredded, daysLater(100));
    expect(existsSync(shredded)).toBe(false);
  });
});
