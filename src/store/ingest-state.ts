import type { DuckDBConnection } from '@duckdb/node-api';
import type { RecordCounts } from '../pipeline/types.ts';
import { isoTime, timestampValue } from './event-row.ts';
import { insertStaged, stagedRows } from './staged-rows.ts';
import type { IngestRecord } from './types.ts';

// `member IS NOT DISTINCT FROM ?` matches NULL to NULL, which plain `=` does not.
const STREAM = 'sha256 = $sha256 AND member IS NOT DISTINCT FROM $member';
const EVENT_STREAM = 'evidence_sha256 = $sha256 AND evidence_member IS NOT DISTINCT FROM $member';

// The current time as a UTC TIMESTAMP; DuckDB's now() is a TIMESTAMPTZ whose cast to TIMESTAMP
// depends on the session time zone.
export function nowTimestamp() {
  return timestampValue(new Date().toISOString());
}

/** Returns the recorded state of one evidence stream, or `null` when it was never ingested. */
export async function readIngestState(
  connection: DuckDBConnection,
  sha256: string,
  member: string | null,
): Promise<'complete' | 'partial' | null> {
  const reader = await connection.runAndReadAll(`SELECT state FROM ingests WHERE ${STREAM}`, {
    sha256,
    member,
  });
  const state = reader.getRowsJS()[0]?.[0];

  return state === 'complete' || state === 'partial' ? state : null;
}

/**
 * Marks a stream `partial`. A stream that was partial before loses its events, rejected records
 * and detections first, because an interrupted ingest may have stored any prefix of them.
 * The caller runs this inside a transaction.
 */
export async function markIngestStarted(
  connection: DuckDBConnection,
  stream: { sha256: string; member: string | null; path: string; format: string | null },
): Promise<void> {
  const key = { sha256: stream.sha256, member: stream.member };
  // A stream with no ingest row may still have rows of an interrupted run (see INGEST_STATES),
  // so whatever is not complete loses its rows.
  if ((await readIngestState(connection, stream.sha256, stream.member)) !== 'complete') {
    await deleteStreamRows(connection, key);
  }

  await connection.run(`DELETE FROM ingests WHERE ${STREAM}`, key);
  await connection.run(
    `INSERT INTO ingests (sha256, member, path, format, state, started_at)
     VALUES ($sha256, $member, $path, $format, 'partial', $now)`,
    { ...key, path: stream.path, format: stream.format, now: nowTimestamp() },
  );
}

/** Deletes a stream's events, rejected records and detections, with the hits they are part of. */
export async function deleteStreamRows(
  connection: DuckDBConnection,
  key: { sha256: string; member: string | null },
): Promise<void> {
  const streamEvents = `SELECT uid FROM events WHERE ${EVENT_STREAM}`;
  // A correlation hit that includes any event of the stream is removed whole: it will be found
  // again, with the same id, when the stream is re-ingested and correlations run.
  const staleHits = `SELECT DISTINCT hit_id FROM detections
    WHERE hit_id IS NOT NULL AND event_uid IN (${streamEvents})`;

  await connection.run(`DELETE FROM correlation_hits WHERE hit_id IN (${staleHits})`, key);
  await connection.run(
    `DELETE FROM detections WHERE hit_id IN (${staleHits}) OR event_uid IN (${streamEvents})`,
    key,
  );
  await connection.run(`DELETE FROM events WHERE ${EVENT_STREAM}`, key);
  await connection.run(`DELETE FROM duplicate_events WHERE ${EVENT_STREAM}`, key);
  await connection.run(`DELETE FROM event_raw_parts WHERE ${EVENT_STREAM}`, key);
  await connection.run(`DELETE FROM rejected WHERE ${STREAM}`, key);
}

/** Marks a stream `complete` with its reconciled record counts. */
export async function markIngestComplete(
  connection: DuckDBConnection,
  sha256: string,
  member: string | null,
  counts: RecordCounts,
): Promise<void> {
  await connection.run(
    `UPDATE ingests SET state = 'complete', finished_at = $now,
       records_read = $read, records_stored = $stored, records_rejected = $rejected
     WHERE ${STREAM}`,
    { sha256, member, now: nowTimestamp(), ...counts },
  );
}

