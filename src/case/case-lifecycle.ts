import { CloudcaseError, EXIT } from '../core/errors.ts';
import {
  appendCustody,
  enableEncryption,
  isSealed,
  SEAL_ACTION,
  sealedError,
} from '../evidence/index.ts';
import { type CaseInfo, ensureCase, readCaseInfo, writeCaseInfo } from './case-dir.ts';
import { applyEdit, type CaseEdit } from './case-edit.ts';
import { MIN_RETENTION_DAYS } from './case-fields.ts';
import { type ChangeAuthor, type FieldChange, updateCase } from './case-update.ts';

/**
 * Creates a case with the fields given, its signing key and a first signed entry. With
 * `encryptionKey`, the case stores its evidence encrypted under that key from the start.
 * Raises `case_exists` when the folder already contains a case.
 */
export async function initCase(
  caseDir: string,
  author: ChangeAuthor,
  edit: CaseEdit,
  encryptionKey?: Buffer,
): Promise<CaseInfo> {
  const existing = await readCaseInfo(caseDir).then(
    () => true,
    () => false,
  );
  if (existing) {
    throw new CloudcaseError(
      'case_exists',
      `${caseDir} already holds a case; change it with cloudcase case set`,
      EXIT.case,
    );
  }

  const created = await ensureCase(caseDir, edit.title);
  created.retention = { evidence_days: MIN_RETENTION_DAYS, legal_hold: null };
  await writeCaseInfo(caseDir, created);
  if (encryptionKey !== undefined) await enableEncryption(caseDir, encryptionKey);
  const { info } = await updateCase(caseDir, author, { action: 'case_init' }, (info) => [
    ['id', info.id],
    ['title', info.title],
    // The defaults a new case starts with, so that an edit of any of them shows in verify.
    ['timezone', info.timezone],
    ['discovered_at', info.discovered_at],
    ['phase', info.phase],
    ...(encryptionKey === undefined ? [] : [['encryption', 'aes-256-gcm'] as FieldChange]),
    ...applyEdit(info, edit, author.analyst, new Date().toISOString()),
  ]);

  return info;
}

/** Applies `case set` changes; see `applyEdit`. Raises `case_sealed` on a sealed case. */
export async function setCase(
  caseDir: string,
  author: ChangeAuthor,
  edit: CaseEdit,
): Promise<CaseInfo> {
  const time = new Date().toISOString();
  const { info } = await updateCase(caseDir, author, { action: 'case_update' }, (info) =>
    applyEdit(info, edit, author.analyst, time),
  );
  return info;
}

/**
 * Closes the case: sets the phase to post-incident, records who closed it and when, and
 * appends the signed `seal` entry, after which the ledger takes no entry but a legal hold's.
 */
export async function closeCase(
  caseDir: string,
  author: ChangeAuthor,
  edit: CaseEdit,
): Promise<CaseInfo> {
  if (await isSealed(caseDir)) throw sealedError(caseDir);

  const time = new Date().toISOString();
  const { info } = await updateCase(caseDir, author, { action: 'case_update' }, (info) => {
    const changes = applyEdit(info, { ...edit, phase: 'post-incident' }, author.analyst, time);
    info.closed_at = time;
    info.closed_by = author.analyst;
    return [...changes, ['closed_at', time]];
  });
  await appendCustody(
    caseDir,
    { actor: author.analyst, action: SEAL_ACTION, details: { closed_at: time } },
    author.keyFile === undefined ? {} : { keyFile: author.keyFile },
  );

  return info;
}

/** Places a legal hold, which blocks `case purge`; allowed on a closed case too. */
export async function placeHold(
  caseDir: string,
  author: ChangeAuthor,
  reason: string,
): Promise<CaseInfo> {
  const since = new Date().toISOString();
  const { info } = await updateCase(
    caseDir,
    author,
    { action: 'legal_hold', afterSeal: true },
    (info) => {
      const retention = info.retention ?? { evidence_days: MIN_RETENTION_DAYS, legal_hold: null };
      info.retention = { ...retention, legal_hold: { reason, since, by: author.analyst } };
      return [['retention.legal_hold', reason]];
    },
  );
  return info;
}

/** Lifts the legal hold; nothing changes when there is none. */
export async function releaseHold(caseDir: string, author: ChangeAuthor): Promise<CaseInfo> {
  const { info } = await updateCase(
    caseDir,
    author,
    { action: 'legal_hold_released', afterSeal: true },
    (info) => {
      if (info.retention?.legal_hold == null) return [];
      info.retention = { ...info.retention, legal_hold: null };
      return [['retention.legal_hold', null]];
    },
  );
  return info;
}
