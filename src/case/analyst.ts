import os from 'node:os';

/**
 * Resolves who runs a command: the `--analyst` flag, else `CLOUDCASE_ANALYST`, else the
 * operating system's `user@host`.
 */
export function resolveAnalyst(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const given = flag?.trim() || env.CLOUDCASE_ANALYST?.trim();
  if (given) return given;

  return `${os.userInfo().username}@${os.hostname()}`;
}
