import type { Writable } from 'node:stream';

/** A writable with the TTY flag that decides whether progress and colour are drawn. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

/** The streams and environment a command runs with; tests pass their own. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The real process streams. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
