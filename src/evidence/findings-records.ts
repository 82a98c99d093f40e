/**
 * The `findings` entries of the custody ledger: what `case.duckdb` held of the findings tables
 * when a command that writes them ended, so `verify` can tell when rows were later deleted,
 * added or edited.
 */

/** Custody action that records the findings tables of the case database. */
export const FINDINGS_ACTION = 'findings';

/** Row count and digest that a `findings` entry records of one table. */
export interface RecordedTable {
  rows: number;
  /** SHA-256 over the table's rows; see `findingsDigests`. */
  digest: string;
}

/** The tables a `findings` entry records, with the entry's sequence number. */
export interface FindingsRecord {
  seq: number;
  /** Command whose run the entry closed, such as `investigate` or `hunt`. */
  command: string;
  tables: Map<string, RecordedTable>;
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
  };
}
