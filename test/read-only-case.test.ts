import { spawnSync } from 'node:child_process';
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

const AS_NOBODY = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

// As root, the tests need `nobody` to be able to run the bin from this checkout, which a
// checkout inside a folder only root may enter (such as one made by mktemp -d) does not allow.
const NOBODY_RUNS_BIN =
  !AS_ROOT ||
  spawnSync(
    'setpriv',
    [...AS_NOBODY, process.execPath, path.join(ROOT, 'bin/cloudcase.mjs'), '--version'],
    { stdio: 'ignore' },
  ).status === 0;

/** Runs the `cloudcase` bin as a user who cannot write to the case. */
function runWithoutWriteAccess(args: string[]): Promise<CliRun> {
  if (!AS_ROOT) return runCli(args, { env: { HOME: work } });

  return runCli(args, { cwd: work, env: { HOME: work }, launcher: ['setpriv', ...AS_NOBODY] });
}

describe.skipIf(!NOBODY_RUNS_BIN)('read-only case', () => {
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
