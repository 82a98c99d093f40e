import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './support/cli.ts';
import { buildHostileCase, send } from './support/workbench.ts';

const EXPOSED_WARNING = 'anyone who can reach this address and obtains the URL';

/** Starts `cloudcase serve` on a case and resolves with the URL it prints. */
async function startServe(caseDir: string, flags: string[] = []) {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/cloudcase.mjs'), 'serve', '--case', caseDir, '--port', '0', ...flags],
    { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = { stdout: '', stderr: '' };
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString('utf8');
      const match = /open (http:\S+)/.exec(output.stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${output.stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, output, url, exited };
}

describe('cloudcase serve', () => {
  it('serves until SIGTERM and removes its lock', async () => {
    const caseDir = path.join(await tempDir('cloudcase-serve-cli-'), 'case');
    await buildHostileCase(caseDir);
    const { child, output, url, exited } = await startServe(caseDir);
    const stderr = () => output.stderr;

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    expect(existsSync(path.join(caseDir, 'serve.lock'))).toBe(true);
    const login = await send(url, url);
    expect(login.status).toBe(303);
    const denied = await send(url, '/api/overview');
    expect(denied.status).toBe(401);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(caseDir, 'serve.lock'))).toBe(false);
    expect(stderr()).toContain('workbench started');
    expect(stderr()).toContain('workbench stopped');
    expect(stderr()).toContain('request failed');
    expect(stderr()).not.toContain('token=');
    expect(stderr()).not.toContain(EXPOSED_WARNING);
  });

  it('warns when listening beyond loopback', async () => {
    const caseDir = path.join(await tempDir('cloudcase-serve-exposed-'), 'case');
    await buildHostileCase(caseDir);
    // The server listens on every address, but this test connects to 127.0.0.1 only.
    const { child, output, url, exited } = await startServe(caseDir, ['--host', '0.0.0.0']);
    try {
      expect(output.stderr).toContain('listening on 0.0.0.0');
      expect(output.stderr).toContain(EXPOSED_WARNING);
      expect(output.stderr).toContain('prefer 127.0.0.1 with an SSH tunnel');
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);

      const login = await send(url, url);
      expect(login.status).toBe(303);
      const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
      const overview = await send(url, '/api/overview', { headers: { cookie } });
      expect(overview.status).toBe(200);
      const denied = await send(url, '/api/overview');
      expect(denied.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('rejects a host name that is not an IP address', async () => {
    const run = await runCli(['serve', '--case', 'nowhere', '--host', 'example.com']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected an IP address');
  });

  it('exits 4 on a folder that is not a case', async () => {
    const run = await runCli(['serve', '--case', await tempDir('cloudcase-serve-empty-')]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('case_not_found');
  });
});
