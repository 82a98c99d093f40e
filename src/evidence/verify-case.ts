import type { KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { caseCipher } from './case-cipher.ts';
import { evidenceDir, manifestPath } from './case-layout.ts';
import { fingerprintOf, PUBLIC_KEY_FILE, readPublicKey, readPublicKeyFile } from './signing-key.ts';
import type { VerifyOptions, VerifyProblem, VerifyReport } from './types.ts';
import { checkBinding } from './verify-binding.ts';
import { checkCaseFields } from './verify-case-fields.ts';
import { checkCustody } from './verify-custody.ts';
import { checkDatabase } from './verify-database.ts';
import { checkEvidenceFiles, checkManifestItems, type StoredReader } from './verify-evidence.ts';
import { changedBeforeRunWarnings } from './verify-findings.ts';
import { checkHead } from './verify-head.ts';

/**
 * Verifies a case. It re-hashes every manifest item, lists files in `evidence/` that the
 * manifest does not name, and walks the custody chain (sequence, `prev_hash`, `hash`, Ed25519
 * signature) up to the signed head. It checks that every item has an `acquire` entry that
 * records its manifest line, in the same order, that `case.json` has the field values the
 * ledger recorded, and that `case.duckdb` holds the events each `ingest` entry recorded and the
 * findings the last `findings` entry recorded. Every problem is listed, not only the first.
 * Raises `case_not_found` when the folder has neither evidence nor manifest.
 */
export async function verifyCase(
  caseDir: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  await assertCaseFolder(caseDir);

  const problems: VerifyProblem[] = [];
  const publicKey = await trustedKey(caseDir, options, problems);
  const reader = await storedReader(caseDir, problems);
  const items = await checkManifestItems(caseDir, problems, reader);
  await checkEvidenceFiles(caseDir, new Set(items.keys()), problems);
  const custody = await checkCustody(caseDir, publicKey, problems);
  if (publicKey === null && custody.entries > 0) {
    problems.push({
      code: 'custody_key_missing',
      message: `${PUBLIC_KEY_FILE} is missing, so no signature can be checked; pass --public-key.`,
    });
  }
  await checkHead(caseDir, publicKey, custody, problems);
  checkBinding(items, custody.acquired, problems);
  await checkCaseFields(caseDir, problems);
  // Without the key of an encrypted case the database cannot be opened either, which the key
  // problem above already reports.
  if (reader.locked !== true) {
    const records = { stored: custody.stored, findings: custody.findings };
    await checkDatabase(caseDir, records, items, problems);
  }
  if (options.expectedHead !== undefined && options.expectedHead !== custody.headHash) {
    problems.push({
      code: 'custody_head_unexpected',
      message: `The ledger ends with ${custody.headHash ?? 'no entry'}, not the head ${options.expectedHead} given.`,
    });
  }

  return {
    ok: problems.length === 0,
    items_checked: items.size,
    entries_checked: custody.entries,
    head_hash: custody.headHash,
    key_fingerprint: publicKey === null ? null : fingerprintOf(publicKey),
    sealed: custody.sealed,
    problems,
    warnings: changedBeforeRunWarnings(custody.changedBeforeRun),
  };
}

/**
 * The key signatures are checked with: the one given, which the case's own `custody.pub` must
 * then match, or else the case's own.
 */
async function trustedKey(
  caseDir: string,
  options: VerifyOptions,
  problems: VerifyProblem[],
): Promise<KeyObject | null> {
  const own = await readPublicKey(caseDir).catch(() => null);
  if (options.publicKeyFile === undefined) return own;

  const given = await readPublicKeyFile(options.publicKeyFile, true);
  if (given !== null && (own === null || fingerprintOf(own) !== fingerprintOf(given))) {
    problems.push({
      code: 'custody_key_unexpected',
      message: `${PUBLIC_KEY_FILE} is not the public key given; the case key was replaced.`,
    });
  }

  return given;
}

/**
 * Chooses how to read the stored files. Without the key of an encrypted case the contents
 * cannot be re-hashed, which is one problem, and the files are only checked to exist.
 */
async function storedReader(caseDir: string, problems: VerifyProblem[]): Promise<StoredReader> {
  try {
    return { cipher: await caseCipher(caseDir) };
  } catch (error) {
    if (!(error instanceof CloudcaseError)) throw error;
    problems.push({
      code: error.code,
      message: `${error.message}; the evidence contents were not re-hashed.`,
    });
    return { cipher: null, locked: true };
  }
}

async function assertCaseFolder(caseDir: string): Promise<void> {
  const exists = (file: string) =>
    fs.stat(file).then(
      () => true,
      () => false,
    );
  if ((await exists(evidenceDir(caseDir))) || (await exists(manifestPath(caseDir)))) return;

  throw new CloudcaseError(
    'case_not_found',
    `${path.resolve(caseDir)} has no evidence folder or manifest; pass the folder of an existing case.`,
    EXIT.case,
  );
}
