import { shortenedText } from '../core/shortened-text.ts';

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
 * Maximum length, in UTF-16 code units, of a zip entry name that a case records unchanged.
 * Every event of a member carries the member's name, so a crafted name of tens of thousands of
 * characters multiplied the size of every stored row. 20,000 records under a 58,886-character
 * name failed the commit of the events at 1.6 GB. Real archive paths are far shorter.
 */
export const MAX_RECORDED_MEMBER_LENGTH = 1024;

/** The end of a name that `shortenedText` shortened. */
const SHORTENED_END = /…\(\d+ characters, SHA-256 [0-9a-f]{64}\)$/;

/**
 * Returns the name a case records for a zip entry: the name itself, or for a name over
 * MAX_RECORDED_MEMBER_LENGTH, its first 512 code units, its length and its SHA-256, by which an
 * analyst finds the entry in the archive.
 *
 * A name that already ends like a shortened one is shortened whatever its length. Otherwise an
 * entry named after the recorded name of another would be recorded under the same name, and the
 * case, which identifies the streams of an archive by their recorded names, would take it as
 * already stored and skip its records.
 */
export function recordedMemberName(name: string): string {
  const limit = SHORTENED_END.test(name) ? 0 : MAX_RECORDED_MEMBER_LENGTH;
  return shortenedText(name, limit, 512);
}
