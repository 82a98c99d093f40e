import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

describe('a case that investigate creates', () => {
  it('is on the signed ledger from the start, so an edit of case.json fails verify', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    const logs = path.join(dir, 'trail.json');
    const event = {
      eventVersion: '1.08',
      eventTime: '2024-03-01T10:00:00Z',
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      eventID: 'e1',
    };
    await writeFile(logs, JSON.stringify({ Records: [event] }));
    expect((await runCli(['investigate', logs, '--case', caseDir])).code).toBe(0);

    const ledger = (await readFile(path.join(caseDir, 'custody.jsonl'), 'utf8')).split('\n');
    expect(JSON.parse(ledger[0] ?? '{}').action).toBe('case_init');
    expect((await runCli(['verify', '--case', caseDir])).code).toBe(0);

    // Moving the discovery time moves the 72-hour reporting clock.
    const infoFile = path.join(caseDir, 'case.json');
    const info = JSON.parse(await readFile(infoFile, 'utf8'));
    await writeFile(
      infoFile,
      JSON.stringify({ ...info, discovered_at: '2020-01-01T00:00:00.000Z' }),
    );
    const verify = await runCli(['verify', '--case', caseDir]);
    expect(verify.code).toBe(5);
    expect(verify.stdout).toContain('case_field_changed');
  });
});
