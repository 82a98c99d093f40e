import type { TableDigest } from '../store/findings-digests.ts';
import { CASE_DB_FILE } from '../store/open-database.ts';
import type { FindingsRecord } from './findings-records.ts';
import type { VerifyProblem } from './types.ts';

/** The findings tables as `verify` read them, and the tables it could not read, with why. */
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
    const held = [...stored.tables].filter(([, table]) => table.rows > 0);
    if (held.length === 0) return;
    const list = held.map(([name, table]) => `${table.rows} rows of ${name}`).join(', ');
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

  const held = stored.tables.get(name);
  // A table this version of cloudcase does not digest is not compared.
  if (held === undefined) return null;
  if (held.rows !== recordedTable.rows) {
    const change = held.rows < recordedTable.rows ? 'deleted' : 'added';
    return {
      table: name,
      seq,
      message:
        `${CASE_DB_FILE} holds ${held.rows} rows of ${name}, but ${entry} records ` +
        `${recordedTable.rows}: rows were ${change} since.`,
    };
  }
  if (held.digest !== recordedTable.digest) {
    return {
      table: name,
      seq,
      message:
        `${CASE_DB_FILE} holds the ${held.rows} rows of ${name} that ${entry} records, but ` +
        'their content differs: rows were edited, or some replaced by others, since.',
    };
  }

  return null;
}
