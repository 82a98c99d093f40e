import fs from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { evidenceDir, manifestPath } from './case-layout.ts';
import type { VerifyProblem, VerifyReport } from './types.ts';
import { checkCustody } from './verify-custody.ts';
import { checkEvidenceFiles, checkManifestItems } from './verify-evidence.ts';

/**
 * Verifies a case: re-hashes every manifest item, lists files in `evidence/` that the manifest
 * does not name, walks the custody chain (sequence, `prev_hash`, `hash`) and checks that every
 * item has an `acquire` entry and every `acquire` entry an item. Every problem is listed, not
 * only the first. Raises `case_not_found` when the folder has neither evidence nor manifest.
 */
export async function verifyCase(caseDir: string): Promise<VerifyReport> {
  await assertCaseFolder(caseDir);

  const problems: VerifyProblem[] = [];
  const items = await checkManifestItems(caseDir, problems);
  await checkEvidenceFiles(caseDir, new Set(items.keys()), problems);
  const custody = await checkCustody(caseDir, problems);

  for (const sha256 of items.keys()) {
    if (custody.acquired.has(sha256)) continue;
    problems.push({
      code: 'custody_missing_acquire',
      sha256,
      message: `Evidence ${sha256} has no acquire entry in custody.jsonl.`,
    });
  }
  for (const [sha256, seq] of custody.acquired) {
    if (items.has(sha256)) continue;
    problems.push({
      code: 'manifest_missing_item',
      sha256,
      seq,
      message: `Custody entry ${seq} acquired ${sha256}, which manifest.jsonl does not list.`,
    });
  }

  return {
    ok: problems.length === 0,
    items_checked: items.size,
    entries_checked: custody.entries,
    head_hash: custody.headHash,
    problems,
  };
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
