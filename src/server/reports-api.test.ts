import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CASE_KEY_ENV, enableEncryption } from '../evidence/case-cipher.ts';
import { encryptReports } from '../store/encrypt-reports.ts';
import { downloadDisposition, listReports, readReport } from './reports-api.ts';

let caseDir = '';

afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

describe('the reports of the workbench', () => {
  it('include the versioned CISA reports and no linked file', async () => {
    caseDir = await mkdtemp(path.join(os.tmpdir(), 'cloudcase-reports-'));
    const reports = path.join(caseDir, 'reports');
    await mkdir(path.join(reports, 'cisa'), { recursive: true });
    await writeFile(path.join(reports, 'report.md'), '# report');
    await writeFile(path.join(reports, 'cisa', 'cisa-v0001.md'), '# CISA');
    await writeFile(path.join(caseDir, 'case.json'), '{}');
    await symlink(path.join(caseDir, 'case.json'), path.join(reports, 'cisa', 'linked.md'));

    expect((await listReports(caseDir)).map((file) => file.name)).toEqual([
      'cisa/cisa-v0001.md',
      'report.md',
    ]);
    const cisa = await readReport(caseDir, 'cisa/cisa-v0001.md');
    expect(cisa.body.toString()).toBe('# CISA');
    expect(downloadDisposition(cisa.file)).toBe('attachment; filename="cisa-v0001.md"');
    await expect(readReport(caseDir, 'cisa/linked.md')).rejects.toMatchObject({ status: 404 });
    await expect(readReport(caseDir, '../case.json')).rejects.toMatchObject({ status: 404 });
  });

  it('decrypt the reports of an encrypted case', async () => {
    caseDir = await mkdtemp(path.join(os.tmpdir(), 'cloudcase-reports-'));
    const key = randomBytes(32);
    await enableEncryption(caseDir, key);
    await mkdir(path.join(caseDir, 'reports'));
    await writeFile(path.join(caseDir, 'reports', 'report.md'), '# secret report');
    await encryptReports(caseDir, { key });
    process.env[CASE_KEY_ENV] = key.toString('hex');
    try {
      const [listed] = await listReports(caseDir);
      const read = await readReport(caseDir, 'report.md.enc');

      expect(listed).toMatchObject({
        name: 'report.md.enc',
        preview: 'text',
        download_name: 'report.md',
      });
      expect(downloadDisposition(read.file)).toBe('attachment; filename="report.md"');
      expect(read.type).toBe('text/plain; charset=utf-8');
      expect(read.body.toString()).toBe('# secret report');
    } finally {
      delete process.env[CASE_KEY_ENV];
    }
  });
});
