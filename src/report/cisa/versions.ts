import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CisaReport } from './types.ts';

/** File names of CISA report versions: `cisa-v0001.md`, `cisa-v0002.pdf`, … */
const VERSION_FILE = /^cisa-v(\d{4,})\.(md|html|pdf|json)$/;

/**
 * What a version says, kept beside its files as `cisa-v0001.record.json`: the digest of its
 * content without the parts that change with every run (generation time, clocks, audit trail),
 * and the version it supersedes. The same content in another format is the same version.
 */
export interface CisaVersionRecord {
  version: number;
  content_sha256: string;
  supersedes: CisaReport['supersedes'];
}

const recordFile = (version: number): string =>
  `cisa-v${String(version).padStart(4, '0')}.record.json`;

/** The digest of what a report says, for `CisaVersionRecord.content_sha256`. */
export function contentDigest(report: CisaReport): string {
  const { sections, status, missing, case_id, case_title } = report;
  const content = JSON.stringify({ sections, status, missing, case_id, case_title });
  return createHash('sha256').update(content).digest('hex');
}

/**
 * The latest version's record and the formats it was written in, or `null` when no version
 * has a record (none was written, or only by a release that kept none).
 */
export async function latestCisaRecord(
  caseDir: string,
): Promise<{ record: CisaVersionRecord; formats: Set<string> } | null> {
  const folder = cisaFolder(caseDir);
  const latest = await latestVersion(folder);
  if (latest === null) return null;
  const text = await readFile(path.join(folder, recordFile(latest.version)), 'utf8').catch(
    () => null,
  );
  if (text === null) return null;
  const record = JSON.parse(text) as CisaVersionRecord;
  const prefix = `cisa-v${String(latest.version).padStart(4, '0')}.`;
  const formats = new Set(
    (await readdir(folder))
      .filter((name) => name.startsWith(prefix) && VERSION_FILE.test(name))
      .map((name) => path.extname(name).slice(1)),
  );
  return { record, formats };
}

/** Writes a version's record once; a record already there is kept. */
export async function writeCisaRecord(caseDir: string, record: CisaVersionRecord): Promise<void> {
  const file = path.join(cisaFolder(caseDir), recordFile(record.version));
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
}

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
