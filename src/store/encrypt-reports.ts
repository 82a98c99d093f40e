import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type CaseCipher, REPORT_FILE } from '../evidence/case-cipher.ts';
import { ENCRYPTED_EXTENSION, encryptFile } from './encrypted-files.ts';

/**
 * Plaintext CISA report versions in `reports/cisa/`. An encrypted case writes them encrypted,
 * so only a version written before the case stored them so is plaintext there.
 */
const PLAIN_CISA_VERSION = /^cisa-v\d{4,}\.(md|html|pdf|json)$/;

/**
 * Encrypts every plaintext file directly in `reports/` of an encrypted case (`report.md`,
 * `timeline.csv`, …) and every plaintext CISA version in `reports/cisa/` into `<name>.enc`,
 * and deletes the plaintext, replacing an older `.enc` of the same name. Returns the names
 * encrypted, relative to `reports/`.
 */
export async function encryptReports(caseDir: string, cipher: CaseCipher): Promise<string[]> {
  const folder = join(caseDir, 'reports');
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const cisa = await readdir(join(folder, 'cisa'), { withFileTypes: true }).catch(() => []);
  const names = [
    ...entries.filter((entry) => entry.isFile()).map((entry) => entry.name),
    ...cisa
      .filter((entry) => entry.isFile() && PLAIN_CISA_VERSION.test(entry.name))
      .map((entry) => `cisa/${entry.name}`),
  ];
  const encrypted: string[] = [];
  for (const name of names) {
    if (isEncryptedName(name)) continue;

    const file = join(folder, name);
    const before = await stat(file).catch(() => null);
    if (before === null) continue;
    await encryptFile(cipher, REPORT_FILE, file, `${file}${ENCRYPTED_EXTENSION}`);
    // A file that changed meanwhile is another command's report being written: it stays for
    // that command's own sweep.
    const after = await stat(file).catch(() => null);
    if (after === null || after.size !== before.size || after.mtimeMs !== before.mtimeMs) continue;

    await rm(file);
    encrypted.push(name);
  }

  return encrypted;
}

function isEncryptedName(name: string): boolean {
  return name.endsWith(ENCRYPTED_EXTENSION) || name.includes(`${ENCRYPTED_EXTENSION}.partial-`);
}
