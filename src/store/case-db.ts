import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import type { Event } from '../core/event.ts';
import type { CorrelationHit, EventMatch, Level, RuleMeta } from '../detect/types.ts';
import { isSealed, sealedError } from '../evidence/index.ts';
import type { RecordCounts, RejectedRecord } from '../pipeline/types.ts';
import { checkedStream } from './checked-stream.ts';
import {
  insertCorrelationRows,
  insertMatchRows,
  insertRejectedRows,
  type RuleModelRow,
  upsertRuleModelRows,
  upsertRuleRows,
} from './detection-rows.ts';
import { setAsideDuplicates } from './duplicates.ts';
import { EVENT_SELECT, type EventRow, rowToEvent } from './event-row.ts';
import { DuckDbEventWriter, type EventWriter } from './event-writer.ts';
import { querySeverityEvents, queryTechniqueCells, type TechniqueCell } from './finding-events.ts';
import {
  type CompletedStream,
  deleteStreamRows,
  listIngests,
  listPartialStreams,
  markIngestComplete,
  markIngestStarted,
  markIngestsComplete,
  nowTimestamp,
  type PartialStream,
  readIngestState,
  readIngestStates,
} from './ingest-state.ts';
import {
  CASE_MEMORY_LIMIT,
  INGEST_MEMORY_LIMIT,
  type OpenDatabase,
  openDatabase,
} from './open-database.ts';
import {
  hasRawKeys,
  hasRawParts,
  keyRecordsStoredInParts,
  RAW_READ_RECORDS,
  type RawRef,
  readRawTexts,
} from './raw-parts.ts';
import { SCHEMA } from './schema.ts';
import {
  queryCounts,
  queryDetectedEvents,
  queryFindings,
  queryRejected,
} from './summary-queries.ts';
import { columnsRead, sliceBudget, sliceCondition, timeSlices } from './time-slices.ts';
import { exportTimelineCsv } from './timeline-csv.ts';
import { type BoundQuery, timelineCondition, timelineQuery } from './timeline-query.ts';
import { inTransaction } from './transaction.ts';
import type { CaseCounts, DetectedEvent, Finding, IngestRecord, TimelineFilter } from './types.ts';

/**
 * The case database, `case.duckdb`: events, rejected records, detections, rule metadata, ingest
 * state and the audit trail. One process owns the file at a time; calls on one `CaseDb` run one
 * after another on its main connection, while event writers and timelines get connections of
 * their own.
 */
