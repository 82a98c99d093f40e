import type { TableDigest } from '../store/findings-digests.ts';
import { CASE_DB_FILE } from '../store/open-database.ts';
import type { FindingsRecord } from './findings-records.ts';
import type { VerifyProblem } from './types.ts';

/** The findings tables as `verify` read them, and the reason for each table it could not read. */
export interface StoredFindings {
  tables: Map<string, TableDigest>;
  unreadable: Map<string, string>;
}

/**
 * Compares the findings tables of `case.duckdb` with the latest `findings` entry of the ledger,
 * and adds a `database_findings_changed` problem naming each table whose rows were deleted,
 * added or edited since. Without such an entry, findings in the database are reported as
 * `database_findings_unrecorded`.
 */
export function checkFindings(
  recorded: FindingsRecord | null,
  stored: StoredFindings,
  problems: VerifyProblem[],
): void {
  if (recorded === null) {
    const nonEmpty = [...stored.tables].filter(([, table]) => table.rows > 0);
    if (nonEmpty.length === 0) return;
    const list = nonEmpty.map(([name, table]) => `${table.rows} rows of ${name}`).join(', ');
    problems.push({
      code: 'database_findings_unrecorded',
      message: `${CASE_DB_FILE} holds ${list}, which no findings entry of the ledger records.`,
    });
    return;
  }

  for (const [name, table] of recorded.tables) {
    const problem = compareTable(name, table, stored, recorded);
    if (problem !== null) problems.push({ code: 'database_findings_changed', ...problem });
  }
}

function compareTable(
  name: string,
  recordedTable: TableDigest,
  stored: StoredFindings,
  recorded: FindingsRecord,
): Omit<VerifyProblem, 'code'> | null {
  const { seq } = recorded;
  const entry = `the ledger (seq ${seq}, after ${recorded.command || 'a command'})`;
  const reason = stored.unreadable.get(name);
  if (reason !== undefined) {
    return {
      table: name,
      seq,
      message:
        `${CASE_DB_FILE} table ${name} cannot be read as ${entry} recorded it, with ` +
        `${recordedTable.rows} rows: ${reason}`,
    };
  }

  const found = stored.tables.get(name);
  // A table this version of cloudcase does not digest is not compared.
  if (found === undefined) return null;
  if (found.rows !== recordedTable.rows) {
    const change = found.rows < recordedTable.rows ? 'deleted' : 'added';
    return {
      table: name,
      seq,
      message:
        `${CASE_DB_FILE} holds ${found.rows} rows of ${name}, but ${entry} records ` +
        `${recordedTable.rows}: rows were ${change} since.`,
    };
  }
  if (found.digest !== recordedTable.digest) {
    return {
      table: name,
      seq,
      message:
        `${CASE_DB_FILE} holds the ${found.rows} rows of ${name} that ${entry} records, but ` +
        'their content differs: rows were edited, or some replaced by others, since.',
    };
  }

  return null;
}

/**
 * Builds a `findings_changed_before_run` warning for each table that a `findings` entry lists as
 * changed before its command ran. The entry's own digest covers that change, so only this list
 * still shows it. An interrupted run leaves such a change too, so the warning does not fail
 * verification.
 */
export function changedBeforeRunWarnings(records: readonly FindingsRecord[]): VerifyProblem[] {
  return records.flatMap((record) =>
    record.changedBeforeRun.map((change) => ({
      code: 'findings_changed_before_run',
      table: change.table,
      seq: record.seq,
      message:
        `When ${record.command || 'a command'} started, ${CASE_DB_FILE} held ${change.rows} ` +
        `rows of ${change.table} that differed from the ${change.recorded_rows} the ledger ` +
        `(seq ${change.recorded_seq}) records; the entry at seq ${record.seq} records the ` +
        'table as that command left it. An interrupted run or a change made outside cloudcase ' +
        'does this.',
    })),
  );
}
