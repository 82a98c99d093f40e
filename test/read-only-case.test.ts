import { spawn } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, ROOT, runCli, SHARED_DATA, tempDir } from './support/cli.ts';

// Root may write anywhere, so as root the commands run as `nobody` (uid 65534), for whom the
// case, owned by root, is read-only.
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

let work: string;
let caseDir: string;
let lockedFolder: string;

/** Runs the `cloudcase` bin as a user who cannot write to the case. */
function runWithoutWriteAccess(args: string[]): Promise<CliRun> {
  if (!AS_ROOT) return runCli(args, { env: { HOME: work } });

  return new Promise<CliRun>((resolve, reject) => {
    const user = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
    const child = spawn(
      'setpriv',
      [...user, process.execPath, path.join(ROOT, 'bin/cloudcase.mjs'), ...args],
      {
        cwd: work,
        env: { ...process.env, HOME: work, TZ: 'UTC', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  work = await tempDir('cloudcase-read-only-');
  caseDir = path.join(work, 'case');
  lockedFolder = path.join(work, 'locked');
  const logs = path.join(SHARED_DATA, 'logs/plaso-cloud-test-data/test_data/gcp_logging.jsonl');
  const investigated = await runCli(['investigate', logs, '--case', caseDir]);
  expect(investigated.code, investigated.stderr).toBe(0);

  await mkdir(lockedFolder);
  for (const folder of [lockedFolder, path.join(caseDir, 'reports'), caseDir]) {
    await chmod(folder, 0o555);
  }
  await chmod(work, 0o755);
}, 120_000);

afterAll(async () => {
  for (const folder of [caseDir, path.join(caseDir, 'reports'), lockedFolder]) {
    await chmod(folder, 0o755);
  }
});

describe('read-only case', () => {
  it('report raises case_not_writable', async () => {
    const run = await runWithoutWriteAccess(['report', '--case', caseDir]);

    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain('[case_not_writable]');
    expect(run.stderr).toContain('reports folder');
    expect(run.stderr).not.toContain('internal error');
  });

  it('export to a locked folder raises output_not_writable', async () => {
    const out = path.join(lockedFolder, 'indicators.json');
    const run = await runWithoutWriteAccess([
      'export',
      '--case',
      caseDir,
      '--format',
      'stix',
      '--out',
      out,
    ]);

    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('[output_not_writable]');
    expect(run.stderr).not.toContain('internal error');
  });
});
