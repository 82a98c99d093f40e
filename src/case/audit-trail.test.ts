import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_FILE, type AuditRecord, appendAudit, readAudit } from './audit-trail.ts';

let caseDir: string;

beforeEach(async () => {
  caseDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-audit-'));
});

afterEach(async () => {
  await fs.rm(caseDir, { recursive: true, force: true });
});

function record(command: string): AuditRecord {
  return {
    actor: 'ana',
    command,
    args: [],
    options: { case: 'c' },
    exit_code: 0,
    results: 3,
    error: null,
    started_at: new Date().toISOString(),
  };
}

describe('audit trail', () => {
  it('chains entries in order', async () => {
    for (const command of ['timeline', 'verify', 'case show']) {
      await appendAudit(caseDir, record(command));
    }

    const trail = await readAudit(caseDir);

    expect(trail.broken).toEqual([]);
    expect(trail.entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
    expect(trail.entries[1]?.prev_hash).toBe(trail.entries[0]?.hash);
    expect((await readAudit(caseDir, 1)).entries.map((entry) => entry.command)).toEqual([
      'case show',
    ]);
  });

  it('detects edited and removed lines', async () => {
    for (const command of ['timeline', 'verify', 'case show', 'hunt']) {
      await appendAudit(caseDir, record(command));
    }
    const file = path.join(caseDir, AUDIT_FILE);
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    lines[0] = lines[0]!.replace('"actor":"ana"', '"actor":"eve"');
    lines.splice(2, 1);
    await fs.writeFile(file, `${lines.join('\n')}\n`);

    expect((await readAudit(caseDir)).broken).toEqual([1, 3]);
  });
});
