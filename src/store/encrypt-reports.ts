import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type CaseCipher, REPORT_FILE } from '../evidence/case-cipher.ts';
import { ENCRYPTED_EXTENSION, encryptFile } from './encrypted-files.ts';

/**
 * Encrypts every plaintext file directly in `reports/` of an encrypted case (`report.md`,
 * `timeline.csv`, …) into `<name>.enc` and deletes the plaintext, replacing an older `.enc` of
 * the same name. Returns the names encrypted.
 * NOTE: the CISA versions in `reports/cisa/` stay plaintext, because each new version reads
 * and hashes the one it supersedes.
 */
export async function encryptReports(caseDir: string, cipher: CaseCipher): Promise<string[]> {
  const folder = join(caseDir, 'reports');
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const encrypted: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || isEncryptedName(entry.name)) continue;

    const file = join(folder, entry.name);
    const before = await stat(file).catch(() => null);
    if (before === null) continue;
    await encryptFile(cipher, REPORT_FILE, file, `${file}${ENCRYPTED_EXTENSION}`);
    // A file that changed meanwhile is another command's report being written: it stays for
    // that command's own sweep.
    const after = await stat(file).catch(() => null);
    if (after === null || after.size !== before.size || after.mtimeMs !== before.mtimeMs) continue;

    await rm(file);
    encrypted.push(entry.name);
  }

  return encrypted;
}

function isEncryptedName(name: string): boolean {
  return name.endsWith(ENCRYPTED_EXTENSION) || name.includes(`${ENCRYPTED_EXTENSION}.partial-`);
}
