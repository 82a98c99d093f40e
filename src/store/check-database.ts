import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CloudcaseError } from '../core/errors.ts';
import { caseCipher } from '../evidence/case-cipher.ts';
import type { VerifyProblem } from '../evidence/types.ts';
import { databaseCurrencyProblem } from './database-binding.ts';
import { authenticateDatabaseFile, ENCRYPTED_DB_FILE } from './encrypted-files.ts';
import { CASE_DB_FILE } from './open-database.ts';

/**
 * Checks the database of an encrypted case for `verify`: `case.duckdb.enc` must authenticate
 * under the case key (`database_modified`) and be the file the ledger last recorded a save of
 * (`database_rolled_back`, `database_missing`, `database_save_interrupted`), and no plaintext
 * `case.duckdb` may sit beside it (`database_not_encrypted`). Returns no problem for an unencrypted case, and none when the key
 * is missing or wrong, which the evidence check reports already.
 */
export async function checkCaseDatabase(caseDir: string): Promise<VerifyProblem[]> {
  const cipher = await caseCipher(caseDir).catch((error: unknown) => {
    if (error instanceof CloudcaseError) return null;
    throw error;
  });
  if (cipher === null) return [];

  const problems: VerifyProblem[] = [];
  if (existsSync(join(caseDir, CASE_DB_FILE))) {
    problems.push({
      code: 'database_not_encrypted',
      message: `${CASE_DB_FILE} is stored unencrypted in an encrypted case; any command that opens the case with its key encrypts it.`,
    });
  }
  const file = join(caseDir, ENCRYPTED_DB_FILE);
  if (!existsSync(file)) {
    const missing = await databaseCurrencyProblem(caseDir);
    if (missing !== null) problems.push(missing);
    return problems;
  }

  try {
    await authenticateDatabaseFile(cipher, file);
  } catch (error) {
    if (!(error instanceof CloudcaseError)) throw error;
    problems.push({ code: error.code, message: error.message });
    return problems;
  }
  const current = await databaseCurrencyProblem(caseDir);
  if (current !== null) problems.push(current);

  return problems;
}
