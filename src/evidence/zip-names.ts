import { createHash } from 'node:crypto';

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

/**
 * Maximum length, in UTF-16 code units, of a zip entry name that a case records unchanged. Every event of a
 * member carries the member's name, so a crafted name of tens of thousands of characters
 * multiplied the size of every stored row: 20,000 records under a 58,886-character name failed
 * the commit of the events at 1.6 GB. Real archive paths are far shorter.
 */
export const MAX_RECORDED_MEMBER_LENGTH = 1024;

/** Code units of a long name that its recorded form keeps before the digest. */
const RECORDED_HEAD_LENGTH = 512;

/**
 * The name a case records for a zip entry: the name itself, or for a name over
 * MAX_RECORDED_MEMBER_LENGTH, its first RECORDED_HEAD_LENGTH code units, `…` and the SHA-256 of
 * the whole name in UTF-8, which distinguishes two long names with the same start and lets an
 * analyst find the entry in the archive.
 */
export function recordedMemberName(name: string): string {
  if (name.length <= MAX_RECORDED_MEMBER_LENGTH) return name;
  const cut = isHighSurrogate(name.charCodeAt(RECORDED_HEAD_LENGTH - 1))
    ? RECORDED_HEAD_LENGTH - 1
    : RECORDED_HEAD_LENGTH;
  const digest = createHash('sha256').update(name, 'utf8').digest('hex');
  return `${name.slice(0, cut)}…(name of ${name.length} characters, SHA-256 ${digest})`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
