import type { Logger } from '../core/logger.ts';
import {
  appendCustody,
  type ChangedTable,
  changedTables,
  FINDINGS_ACTION,
  readFindingsRecord,
} from '../evidence/index.ts';
import { findingsDigests, type TableDigest } from '../store/findings-digests.ts';
import type { CaseDb } from '../store/index.ts';

/** The result of `findingsBeforeRun`. */
export interface FindingsBefore {
  /** The tables that differ from the latest `findings` entry of the ledger. */
  changed: ChangedTable[];
  /** The digest of every findings table, or null when the ledger has no `findings` entry. */
  digests: ReadonlyMap<string, TableDigest> | null;
}

/**
 * Compares the findings tables with the latest `findings` entry of the ledger before a command
 * writes to them, and warns about each table that differs. The entry the command appends at its
 * end records the list (see `recordFindings`), because that entry records the tables as they
 * then are and would otherwise hide a change made before the command from later `verify` runs.
 * A run that was interrupted before it appended its entry differs too.
 */
export async function findingsChangedBeforeRun(
  db: CaseDb,
  logger: Logger,
): Promise<ChangedTable[]> {
  return (await findingsBeforeRun(db, logger)).changed;
}

/** `findingsChangedBeforeRun`, with the digests it computed. */
export async function findingsBeforeRun(db: CaseDb, logger: Logger): Promise<FindingsBefore> {
  const recorded = await readFindingsRecord(db.caseDir);
  if (recorded === null) return { changed: [], digests: null };

  const connection = await db.connect();
  const found = await findingsDigests(connection).finally(() => connection.closeSync());
  const changed = changedTables(recorded, found);
  for (const table of changed) {
    logger.warn('findings table differs from the ledger; run cloudcase verify', { ...table });
  }

  return { changed, digests: found };
}

/**
 * Appends a signed `findings` entry to the custody ledger with the row count and digest of
 * every findings table (see `findingsDigests`), which `verify` compares with the database
 * later, and the tables that differed when the command started. Call it once a command has
 * written its last finding and before it writes the reports, so the custody report lists it.
 */
export async function recordFindings(
  db: CaseDb,
  analyst: string,
  command: string,
  changedBeforeRun: readonly ChangedTable[],
  unchanged: ReadonlyMap<string, TableDigest> = new Map(),
): Promise<void> {
  const connection = await db.connect();
  const tables = await findingsDigests(connection, undefined, unchanged).finally(() =>
    connection.closeSync(),
  );
  const details: Record<string, unknown> = { command, tables: Object.fromEntries(tables) };
  if (changedBeforeRun.length > 0) details.changed_before_run = changedBeforeRun;
  await appendCustody(db.caseDir, { actor: analyst, action: FINDINGS_ACTION, details });
}
