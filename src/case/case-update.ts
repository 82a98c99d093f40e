import { CloudcaseError, EXIT } from '../core/errors.ts';
import { appendCustody, isSealed, sealedError } from '../evidence/index.ts';
import { type CaseInfo, readCaseInfo, writeCaseInfo } from './case-dir.ts';
import type { CaseChange } from './case-fields.ts';

/** The author of a change and the signing key of the entry. */
export interface ChangeAuthor {
  analyst: string;
  /** Private key file that signs the ledger entry; by default the case's own key. */
  keyFile?: string;
}

/** Options for `updateCase`. */
export interface UpdateOptions {
  /** Custody action of the signed entry that records the change. */
  action: string;
  /** Allows the change on a sealed case; only the legal hold commands pass it. */
  afterSeal?: boolean;
}

/** A field and the value an edit gave it. */
export type FieldChange = [field: string, value: unknown];

/**
 * Applies `edit` to `case.json` and records who changed which field to what, and when: in the
 * case's `history` and in a signed custody entry. `edit` changes the info in place and returns
 * the fields it set; when it returns none, nothing is written. Raises `case_sealed` on a sealed
 * case unless `afterSeal` is set.
 */
export async function updateCase(
  caseDir: string,
  author: ChangeAuthor,
  options: UpdateOptions,
  edit: (info: CaseInfo) => FieldChange[],
): Promise<{ info: CaseInfo; changes: CaseChange[] }> {
  const info = await readCaseInfo(caseDir);
  if (!options.afterSeal && (await isSealed(caseDir))) throw sealedError(caseDir);

  const fields = edit(info);
  if (fields.length === 0) return { info, changes: [] };

  const time = new Date().toISOString();
  const changes = fields.map(([field, value]) => ({ time, analyst: author.analyst, field, value }));
  info.history = [...(info.history ?? []), ...changes];
  const details = { fields: Object.fromEntries(fields) };
  await appendCustody(
    caseDir,
    { actor: author.analyst, action: options.action, details },
    author.keyFile === undefined ? {} : { keyFile: author.keyFile },
  );
  await writeCaseInfo(caseDir, info);

  return { info, changes };
}

/** Builds the error for a `case set` that names a task the case does not have. */
export function unknownTask(id: number): CloudcaseError {
  return new CloudcaseError(
    'task_not_found',
    `the case has no task ${id}; run cloudcase case show to list the tasks`,
    EXIT.usage,
  );
}
