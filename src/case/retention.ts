import fs from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { CASE_KEY_FILE_ENV, isEncrypted } from '../evidence/case-cipher.ts';
import { readJsonLines, SEAL_ACTION, verifyCase } from '../evidence/index.ts';
import type { VerifyProblem } from '../evidence/types.ts';
import { deleteWorkingCopies } from '../store/leftover-copies.ts';
import { readCaseInfo } from './case-dir.ts';
import { MIN_RETENTION_DAYS } from './case-fields.ts';

const DAY_MS = 86_400_000;

/** The state of a case under its retention policy. */
export interface RetentionStatus {
  evidence_days: number;
  /** When the signed `seal` entry closed the case, or `null` while it is open. */
  sealed_at: string | null;
  /** The first moment the case may be purged, or `null` while it is open. */
  ends_at: string | null;
  /** The reason of the legal hold, or `null` when there is none. */
  legal_hold: string | null;
}

/**
 * Reads the retention state of a case. The seal time and the hold come from the signed
 * custody ledger, and a hold recorded in `case.json` counts too, so removing it from either
 * file alone does not lift it.
 */
export async function retentionStatus(caseDir: string): Promise<RetentionStatus> {
  const info = await readCaseInfo(caseDir);
  const ledger = await ledgerState(path.join(caseDir, 'custody.jsonl'));
  // The longer of case.json's period and the longest one the signed ledger recorded, so an
  // unsigned edit of case.json cannot shorten the retention.
  const days = Math.max(
    info.retention?.evidence_days ?? MIN_RETENTION_DAYS,
    ledger.days,
    MIN_RETENTION_DAYS,
  );
  const endsAt =
    ledger.sealedAt === null
      ? null
      : new Date(Date.parse(ledger.sealedAt) + days * DAY_MS).toISOString();

  return {
    evidence_days: days,
    sealed_at: ledger.sealedAt,
    ends_at: endsAt,
    legal_hold: info.retention?.legal_hold?.reason ?? ledger.hold,
  };
}

async function ledgerState(
  file: string,
): Promise<{ sealedAt: string | null; hold: string | null; days: number }> {
  let sealedAt: string | null = null;
  let hold: string | null = null;
  let days = 0;
  for await (const line of readJsonLines(file)) {
    if (!line.ok) continue;
    const entry = (line.value ?? {}) as { action?: unknown; time?: unknown; details?: unknown };
    const fields = ((entry.details ?? {}) as { fields?: Record<string, unknown> }).fields ?? {};
    if (entry.action === SEAL_ACTION && typeof entry.time === 'string') sealedAt ??= entry.time;
    if (entry.action === 'legal_hold') hold = String(fields['retention.legal_hold'] ?? 'on hold');
    if (entry.action === 'legal_hold_released') hold = null;
    const recorded = fields['retention.evidence_days'];
    if (typeof recorded === 'number' && recorded > days) days = recorded;
  }
  return { sealedAt, hold, days };
}

/** Options of `purgeCase`. */
export interface PurgeOptions {
  /**
   * Accepts an encrypted case whose key is missing, on purpose after crypto-shredding: the
   * evidence is then only checked to exist, while the ledger, its signatures and `case.json`
   * are verified in full.
   */
  withoutCaseKey?: boolean;
}

/** Result of `purgeCase`: the retention state that allowed it, and the working copies deleted. */
export interface PurgeResult extends RetentionStatus {
  working_copies: string[];
}

/**
 * Deletes the whole case folder once its retention has ended, and the decrypted working copies
 * of an encrypted case that killed processes left outside it. Raises `legal_hold` while
 * a hold is placed, `case_not_closed` before `case close`, `retention_not_ended` before the
 * retention period after closing has passed, `case_locked` while a command has the database
 * open, and `verification_failed` when the evidence or the custody ledger fails `verifyCase`.
 * An encrypted case without its key fails with `case_key_missing` unless
 * `options.withoutCaseKey` is set.
 */
export async function purgeCase(
  caseDir: string,
  now: Date = new Date(),
  options: PurgeOptions = {},
): Promise<PurgeResult> {
  // The seal time, hold and retention come from the ledger, so a ledger that fails verification
  // cannot be trusted to say the case may go.
  const verified = await verifyCase(caseDir);
  const problems = await acceptedProblems(caseDir, verified.problems, options);
  if (problems.length > 0) {
    const codes = [...new Set(problems.map((problem) => problem.code))].join(', ');
    throw new CloudcaseError(
      'verification_failed',
      `case ${caseDir} fails verification (${codes}); run cloudcase verify, and purge nothing ` +
        'until the evidence and ledger are accounted for',
      EXIT.verification,
    );
  }
  const status = await retentionStatus(caseDir);
  if (status.legal_hold !== null) {
    throw refusal(
      'legal_hold',
      `case ${caseDir} is under legal hold (${status.legal_hold}); release the hold first`,
    );
  }
  if (status.ends_at === null) {
    throw refusal('case_not_closed', `case ${caseDir} is open; close it with cloudcase case close`);
  }
  if (now.getTime() < Date.parse(status.ends_at)) {
    throw refusal(
      'retention_not_ended',
      `case ${caseDir} must be kept until ${status.ends_at} (${status.evidence_days} days after ` +
        'it was closed); purge it after that',
    );
  }

  const copies = await deleteWorkingCopies(caseDir);
  await fs.rm(caseDir, { recursive: true, force: true });
  return { ...status, working_copies: copies };
}

// Problems of an encrypted case whose key is not given, or whose key file no longer exists.
const KEY_ABSENT = new Set(['case_key_missing', 'case_key_not_found']);

/**
 * Returns the verification problems that block a purge. Without the key of an encrypted case,
 * the evidence was only checked to exist, so the purge goes on only when the caller accepts
 * that. A wrong key is never accepted.
 */
async function acceptedProblems(
  caseDir: string,
  problems: VerifyProblem[],
  options: PurgeOptions,
): Promise<VerifyProblem[]> {
  const absent = problems.find((problem) => KEY_ABSENT.has(problem.code));
  if (absent === undefined || !(await isEncrypted(caseDir))) return problems;
  if (options.withoutCaseKey !== true) {
    throw refusal(
      absent.code,
      `case ${caseDir} is encrypted and its case key is not available (${absent.code}), so its ` +
        `evidence cannot be re-hashed before it is deleted; set ${CASE_KEY_FILE_ENV} to the ` +
        'case key file, or pass --without-case-key when the key was destroyed on purpose',
    );
  }

  return problems.filter((problem) => !KEY_ABSENT.has(problem.code));
}

function refusal(code: string, message: string): CloudcaseError {
  return new CloudcaseError(code, message, EXIT.case);
}
