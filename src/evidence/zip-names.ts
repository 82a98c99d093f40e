/**
 * Says why a zip entry name is unsafe to treat as a relative path inside the archive, or
 * returns `null`. yauzl has already turned backslashes into slashes. Unsafe names are an
 * absolute path, a drive letter, a `..` segment, or a NUL byte.
 */
export function zipNameProblem(name: string): string | null {
  if (name.includes('\0')) return 'has a NUL byte in its name';
  if (name.startsWith('/')) return 'has an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.split('/').includes('..')) return 'has a `..` segment that leaves the archive';

  return null;
}
