import type { AcquireError } from './types.ts';

/** Codes for the errno values an unreadable input path produces. */
const ERRNO_CODES: Record<string, string> = {
  ENOENT: 'not_found',
  ENOTDIR: 'not_found',
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  ELOOP: 'symlink_loop',
  EISDIR: 'not_regular_file',
  ENAMETOOLONG: 'path_too_long',
};

/** Turns a file-system error on an input path into an acquire error result. */
export function inputError(file: string, error: unknown): AcquireError {
  const errno = (error as NodeJS.ErrnoException).code ?? 'unknown';
  const code = ERRNO_CODES[errno] ?? 'read_failed';

  return { kind: 'error', path: file, code, reason: `${file} cannot be read (${errno}).` };
}

/** Builds the error result for a path that is neither a regular file nor a folder. */
export function notRegularFile(file: string, type: string): AcquireError {
  return {
    kind: 'error',
    path: file,
    code: 'not_regular_file',
    reason: `${file} is a ${type}, not a regular file; copy its content to a file to acquire it.`,
  };
}

/** Names the type of a non-regular file for messages. */
export function fileType(stats: {
  isSocket(): boolean;
  isFIFO(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
  isDirectory(): boolean;
}): string {
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isDirectory()) return 'directory';
  return 'special file';
}
