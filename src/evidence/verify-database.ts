import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENCRYPTED_DB_FILE } from '../store/encrypted-files.ts';
import { findingsDigests } from '../store/findings-digests.ts';
import { CASE_DB_FILE, type OpenDatabase, openDatabase } from '../store/open-database.ts';
import { EMPTY_DIGEST, type StoredCounts, storedDigests } from '../store/stored-digests.ts';
import type { FindingsRecord } from './findings-records.ts';
import type { StoredRecord } from './stored-records.ts';
import type { VerifyProblem } from './types.ts';
import type { ListedItem } from './verify-evidence.ts';
import { checkFindings, type StoredFindings } from './verify-findings.ts';

/** What the ledger records of the case database: `ingest` and `findings` entries. */
export interface DatabaseRecords {
  /** The latest `ingest` record of each evidence item, by SHA-256. */
  stored: ReadonlyMap<string, StoredRecord>;
  /** The latest `findings` record, or `null`. */
  findings: FindingsRecord | null;
}

/**
 * Compares what `case.duckdb` stores of each evidence item with the latest `ingest` entry of the
 * ledger, and adds a problem naming the item for each difference: events deleted, added or
 * changed, rejected records removed, or events of an item the ledger never recorded. Then it
 * compares the findings tables with the latest `findings` entry (see `checkFindings`). A case
 * without a database passes when the ledger records no ingest and no findings.
 */
export async function checkDatabase(
  caseDir: string,
  records: DatabaseRecords,
  items: ReadonlyMap<string, ListedItem>,
  problems: VerifyProblem[],
): Promise<void> {
  const recorded = records.stored;
  // An encrypted case keeps only `case.duckdb.enc`, which opening decrypts with the case key.
  const present = [CASE_DB_FILE, ENCRYPTED_DB_FILE].some((file) =>
    existsSync(path.join(caseDir, file)),
  );
  if (!present) {
    if (recorded.size > 0 || records.findings !== null) {
      problems.push({
        code: 'database_missing',
        message:
          `${CASE_DB_FILE} is missing, but the ledger records the events of ${recorded.size} ` +
          `evidence items${records.findings === null ? '' : ' and the findings'}.`,
      });
    }
    return;
  }

  const read = await readStored(caseDir, problems);
  if (read === null) return;

  const { stored, findings } = read;
  const name = (sha256: string) => itemName(sha256, items);
  for (const [sha256, record] of recorded) {
    const counts = stored.get(sha256) ?? { events: 0, rejected: 0, digest: EMPTY_DIGEST };
    const problem = compareRecord(record, counts, name(sha256));
    if (problem !== null) problems.push({ ...problem, sha256 });
  }
  for (const [sha256, counts] of stored) {
    if (recorded.has(sha256)) continue;
    problems.push({
      code: 'database_unrecorded',
      sha256,
      message:
        `${CASE_DB_FILE} holds ${counts.events} events and ${counts.rejected} rejected records of ` +
        `${name(sha256)}, which no ingest entry of the ledger records.`,
    });
  }
  checkFindings(records.findings, findings, problems);
}

async function readStored(
  caseDir: string,
  problems: VerifyProblem[],
): Promise<{ stored: Map<string, StoredCounts>; findings: StoredFindings } | null> {
  let instance: OpenDatabase;
  try {
    instance = await openDatabase(caseDir, true);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push({
      code: 'database_unreadable',
      message: `${reason}; the stored events and findings were not checked against the ledger.`,
    });
    return null;
  }

  try {
    const connection = await instance.instance.connect();
    try {
      const stored = await storedDigests(connection);
      const unreadable = new Map<string, string>();
      const tables = await findingsDigests(connection, (table, error) => {
        unreadable.set(table, error instanceof Error ? error.message : String(error));
      });
      return { stored, findings: { tables, unreadable } };
    } finally {
      connection.closeSync();
    }
  } finally {
    await instance.close();
  }
}

function compareRecord(
  record: StoredRecord,
  held: StoredCounts,
  name: string,
): Omit<VerifyProblem, 'sha256'> | null {
  const recordedText = `${record.events} events and ${record.rejected} rejected records`;
  if (held.events !== record.events || held.rejected !== record.rejected) {
    return {
      code: 'database_events_changed',
      seq: record.seq,
      message:
        `${CASE_DB_FILE} holds ${held.events} events and ${held.rejected} rejected records of ` +
        `${name}, but the ledger (seq ${record.seq}) records ${recordedText}.`,
    };
  }
  if (held.digest !== record.digest) {
    return {
      code: 'database_events_changed',
      seq: record.seq,
      message:
        `${CASE_DB_FILE} holds the ${recordedText} of ${name} that the ledger (seq ` +
        `${record.seq}) records, but their content differs from what was stored.`,
    };
  }

  return null;
}

function itemName(sha256: string, items: ReadonlyMap<string, ListedItem>): string {
  const item = items.get(sha256);
  const short = sha256.slice(0, 12);
  return item === undefined
    ? `evidence ${short}, which the manifest does not list`
    : `evidence ${item.entry.original_path} (${short})`;
}
