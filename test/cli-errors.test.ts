import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../src/store/index.ts';
import { runCli, tempDir } from './support/cli.ts';

const RECORD = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  eventTime: '2024-03-01T10:00:00Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'GetCallerIdentity',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.10',
};

async function logFile(dir: string, records = 3): Promise<string> {
  const file = path.join(dir, 'trail.jsonl');
  const lines = Array.from({ length: records }, (_, i) =>
    JSON.stringify({ ...RECORD, eventID: `e${i}` }),
  );
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

describe('investigate command line', () => {
  it('rejects a missing input before creating the case', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    const run = await runCli(['investigate', path.join(dir, 'typo.json'), '--case', caseDir]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('does not exist');
    expect(existsSync(caseDir)).toBe(false);
  });

  it('rejects a missing rule folder', async () => {
    const dir = await tempDir();
    const run = await runCli([
      'investigate',
      await logFile(dir),
      '--case',
      path.join(dir, 'case'),
      '--rules',
      path.join(dir, 'no-rules'),
    ]);

    expect(run.code).toBe(2);
  });

  it('reports a case path that is a file', async () => {
    const dir = await tempDir();
    const notFolder = path.join(dir, 'case');
    await writeFile(notFolder, 'x');
    const run = await runCli(['investigate', await logFile(dir), '--case', notFolder]);

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('case_folder_invalid');
    expect(run.stderr).not.toContain('    at ');
  });

  it('discards events of evidence modified before a resumed read', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    const input = await logFile(dir);
    expect((await runCli(['investigate', input, '--case', caseDir])).code).toBe(0);

    // An interrupted run leaves events without a completed ingest, so the next run reads the
    // evidence again; the stored copy is changed in between.
    const db = await CaseDb.open(caseDir);
    const connection = await db.connect();
    await connection.run('DELETE FROM ingests');
    connection.closeSync();
    await db.close();
    const manifest = JSON.parse(await readFile(path.join(caseDir, 'manifest.jsonl'), 'utf8'));
    const stored = path.join(caseDir, manifest.stored_path);
    await chmod(stored, 0o644);
    const bytes = await readFile(stored);
    await writeFile(
      stored,
      Buffer.concat([bytes.subarray(0, 20), Buffer.from('X'), bytes.subarray(21)]),
    );

    const run = await runCli(['investigate', input, '--case', caseDir, '--json']);
    const summary = JSON.parse(run.stdout);
    const timeline = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);

    expect(run.code).toBe(3);
    expect(summary.records.stored).toBe(0);
    expect(summary.records.rejected).toBe(summary.records.read);
    expect(summary.rejected.map((r: { code: string }) => r.code)).toContain('evidence_modified');
    expect(timeline.stdout).toBe('');
  });
});

describe('timeline command line', () => {
  // A case that the tests which only read it share.
  let readCase: string;

  beforeAll(async () => {
    const dir = await tempDir();
    readCase = path.join(dir, 'case');
    expect((await runCli(['investigate', await logFile(dir), '--case', readCase])).code).toBe(0);
  });

  it('rejects invalid filters with the usage code', async () => {
    const caseDir = readCase;
    const invalid = [
      ['--since', '2024-02-30T00:00:00Z'],
      ['--ip', '999.1.1.1'],
      ['--limit', '99999999999999999999'],
      ['--since', '2024-05-14', '--until', '2024-05-13'],
    ];

    for (const flags of invalid) {
      const run = await runCli(['timeline', '--case', caseDir, ...flags]);
      expect(run.code, flags.join(' ')).toBe(2);
    }
  });

  it('shortens a long invalid value in usage errors', async () => {
    const long = '1'.repeat(20_000);
    const runs = [
      await runCli(['timeline', '--case', readCase, '--ip', long]),
      await runCli(['timeline', '--case', readCase, `--since=2024-${long}`]),
      await runCli(['timeline', '--case', readCase, '--format', long]),
    ];

    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${'1'.repeat(50)}`);
      expect(run.stderr).toMatch(/…\(20,?00\d characters\)/);
      expect(run.stderr.length).toBeLessThan(5_000);
    }
  });

  it('matches a format id in any case', async () => {
    const caseDir = readCase;
    const run = await runCli([
      'timeline',
      '--case',
      caseDir,
      '--source',
      'AWS.CloudTrail',
      '-f',
      'jsonl',
    ]);

    expect(run.stdout.trim().split('\n')).toHaveLength(3);
    expect(run.stderr).toBe('');
    const absent = await runCli(['timeline', '--case', caseDir, '--source', 'bogus']);
    expect(absent.code).toBe(0);
    expect(absent.stderr).toContain('no events of source "bogus"; its sources are: aws.cloudtrail');
  });

  it('warns when an interrupted run left a stream partly stored', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    await runCli(['investigate', await logFile(dir), '--case', caseDir]);
    const complete = await runCli(['timeline', '--case', caseDir]);
    expect(complete.stderr).toBe('');

    const db = await CaseDb.open(caseDir);
    try {
      const [ingest] = await db.ingests();
      if (ingest === undefined) throw new Error('the case has no ingest');
      await db.beginIngest(ingest.sha256, ingest.member, ingest.path, ingest.format);
    } finally {
      await db.close();
    }
    const partial = await runCli(['timeline', '--case', caseDir]);

    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/did not finish.*may be missing/s);
  });

  it('warns of stored events without an ingest row', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    // A file name with an escape character, which the warning must not pass to the terminal.
    const file = path.join(dir, 'trail\u001b[31m.jsonl');
    await writeFile(file, await readFile(await logFile(dir), 'utf8'));
    await runCli(['investigate', file, '--case', caseDir]);

    // An interrupted run can stop after a stream's events are stored but before the batched
    // update that records the stream as complete, which leaves no ingest row for it.
    const db = await CaseDb.open(caseDir);
    try {
      const connection = await db.connect();
      try {
        await connection.run('DELETE FROM ingests');
      } finally {
        connection.closeSync();
      }
    } finally {
      await db.close();
    }
    const run = await runCli(['timeline', '--case', caseDir, '--limit', '1']);

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/did not finish.*may be missing/s);
    expect(run.stderr).toContain(path.join(dir, 'trail\\x1b[31m.jsonl'));
    expect(run.stderr).not.toContain('\u001b');
  });
});
