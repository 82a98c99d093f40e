/**
 * The workbench's entries in the case's audit trail (`audit.jsonl`), which `cloudcase case
 * audit` shows and the reports append. Each search, event view, scope, entity graph, report
 * view or download, mark and saved search gets an entry with who, when, what and how many
 * results.
 */
import { appendAudit } from '../case/audit-trail.ts';
import { EXIT } from '../core/errors.ts';
import { HttpError } from './http.ts';

/** One analyst action in the workbench. */
export interface WorkbenchAction {
  /** Audit command, such as `serve search` or `serve mark tag`. */
  command: string;
  /** Target of the action: the query, event uid, report name or mark. */
  options: Record<string, unknown>;
  /** How many results it returned or changed, or null when it does not count. */
  results: number | null;
}

/** Analyst who acts, and the folder of the case acted on. */
export interface ActionAuthor {
  caseDir: string;
  analyst: string;
}

/**
 * Appends a workbench action to the audit trail. `error` is the error that failed it, if any:
 * a rejected request (`HttpError`) is recorded with its code and exit code 2, any other error
 * as `internal` with exit code 1.
 */
export async function recordAction(
  author: ActionAuthor,
  action: WorkbenchAction,
  startedAt: string,
  error: unknown = null,
): Promise<void> {
  let failure: { exit_code: number; error: string | null } = { exit_code: EXIT.ok, error: null };
  if (error instanceof HttpError) failure = { exit_code: EXIT.usage, error: error.code };
  else if (error !== null) failure = { exit_code: EXIT.internal, error: 'internal' };

  await appendAudit(author.caseDir, {
    actor: author.analyst,
    command: action.command,
    args: [],
    options: action.options,
    results: action.results,
    started_at: startedAt,
    ...failure,
  });
}

/**
 * Runs `work` and records it as `action` once it ends, with the result count `count` gives,
 * or with its error, which is raised again.
 */
export async function audited<T>(
  author: ActionAuthor,
  action: Omit<WorkbenchAction, 'results'>,
  work: () => Promise<T>,
  count: (result: T) => number | null,
): Promise<T> {
  const startedAt = new Date().toISOString();
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await recordAction(author, { ...action, results: null }, startedAt, error);
    throw error;
  }
  await recordAction(author, { ...action, results: count(result) }, startedAt);

  return result;
}
