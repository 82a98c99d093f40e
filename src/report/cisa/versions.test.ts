import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseCipher } from '../../evidence/case-cipher.ts';
import { encryptReports } from '../../store/encrypt-reports.ts';
import { hashEncryptedReport } from '../../store/encrypted-files.ts';
import { cisaFolder, latestCisaRecord, nextCisaVersion, writeCisaVersion } from './versions.ts';

// SHA-256 of "first".
const FIRST_SHA256 = 'a7937b64b8caa58f03721bb6bacf5c78cb235febe0e70b1b84cd99541461a08e';

let caseDir: string;
const cipher: CaseCipher = { key: randomBytes(32) };

beforeEach(async () => {
  caseDir = await mkdtemp(path.join(tmpdir(), 'cloudcase-cisa-enc-'));
});

afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

describe('encrypted CISA report versions', () => {
  it('stores a version only encrypted', async () => {
    const file = await writeCisaVersion(caseDir, 1, 'md', 'first', cipher);

    expect(path.basename(file)).toBe('cisa-v0001.md.enc');
    expect(await readdir(cisaFolder(caseDir))).toEqual(['cisa-v0001.md.enc']);
    expect((await readFile(file)).includes('first')).toBe(false);
    expect(await hashEncryptedReport(cipher, file)).toBe(FIRST_SHA256);
  });

  it('hashes the plaintext of the superseded version', async () => {
    await writeCisaVersion(caseDir, 1, 'md', 'first', cipher);

    expect(await nextCisaVersion(caseDir, cipher)).toEqual({
      version: 2,
      supersedes: { version: 1, file: 'cisa-v0001.md', sha256: FIRST_SHA256 },
    });
  });

  it('never overwrites an encrypted version', async () => {
    const file = await writeCisaVersion(caseDir, 1, 'md', 'first', cipher);
    const bytes = await readFile(file);

    await expect(writeCisaVersion(caseDir, 1, 'md', 'again', cipher)).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(await readFile(file)).toEqual(bytes);
    expect(await readdir(cisaFolder(caseDir))).toEqual(['cisa-v0001.md.enc']);
  });

  it('rejects a number taken by a plaintext version', async () => {
    await writeCisaVersion(caseDir, 1, 'md', 'first');

    await expect(writeCisaVersion(caseDir, 1, 'md', 'again', cipher)).rejects.toMatchObject({
      code: 'EEXIST',
    });
  });

  it('rejects a changed superseded version', async () => {
    const file = await writeCisaVersion(caseDir, 1, 'md', 'first', cipher);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(file, bytes);

    await expect(nextCisaVersion(caseDir, cipher)).rejects.toMatchObject({
      code: 'report_modified',
    });
  });

  it('counts encrypted formats of the latest version', async () => {
    await writeCisaVersion(caseDir, 1, 'md', 'first', cipher);
    await writeCisaVersion(caseDir, 1, 'pdf', '%PDF', cipher);
    await writeFile(
      path.join(cisaFolder(caseDir), 'cisa-v0001.record.json'),
      JSON.stringify({ version: 1, content_sha256: 'x', supersedes: null }),
    );

    expect((await latestCisaRecord(caseDir))?.formats).toEqual(new Set(['md', 'pdf']));
  });

  it('encrypts plaintext versions left in the case', async () => {
    await writeCisaVersion(caseDir, 1, 'md', 'first');
    await writeFile(path.join(cisaFolder(caseDir), 'cisa-v0001.record.json'), '{}');

    expect(await encryptReports(caseDir, cipher)).toEqual(['cisa/cisa-v0001.md']);
    expect((await readdir(cisaFolder(caseDir))).sort()).toEqual([
      'cisa-v0001.md.enc',
      'cisa-v0001.record.json',
    ]);
    expect((await nextCisaVersion(caseDir, cipher)).supersedes?.sha256).toBe(FIRST_SHA256);
  });
});