/** Lists every ingested stream, by path then member. */
export async function listIngests(connection: DuckDBConnection): Promise<IngestRecord[]> {
  const reader = await connection.runAndReadAll(
    `SELECT sha256, member, path, format, state, started_at, finished_at
     FROM ingests ORDER BY path, member NULLS FIRST`,
  );

  return reader.getRowObjectsJS().map((row) => ({
    sha256: String(row.sha256),
    member: row.member === null ? null : String(row.member),
    path: String(row.path),
    format: row.format === null ? null : String(row.format),
    state: row.state === 'complete' ? 'complete' : 'partial',
    started_at: isoTime(row.started_at),
    finished_at: row.finished_at === null ? null : isoTime(row.finished_at),
  }));
}

/** A stream whose records are all stored, with its counts, as `markIngestsComplete` takes it. */
export interface CompletedStream {
  sha256: string;
  member: string | null;
  path: string;
  format: string | null;
  counts: RecordCounts;
}

// Streams marked complete are batched, so an interrupted run can leave events of streams that
// have no ingest row at all; those count as partial, like streams marked partial.
const UNRECORDED_STREAMS = `SELECT DISTINCT evidence_sha256, evidence_member FROM events e
WHERE NOT EXISTS (SELECT 1 FROM ingests i WHERE i.sha256 = e.evidence_sha256
  AND i.member IS NOT DISTINCT FROM e.evidence_member)`;

const INGEST_STATES = `SELECT sha256, member, state FROM ingests
UNION ALL
SELECT *, 'partial' FROM (${UNRECORDED_STREAMS})`;

const PARTIAL_STREAMS = `SELECT sha256, member, path FROM ingests WHERE state <> 'complete'
UNION ALL
SELECT *, NULL FROM (${UNRECORDED_STREAMS})
ORDER BY path NULLS LAST, sha256, member NULLS FIRST`;

/** A stream that an interrupted ingest left partly stored. */
export interface PartialStream {
  sha256: string;
  member: string | null;
  /** The path its ingest row records, or `null` when only its events are stored. */
  path: string | null;
}

/**
 * Lists the streams that `readIngestStates` counts as partial: those whose ingest row is
 * `partial` first, by path, then those with events but no ingest row, by hash.
 */
export async function listPartialStreams(connection: DuckDBConnection): Promise<PartialStream[]> {
  const reader = await connection.runAndReadAll(PARTIAL_STREAMS);

  return reader.getRowsJS().map(([sha256, member, path]) => ({
    sha256: String(sha256),
    member: member === null ? null : String(member),
    path: path === null ? null : String(path),
  }));
}

/** Returns the state of every stream ever ingested, even in part, keyed by `ingestKey`. */
export async function readIngestStates(
  connection: DuckDBConnection,
): Promise<Map<string, 'complete' | 'partial'>> {
  const reader = await connection.runAndReadAll(INGEST_STATES);
  const states = new Map<string, 'complete' | 'partial'>();
  for (const [sha256, member, state] of reader.getRowsJS()) {
    const key = ingestKey(String(sha256), member === null ? null : String(member));
    states.set(key, state === 'complete' ? 'complete' : 'partial');
  }

  return states;
}

/** The key of one stream in `readIngestStates`. */
export function ingestKey(sha256: string, member: string | null): string {
  return member === null ? sha256 : `${sha256}!${member}`;
}

/**
 * Marks many streams `complete` in one staged statement, replacing any earlier row of theirs.
 * The caller runs this inside a transaction, after the streams' rows are durable.
 */
export async function markIngestsComplete(
  connection: DuckDBConnection,
  streams: readonly CompletedStream[],
): Promise<void> {
  const now = new Date().toISOString();
  const rows = streams.map((stream) => ({
    sha256: stream.sha256,
    member: stream.member,
    path: stream.path,
    format: stream.format,
    now,
    ...stream.counts,
  }));
  const staged = stagedRows({
    sha256: 'VARCHAR',
    member: 'VARCHAR',
    path: 'VARCHAR',
    format: 'VARCHAR',
    now: 'VARCHAR',
    read: 'BIGINT',
    stored: 'BIGINT',
    rejected: 'BIGINT',
  });

  await insertStaged(
    connection,
    rows,
    `DELETE FROM ingests WHERE (sha256, coalesce(member, '')) IN
       (SELECT (r.sha256, coalesce(r.member, '')) FROM ${staged})`,
  );
  await insertStaged(
    connection,
    rows,
    `INSERT INTO ingests
       SELECT r.sha256, r.member, r.path, r.format, 'complete',
         CAST(r.now AS TIMESTAMPTZ) AT TIME ZONE 'UTC', CAST(r.now AS TIMESTAMPTZ) AT TIME ZONE 'UTC',
         r.read, r.stored, r.rejected
       FROM ${staged}`,
  );
}
