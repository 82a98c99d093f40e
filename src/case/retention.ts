import fs from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { readJsonLines, SEAL_ACTION, verifyCase } from '../evidence/index.ts';
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

/**
 * Deletes the whole case folder once its retention has ended. Refuses with `legal_hold` while
 * a hold is placed, `case_not_closed` before `case close`, and `retention_not_ended` before
 * the retention period after closing has passed, and with `verification_failed` when the
 * evidence or the custody ledger fails `verifyCase`.
 */
export async function purgeCase(caseDir: string, now: Date = new Date()): Promise<RetentionStatus> {
  // The seal time, hold and retention come from the ledger, so a ledger that fails verification
  // cannot be trusted to say the case may go.
  const verified = await verifyCase(caseDir);
  if (!verified.ok) {
    const codes = [...new Set(verified.problems.map((problem) => problem.code))].join(', ');
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

  await fs.rm(caseDir, { recursive: true, force: true });
  return status;
}

function refusal(code: string, message: string): CloudcaseError {
  return new CloudcaseError(code, message, EXIT.case);
}
