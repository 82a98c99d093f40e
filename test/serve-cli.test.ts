import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './support/cli.ts';
import { buildHostileCase, send } from './support/workbench.ts';

describe('cloudcase serve', () => {
  it('serves until SIGTERM and removes its lock', async () => {
    const caseDir = path.join(await tempDir('cloudcase-serve-cli-'), 'case');
    await buildHostileCase(caseDir);
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/cloudcase.mjs'), 'serve', '--case', caseDir, '--port', '0'],
      { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const match = /open (http:\S+)/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    expect(existsSync(path.join(caseDir, 'serve.lock'))).toBe(true);
    const login = await send(url, url);
    expect(login.status).toBe(303);
    const denied = await send(url, '/api/overview');
    expect(denied.status).toBe(401);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(caseDir, 'serve.lock'))).toBe(false);
    expect(stderr).toContain('workbench started');
    expect(stderr).toContain('workbench stopped');
    expect(stderr).toContain('request failed');
    expect(stderr).not.toContain('token=');
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