export class CaseDb {
  readonly caseDir: string;
  readonly readOnly: boolean;
  readonly #database: OpenDatabase;
  readonly #connection: DuckDBConnection;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    caseDir: string,
    readOnly: boolean,
    database: OpenDatabase,
    connection: DuckDBConnection,
  ) {
    this.caseDir = caseDir;
    this.readOnly = readOnly;
    this.#database = database;
    this.#connection = connection;
  }

  /**
   * Opens the case database for writing, creating the file and its tables when missing.
   * Raises `case_locked` (exit code 4) when another process or this one has the file open, and
   * `case_not_writable` or `case_not_readable` when file permissions prevent opening it, and
   * `case_sealed` when `case close` has sealed the case.
   */
  static async open(caseDir: string): Promise<CaseDb> {
    if (await isSealed(caseDir)) throw sealedError(caseDir);
    const database = await openDatabase(caseDir, false);
    const connection = await database.instance.connect();
    const db = new CaseDb(caseDir, false, database, connection);
    await db.#transaction(async () => {
      for (const statement of SCHEMA) await connection.run(statement);
      await keyRecordsStoredInParts(connection);
    });

    return db;
  }

  /** Opens an existing case database for reading; writes raise a DuckDB error. */
  static async openReadOnly(caseDir: string): Promise<CaseDb> {
    const database = await openDatabase(caseDir, true);
    const connection = await database.instance.connect();

    return new CaseDb(caseDir, true, database, connection);
  }

  /**
   * Runs `work`, an ingest, with DuckDB's memory limit lowered to `INGEST_MEMORY_LIMIT`, and
   * restores the case's limit when it ends.
   */
  async withIngestMemoryLimit<T>(work: () => Promise<T>): Promise<T> {
    await this.#setMemoryLimit(INGEST_MEMORY_LIMIT);
    return withCleanup(work, () => this.#setMemoryLimit(CASE_MEMORY_LIMIT));
  }

  #setMemoryLimit(limit: string): Promise<void> {
    return this.#serial(async () => {
      await this.#connection.run(`SET memory_limit = '${limit}'`);
    });
  }

  /** Creates a batching writer for the `events` table on a connection of its own. */
  async eventWriter(batchSize?: number): Promise<EventWriter> {
    return DuckDbEventWriter.create(await this.#database.instance.connect(), batchSize);
  }

  /** Returns whether a stream was ingested completely, partly, or never (`null`). */
  ingestState(sha256: string, member: string | null): Promise<'complete' | 'partial' | null> {
    return this.#serial(() => readIngestState(this.#connection, sha256, member));
  }

  /**
   * Records that a stream's ingest starts (state `partial`). When an earlier ingest of it was
   * interrupted, its events, rejected records and detections are deleted first, so the new
   * ingest stores each record exactly once.
   */
  beginIngest(
    sha256: string,
    member: string | null,
    path: string,
    format: string | null,
  ): Promise<void> {
    return this.#transaction(() =>
      markIngestStarted(this.#connection, { sha256, member, path, format }),
    );
  }

  /** Records that a stream's ingest finished, with its record counts. */
  completeIngest(sha256: string, member: string | null, counts: RecordCounts): Promise<void> {
    return this.#serial(() => markIngestComplete(this.#connection, sha256, member, counts));
  }

  /** Lists the streams an interrupted ingest left partly stored, even those with no ingest row. */
  partialStreams(): Promise<PartialStream[]> {
    return this.#serial(() => listPartialStreams(this.#connection));
  }

  /** Returns the state of every stream ever ingested, keyed by `ingestKey(sha256, member)`. */
  ingestStates(): Promise<Map<string, 'complete' | 'partial'>> {
    return this.#serial(() => readIngestStates(this.#connection));
  }

  /**
   * Records that many streams finished, in one transaction. Call it only once their events,
   * rejected records and matches are flushed: a stream marked complete is never read again.
   */
  completeIngests(streams: readonly CompletedStream[]): Promise<void> {
    if (streams.length === 0) return Promise.resolve();
    return this.#transaction(() => markIngestsComplete(this.#connection, streams));
  }

  /**
   * Deletes everything stored from one stream and its ingest row, for a stream whose
   * evidence failed its hash check after its records were read.
   */
  discardStream(sha256: string, member: string | null): Promise<void> {
    return this.#transaction(async () => {
      await deleteStreamRows(this.#connection, { sha256, member });
      await this.#connection.run(
        'DELETE FROM ingests WHERE sha256 = $sha256 AND member IS NOT DISTINCT FROM $member',
        { sha256, member },
      );
    });
  }

  /**
   * Sets aside later copies of events that two evidence files both contain (same source,
   * provider record id, time, operation, actor and address), with their detections (see
   * `setAsideDuplicates`).
   * Returns how many events moved and how many single-event rule matches went with them.
   */
  setAsideDuplicates(): Promise<{ events: number; matches: number }> {
    return this.#transaction(async () => {
      const matches = 'SELECT count(*) FROM detections WHERE hit_id IS NULL';
      const before = await this.#connection.runAndReadAll(matches);
      const events = await setAsideDuplicates(this.#connection);
      const after = await this.#connection.runAndReadAll(matches);
      const removed = Number(before.getRowsJS()[0]?.[0]) - Number(after.getRowsJS()[0]?.[0]);
      return { events, matches: removed };
    });
  }

  /** Lists every ingested stream with its evidence hash and original path. */
  ingests(): Promise<IngestRecord[]> {
    return this.#serial(() => listIngests(this.#connection));
  }

  /** Stores rejected records; re-storing the same record (stream and index) adds nothing. */
  insertRejected(rows: RejectedRecord[]): Promise<void> {
    return this.#transaction(() => insertRejectedRows(this.#connection, rows));
  }

  /** Stores single-event rule matches; re-storing a match adds nothing. */
  insertMatches(rows: EventMatch[]): Promise<void> {
    return this.#transaction(() => insertMatchRows(this.#connection, rows));
  }

  /** Stores correlation hits with their member events; re-storing a hit adds nothing. */
  insertCorrelationHits(rows: CorrelationHit[]): Promise<void> {
    return this.#transaction(() => insertCorrelationRows(this.#connection, rows));
  }

  /**
   * Replaces every stored hit of the given correlation rules (and their detection rows) with
   * `hits`, so evaluating a correlation over the whole case again leaves one set of its hits.
   */
  replaceCorrelationHits(ruleIds: readonly string[], hits: CorrelationHit[]): Promise<void> {
    return this.#transaction(async () => {
      for (const rule of ruleIds) {
        await this.#connection.run(
          'DELETE FROM detections WHERE rule_id = $rule AND hit_id IS NOT NULL',
          { rule },
        );
        await this.#connection.run('DELETE FROM correlation_hits WHERE rule_id = $rule', { rule });
      }
      await insertCorrelationRows(this.#connection, hits);
    });
  }

  /** Stores the metadata of the rules a run used, replacing older versions by rule id. */
  upsertRules(meta: RuleMeta[]): Promise<void> {
    return this.#transaction(() => upsertRuleRows(this.#connection, meta));
  }

  /** Stores the models of single-event rules a hunt ran (see `upsertRuleModelRows`). */
  upsertRuleModels(models: RuleModelRow[]): Promise<void> {
    return this.#transaction(() => upsertRuleModelRows(this.#connection, models));
  }

  /** Appends one entry to the analyst audit trail. */
  recordAudit(actor: string, command: string, details: Record<string, unknown>): Promise<void> {
    return this.#serial(async () => {
      await this.#connection.run('INSERT INTO audit VALUES ($time, $actor, $command, $details)', {
        time: nowTimestamp(),
        actor,
        command,
        details: JSON.stringify(details),
      });
    });
  }

  /**
   * Streams events in time order, chunk by chunk from DuckDB, so memory does not grow with the
   * number of events: without a limit, DuckDB sorts one time slice at a time (`timeSlices`), and
   * with one it keeps at most `limit` events. Each call uses its own connection, closed when
   * iteration ends, and a second one that reads raw records stored in parts.
   */
  async *timeline(filter: TimelineFilter = {}): AsyncIterable<Event> {
    const connection = await this.#database.instance.connect();
    const parts = await this.#database.instance.connect();
    try {
      const rawKey = await hasRawKeys(connection);
      if (filter.limit !== undefined) {
        yield* streamEvents(connection, parts, timelineQuery(filter, undefined, rawKey));
        return;
      }
      const raw = filter.withoutRaw !== true;
      const budget = await sliceBudget(connection, raw, columnsRead([EVENT_SELECT]));
      for await (const slice of timeSlices(connection, timelineCondition(filter), budget)) {
        const query = timelineQuery(filter, sliceCondition(slice), rawKey);
        yield* streamEvents(connection, parts, query);
      }
    } finally {
      parts.closeSync();
      connection.closeSync();
    }
  }

  /** Writes every event in time order as the timeline CSV (see `exportTimelineCsv`). */
  exportTimelineCsv(file: string): Promise<void> {
    return this.#serial(() => exportTimelineCsv(this.#connection, file));
  }

  /**
   * Writes the changes held in DuckDB's memory and write-ahead log to the database file, which
   * makes the memory of new index entries evictable.
   */
  checkpoint(): Promise<void> {
    return this.#serial(async () => {
      await this.#connection.run('CHECKPOINT');
    });
  }

  /** Opens a connection of its own, for read-only analyses; the caller closes it. */
  connect(): Promise<DuckDBConnection> {
    return this.#database.instance.connect();
  }

  /** Aggregates detections per rule, most severe first. */
  findings(): Promise<Finding[]> {
    return this.#serial(() => queryFindings(this.#connection));
  }

  /** Counts the distinct events the rules of each level detected (see `querySeverityEvents`). */
  severityEvents(): Promise<Record<Level, number>> {
    return this.#serial(() => querySeverityEvents(this.#connection));
  }

  /** Counts rules and detected events per tactic and technique (see `queryTechniqueCells`). */
  techniqueCells(): Promise<TechniqueCell[]> {
    return this.#serial(() => queryTechniqueCells(this.#connection));
  }

  /** Lists detected events for the attack timeline; see `queryDetectedEvents` for the order. */
  detectedEvents(limit = 1000): Promise<DetectedEvent[]> {
    return this.#serial(() => queryDetectedEvents(this.#connection, limit));
  }

  /** Lists up to `limit` rejected records, by file and record index. */
  rejected(limit = 1000): Promise<RejectedRecord[]> {
    return this.#serial(() => queryRejected(this.#connection, limit));
  }

  /**
   * Counts events per source, records per format (split by whether an ingest rejected records)
   * and rejected records per code.
   */
  counts(): Promise<CaseCounts> {
    return this.#serial(() => queryCounts(this.#connection));
  }

  /** Closes the database; open writers and timelines must be closed first. */
  async close(): Promise<void> {
    if (this.#closed) return;

    this.#closed = true;
    await this.#queue.catch(() => undefined);
    this.#connection.closeSync();
    await this.#database.close();
  }

  // One statement or transaction at a time on the main connection: DuckDB connections are not
  // meant for overlapping queries, and a transaction must not interleave with another call.
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);

    return next;
  }

  #transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.#serial(() => inTransaction(this.#connection, work));
  }
}

