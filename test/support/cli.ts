import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Real public logs and rules beside the repository. */
export const SHARED_DATA = path.resolve(ROOT, '../shared/data');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `cloudcase` bin as a child process, the way a user does. With `launcher`, that
 * command runs node and the bin, such as `setpriv` with the options of another user.
 */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; launcher?: readonly string[] } = {},
) {
  const command = [
    ...(options.launcher ?? []),
    process.execPath,
    path.join(ROOT, 'bin/cloudcase.mjs'),
    ...args,
  ];
  return new Promise<CliRun>((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

const created: string[] = [];

/** Deletes every folder `tempDir` made; the test setup calls it after each test file. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh temporary folder for one test, deleted after its test file. */
export async function tempDir(prefix = 'cloudcase-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}
