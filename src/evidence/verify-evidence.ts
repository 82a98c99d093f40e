import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CaseCipher } from './case-cipher.ts';
import { EVIDENCE_DIR, evidenceDir, isSha256, PARTIAL_DIR, storedPathFor } from './case-layout.ts';
import { type ManifestEntry, readManifest } from './manifest.ts';
import { readStored } from './read-stored.ts';
import type { VerifyProblem } from './types.ts';

/** A valid manifest line and where it is. */
export interface ListedItem {
  entry: ManifestEntry;
  line: number;
}

/**
 * Re-hashes every item the manifest lists and returns the valid entries by digest, in manifest
 * order. Invalid lines, duplicates, missing and modified files are added to `problems`.
 */
export async function checkManifestItems(
  caseDir: string,
  problems: VerifyProblem[],
  reader: StoredReader = { cipher: null },
): Promise<Map<string, ListedItem>> {
  const items = new Map<string, ListedItem>();

  for await (const line of readManifest(caseDir)) {
    if (!line.ok) {
      problems.push({
        code: 'manifest_invalid_line',
        line: line.line,
        message: `manifest.jsonl line ${line.line} is invalid: ${line.reason}.`,
      });
      continue;
    }
    const { entry } = line;
    if (items.has(entry.sha256)) {
      problems.push({
        code: 'manifest_duplicate',
        sha256: entry.sha256,
        line: line.line,
        message: `manifest.jsonl line ${line.line} lists ${entry.sha256} a second time.`,
      });
      continue;
    }
    items.set(entry.sha256, { entry, line: line.line });
    await checkStoredFile(caseDir, entry, problems, reader);
  }

  return items;
}

/**
 * The reading mode of stored files: plain, decrypted with the case key, or, for an encrypted
 * case whose key is not given, only a check that they exist.
 */
export interface StoredReader {
  cipher: CaseCipher | null;
  /** Set when the case is encrypted and its key is missing or wrong. */
  locked?: boolean;
}

async function checkStoredFile(
  caseDir: string,
  entry: ManifestEntry,
  problems: VerifyProblem[],
  reader: StoredReader,
): Promise<void> {
  const file = path.join(caseDir, entry.stored_path);
  if (reader.locked) {
    await fs.access(file).catch(() => problems.push(missingProblem(entry)));
    return;
  }
  let digest: string;
  let size: number;
  try {
    ({ digest, size } = await hashFile(file, reader.cipher, entry.stored_path));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'evidence_modified') {
      problems.push({
        code: 'evidence_modified',
        sha256: entry.sha256,
        path: entry.stored_path,
        message: `${entry.stored_path} (acquired from ${entry.original_path}) does not authenticate with the case key.`,
      });
      return;
    }
    problems.push(missingProblem(entry));
    return;
  }
  if (digest === entry.sha256 && size === entry.size) return;
  problems.push({
    code: 'evidence_modified',
    sha256: entry.sha256,
    path: entry.stored_path,
    message:
      `${entry.stored_path} (acquired from ${entry.original_path}) now has SHA-256 ${digest} ` +
      `and ${size} bytes; the manifest records ${entry.size} bytes.`,
  });
}

function missingProblem(entry: ManifestEntry): VerifyProblem {
  return {
    code: 'evidence_missing',
    sha256: entry.sha256,
    path: entry.stored_path,
    message: `${entry.stored_path} (acquired from ${entry.original_path}) is missing or unreadable.`,
  };
}

async function hashFile(
  file: string,
  cipher: CaseCipher | null,
  label: string,
): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of readStored(file, cipher, label)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: hash.digest('hex'), size };
}

/**
 * Lists every file under `evidence/` that is not the stored copy of a manifest item, and every
 * leftover partial copy from an interrupted acquire.
 */
export async function checkEvidenceFiles(
  caseDir: string,
  listed: Set<string>,
  problems: VerifyProblem[],
): Promise<void> {
  const root = evidenceDir(caseDir);
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(caseDir, path.join(entry.parentPath, entry.name)))
    .map((relative) => relative.split(path.sep).join('/'))
    .sort();

  for (const relative of files) {
    const problem = extraFileProblem(relative, listed);
    if (problem !== null) problems.push(problem);
  }
}

function extraFileProblem(relative: string, listed: Set<string>): VerifyProblem | null {
  const name = path.posix.basename(relative);
  if (isSha256(name) && listed.has(name) && storedPathFor(name) === relative) return null;

  if (relative.startsWith(`${EVIDENCE_DIR}/${PARTIAL_DIR}/`)) {
    return {
      code: 'evidence_partial',
      path: relative,
      message: `${relative} is a partial copy left by an interrupted acquire; delete it.`,
    };
  }
  return {
    code: 'evidence_extra',
    path: relative,
    message: `${relative} is in the evidence folder but not in manifest.jsonl.`,
  };
}
