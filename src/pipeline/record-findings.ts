import { appendCustody, FINDINGS_ACTION } from '../evidence/index.ts';
import { findingsDigests } from '../store/findings-digests.ts';
import type { CaseDb } from '../store/index.ts';

/**
 * Appends a signed `findings` entry to the custody ledger with the row count and digest of
 * every findings table (see `findingsDigests`), which `verify` compares with the database
 * later. Call it once a command has written its last finding and before it writes the reports,
 * so the custody report lists the entry.
 */
export async function recordFindings(db: CaseDb, analyst: string, command: string): Promise<void> {
  const connection = await db.connect();
  const tables = await findingsDigests(connection).finally(() => connection.closeSync());
  await appendCustody(db.caseDir, {
    actor: analyst,
    action: FINDINGS_ACTION,
    details: { command, tables: Object.fromEntries(tables) },
  });
}
