import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import type { CaseCipher } from '../../evidence/case-cipher.ts';
import {
  ENCRYPTED_EXTENSION,
  hashEncryptedReport,
  writeEncryptedReport,
} from '../../store/encrypted-files.ts';
import type { CisaReport } from './types.ts';

/**
 * File names of CISA report versions: `cisa-v0001.md`, `cisa-v0002.pdf`, …, with `.enc` added
 * in an encrypted case.
 */
const VERSION_FILE = /^cisa-v(\d{4,})\.(md|html|pdf|json)(\.enc)?$/;

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
  const formats = new Set<string>();
  for (const name of await readdir(folder)) {
    const format = VERSION_FILE.exec(name)?.[2];
    if (name.startsWith(prefix) && format !== undefined) formats.add(format);
  }
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

/**
 * Next version number and what it supersedes, for `buildCisaReport`. The superseded version is
 * named by its plaintext file: an encrypted version (`.enc`) is decrypted with `cipher` to hash
 * it, so the hash is that of the file `cloudcase case decrypt` writes, and it is named without
 * `.enc`. Raises `report_modified` when that file does not authenticate.
 */
export async function nextCisaVersion(
  caseDir: string,
  cipher: CaseCipher | null = null,
): Promise<{ version: number; supersedes: CisaReport['supersedes'] }> {
  const folder = cisaFolder(caseDir);
  const latest = await latestVersion(folder);
  if (latest === null) return { version: 1, supersedes: null };

  const stored = path.join(folder, latest.file);
  const encrypted = latest.file.endsWith(ENCRYPTED_EXTENSION);
  const sha256 = encrypted
    ? await hashEncryptedReport(requireCipher(cipher, stored), stored)
    : createHash('sha256')
        .update(await readFile(stored))
        .digest('hex');
  const file = encrypted ? latest.file.slice(0, -ENCRYPTED_EXTENSION.length) : latest.file;
  return {
    version: latest.version + 1,
    supersedes: { version: latest.version, file, sha256 },
  };
}

function requireCipher(cipher: CaseCipher | null, file: string): CaseCipher {
  if (cipher !== null) return cipher;

  throw new CloudcaseError(
    'not_encrypted',
    `${file} is encrypted but its case is not; move it out of the case, then retry`,
    EXIT.case,
  );
}

/**
 * Writes one version of the CISA report and returns the file written. The file is created
 * exclusively, so an earlier version is never overwritten: when another process took the
 * number first, the write fails with EEXIST and the caller builds the report again with the
 * next number. With the `cipher` of an encrypted case the version is stored only encrypted, as
 * `<name>.enc`, so its plaintext never reaches the case folder.
 */
export async function writeCisaVersion(
  caseDir: string,
  version: number,
  extension: string,
  content: string | Uint8Array,
  cipher: CaseCipher | null = null,
): Promise<string> {
  const folder = cisaFolder(caseDir);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, versionFile(version, extension));
  if (cipher === null) {
    await writeFile(file, content, { flag: 'wx' });
    return file;
  }

  // The plaintext name is taken too, so a version written plaintext meanwhile counts.
  if (existsSync(file)) throw takenError(file);
  const encrypted = `${file}${ENCRYPTED_EXTENSION}`;
  await writeEncryptedReport(cipher, content, encrypted);

  return encrypted;
}

function takenError(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${file} exists`), { code: 'EEXIST' });
}
