import { appendCustodyEntries, INGEST_ACTION, readStoredRecords } from '../evidence/index.ts';
import type { CaseDb } from '../store/index.ts';
import type { ItemDigest } from '../store/ingest-digests.ts';
import {
  EMPTY_DIGEST,
  rejectedCounts,
  type StoredCounts,
  storedDigests,
} from '../store/stored-digests.ts';

const ENTRIES_PER_FLUSH = 1_000;

/**
 * Appends a signed `ingest` entry to the custody ledger for each evidence item whose streams
 * this run read (`ingested`, by SHA-256), and for each item with rows in the database that no entry
 * records yet, such as an item of a case made before these entries existed. Each entry records
 * what `case.duckdb` now stores of the item, which `verify` compares with the database later.
 * `computed` has the events and digest of items that the ingest computed while it stored them
 * (see `IngestDigests`); the database is read for the others.
 */
export async function recordStoredEvidence(
  db: CaseDb,
  analyst: string,
  ingested: ReadonlySet<string>,
  computed: ReadonlyMap<string, ItemDigest> = new Map(),
): Promise<void> {
  const recorded = await readStoredRecords(db.caseDir);
  const connection = await db.connect();
  try {
    const itemRows = await connection.runAndReadAll(
      `SELECT evidence_sha256 FROM events UNION SELECT evidence_sha256 FROM duplicate_events
       UNION SELECT sha256 FROM rejected`,
    );
    const unrecorded = itemRows
      .getRowsJS()
      .map(([sha256]) => String(sha256))
      .filter((sha256) => !recorded.has(sha256));
    const items = [...new Set([...ingested, ...unrecorded])].sort();
    if (items.length === 0) return;

    const unknown = items.filter((sha256) => !computed.has(sha256));
    const stored = unknown.length > 0 ? await storedDigests(connection, unknown) : new Map();
    const rejected = await rejectedCounts(connection, items);
    const entries = items.map((sha256) => {
      const counts: StoredCounts = stored.get(sha256) ?? {
        events: computed.get(sha256)?.events ?? 0,
        rejected: rejected.get(sha256) ?? 0,
        digest: computed.get(sha256)?.digest ?? EMPTY_DIGEST,
      };
      return { actor: analyst, action: INGEST_ACTION, sha256, details: { ...counts } };
    });
    // Entries go to disk in batches, so that a case of many small files pays few flushes and
    // the text of one batch stays small.
    for (let start = 0; start < entries.length; start += ENTRIES_PER_FLUSH) {
      await appendCustodyEntries(db.caseDir, entries.slice(start, start + ENTRIES_PER_FLUSH));
    }
  } finally {
    connection.closeSync();
  }
}