async function* streamEvents(
  connection: DuckDBConnection,
  partsConnection: DuckDBConnection,
  query: BoundQuery,
): AsyncIterable<Event> {
  const events = checkedStream(
    connection,
    query.sql,
    query.params,
    (result) => result.yieldRowObjectJs(),
    'timeline events',
  );
  const partsTable = await hasRawParts(partsConnection);
  for await (const rows of events) {
    // The parts of a few records at a time: reading them by key costs what they hold, so a
    // chunk of 2,048 records of 64 KB is not held in memory at once. Records stored before
    // keys are read by uid with the rest of the chunk, since each such read scans every part.
    for (let start = 0; start < rows.length; ) {
      let end = start;
      let keyed = 0;
      const split: RawRef[] = [];
      while (end < rows.length && keyed < RAW_READ_RECORDS) {
        const row = rows[end++]!;
        if (row.raw !== null) continue;
        const key =
          row.raw_key === null || row.raw_key === undefined ? null : BigInt(row.raw_key as bigint);
        if (key !== null) keyed++;
        split.push({ uid: String(row.uid), key });
      }
      const rawTexts = await readRawTexts(partsConnection, split, partsTable);
      for (const row of rows.slice(start, end)) {
        const raw = rawTexts.get(String(row.uid));
        yield rowToEvent((raw === undefined ? row : { ...row, raw }) as EventRow);
      }
      start = end;
    }
  }
}
