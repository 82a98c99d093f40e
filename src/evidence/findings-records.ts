/**
 * The `findings` entries of the custody ledger: what `case.duckdb` held of the findings tables
 * when a command that writes them ended, so `verify` can tell when rows were later deleted,
 * added or edited.
 */
import { custodyPath } from './case-layout.ts';
import { readJsonLines } from './jsonl.ts';

/** Custody action that records the findings tables of the case database. */
export const FINDINGS_ACTION = 'findings';

/** Row count and digest that a `findings` entry records of one table. */
export interface RecordedTable {
  rows: number;
  /** SHA-256 over the table's rows; see `findingsDigests`. */
  digest: string;
}

/**
 * A findings table that differed from the latest `findings` entry when a command started, as
 * the entry that command appended records it under `details.changed_before_run`.
 */
export interface ChangedTable {
  table: string;
  /** Rows the table held when the command started. */
  rows: number;
  /** Rows the earlier entry records. */
  recorded_rows: number;
  /** Sequence number of the earlier entry. */
  recorded_seq: number;
}

/** The tables a `findings` entry records, with the entry's sequence number. */
export interface FindingsRecord {
  seq: number;
  /** Command whose run the entry closed, such as `investigate` or `hunt`. */
  command: string;
  tables: Map<string, RecordedTable>;
  /** Tables that differed from the previous `findings` entry when the command started. */
  changedBeforeRun: ChangedTable[];
}

/**
 * Returns the tables an entry records, or null when it is no well-formed `findings` entry.
 * A table whose counts are malformed is left out, so `verify` does not compare it.
 */
export function findingsRecordOf(entry: Record<string, unknown>): FindingsRecord | null {
  if (entry.action !== FINDINGS_ACTION) return null;

  const details = (entry.details ?? {}) as Record<string, unknown>;
  if (typeof details.tables !== 'object' || details.tables === null) return null;

  const tables = new Map<string, RecordedTable>();
  for (const [name, value] of Object.entries(details.tables as Record<string, unknown>)) {
    const { rows, digest } = (value ?? {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(rows) || typeof digest !== 'string') continue;
    tables.set(name, { rows: rows as number, digest });
  }

  return {
    seq: entry.seq as number,
    command: typeof details.command === 'string' ? details.command : '',
    tables,
    changedBeforeRun: Array.isArray(details.changed_before_run)
      ? details.changed_before_run.filter(isChangedTable)
      : [],
  };
}

/**
 * Lists the tables of `found` whose rows differ from what `recorded` records: another count,
 * or the same count with another digest. Tables the entry does not record are not compared.
 */
export function changedTables(
  recorded: FindingsRecord,
  found: ReadonlyMap<string, RecordedTable>,
): ChangedTable[] {
  const changed: ChangedTable[] = [];
  for (const [table, before] of recorded.tables) {
    const now = found.get(table);
    if (now === undefined || (now.rows === before.rows && now.digest === before.digest)) continue;
    changed.push({ table, rows: now.rows, recorded_rows: before.rows, recorded_seq: recorded.seq });
  }

  return changed;
}

function isChangedTable(value: unknown): value is ChangedTable {
  if (typeof value !== 'object' || value === null) return false;
  const { table, rows, recorded_rows, recorded_seq } = value as Record<string, unknown>;
  return (
    typeof table === 'string' &&
    Number.isSafeInteger(rows) &&
    Number.isSafeInteger(recorded_rows) &&
    Number.isSafeInteger(recorded_seq)
  );
}

/** Reads the latest `findings` record of the ledger, or null when it has none. */
export async function readFindingsRecord(caseDir: string): Promise<FindingsRecord | null> {
  let latest: FindingsRecord | null = null;
  for await (const line of readJsonLines(custodyPath(caseDir))) {
    if (!line.ok || typeof line.value !== 'object' || line.value === null) continue;
    latest = findingsRecordOf(line.value as Record<string, unknown>) ?? latest;
  }

  return latest;
}
