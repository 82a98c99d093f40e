/**
 * The `ingest` entries of the custody ledger: what `case.duckdb` held of an evidence item when an
 * ingest of it completed, so `verify` can tell when events were later deleted, added or edited.
 */
import { custodyPath } from './case-layout.ts';
import { readJsonLines } from './jsonl.ts';

/** Custody action that records the events the case database stores of one evidence item. */
export const INGEST_ACTION = 'ingest';

/** Counts and digest that an `ingest` entry records of one evidence item. */
export interface StoredRecord {
  /** Sequence number of the entry. */
  seq: number;
  events: number;
  rejected: number;
  /** SHA-256 over the item's events; see `storedDigests`. */
  digest: string;
}

/** Returns the counts an entry records, or null when it is no well-formed `ingest` entry. */
export function storedRecordOf(entry: Record<string, unknown>): StoredRecord | null {
  if (entry.action !== INGEST_ACTION || typeof entry.sha256 !== 'string') return null;

  const details = (entry.details ?? {}) as Record<string, unknown>;
  const { events, rejected, digest } = details;
  if (!Number.isSafeInteger(events) || !Number.isSafeInteger(rejected)) return null;
  if (typeof digest !== 'string') return null;

  return {
    seq: entry.seq as number,
    events: events as number,
    rejected: rejected as number,
    digest,
  };
}

/**
 * Reads the latest `ingest` record of each evidence item from the ledger, by SHA-256. Lines
 * that do not parse are skipped; `verify` reports them.
 */
export async function readStoredRecords(caseDir: string): Promise<Map<string, StoredRecord>> {
  const records = new Map<string, StoredRecord>();
  for await (const line of readJsonLines(custodyPath(caseDir))) {
    if (!line.ok || typeof line.value !== 'object' || line.value === null) continue;
    const entry = line.value as Record<string, unknown>;
    const record = storedRecordOf(entry);
    if (record !== null) records.set(entry.sha256 as string, record);
  }

  return records;
}
