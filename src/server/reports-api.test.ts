import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listReports, readReport } from './reports-api.ts';

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
    expect((await readReport(caseDir, 'cisa/cisa-v0001.md')).body.toString()).toBe('# CISA');
    await expect(readReport(caseDir, 'cisa/linked.md')).rejects.toMatchObject({ status: 404 });
    await expect(readReport(caseDir, '../case.json')).rejects.toMatchObject({ status: 404 });
  });
});
