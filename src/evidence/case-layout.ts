import path from 'node:path';

/** Folder under the case that contains the content-addressed evidence. */
export const EVIDENCE_DIR = 'evidence';

/** Folder under `evidence/` for copies still being written; a file left there is a crash. */
export const PARTIAL_DIR = '.partial';

export const MANIFEST_FILE = 'manifest.jsonl';
export const CUSTODY_FILE = 'custody.jsonl';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Tells whether a value is a lowercase hex SHA-256 digest. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Builds the stored path of a digest, relative to the case folder. */
export function storedPathFor(sha256: string): string {
  return `${EVIDENCE_DIR}/${sha256.slice(0, 2)}/${sha256}`;
}

export function manifestPath(caseDir: string): string {
  return path.join(caseDir, MANIFEST_FILE);
}

export function custodyPath(caseDir: string): string {
  return path.join(caseDir, CUSTODY_FILE);
}

export function evidenceDir(caseDir: string): string {
  return path.join(caseDir, EVIDENCE_DIR);
}

export function partialDir(caseDir: string): string {
  return path.join(caseDir, EVIDENCE_DIR, PARTIAL_DIR);
}
