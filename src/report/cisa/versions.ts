import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CisaReport } from './types.ts';

/** File names of CISA report versions: `cisa-v0001.md`, `cisa-v0002.pdf`, … */
const VERSION_FILE = /^cisa-v(\d{4,})\.(md|html|pdf|json)$/;

/** Folder of the CISA report versions inside a case. */
export function cisaFolder(caseDir: string): string {
  return path.join(caseDir, 'reports', 'cisa');
}

const versionFile = (version: number, extension: string): string =>
  `cisa-v${String(version).padStart(4, '0')}.${extension}`;

/** The latest version written so far, with its file, or `null` when none was. */
async function latestVersion(folder: string): Promise<{ version: number; file: string } | null> {
  const names = await readdir(folder).catch(() => [] as string[]);
  let latest: { version: number; file: string } | null = null;
  for (const name of names) {
    const match = VERSION_FILE.exec(name);
    if (match === null) continue;
    const version = Number(match[1]);
    if (latest === null || version > latest.version) latest = { version, file: name };
  }

  return latest;
}

/** Next version number and what it supersedes, for `buildCisaReport`. */
export async function nextCisaVersion(
  caseDir: string,
): Promise<{ version: number; supersedes: CisaReport['supersedes'] }> {
  const folder = cisaFolder(caseDir);
  const latest = await latestVersion(folder);
  if (latest === null) return { version: 1, supersedes: null };

  const bytes = await readFile(path.join(folder, latest.file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    version: latest.version + 1,
    supersedes: { version: latest.version, file: latest.file, sha256 },
  };
}

/**
 * Writes one version of the CISA report. The file is created exclusively, so an earlier
 * version is never overwritten: when another process took the number first, the write fails
 * with EEXIST and the caller builds the report again with the next number.
 */
export async function writeCisaVersion(
  caseDir: string,
  version: number,
  extension: string,
  content: string | Uint8Array,
): Promise<string> {
  const folder = cisaFolder(caseDir);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, versionFile(version, extension));
  await writeFile(file, content, { flag: 'wx' });

  return file;
}
