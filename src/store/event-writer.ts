import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { CloudcaseError, causeLine, EXIT } from '../core/errors.ts';
import type { Event } from '../core/event.ts';
import {
  EVENT_COLUMNS,
  type EventRowValues,
  eventRowValues,
  toAppenderValues,
} from './event-row.ts';
import { CASE_ROW_GROUP_ROWS } from './open-database.ts';
import { type RawPart, splitRawText } from './raw-parts.ts';

/** Streams events into the `events` table in batches. */
export interface EventWriter {
  /**
   * Queues one event. `rawJson`, when given, is the original JSON text of `event.raw`, stored
   * verbatim instead of serializing `raw` again. Returns `false` when the caller should await
   * `drain()` before appending more, so memory stays bounded: events appended while `flush`
   * commits wait in memory for the next transaction.
   */
  append(event: Event, rawJson?: string): boolean;
  /** Queues one row converted by `eventRowValues`; returns as `append` does. */
  appendRow(values: EventRowValues): boolean;
  /** Waits until the writer can take more events. */
  drain(): Promise<void>;
  /**
   * Stores every event queued so far durably and waits until that is done. Events may be
   * appended meanwhile; they belong to the next flush.
   */
  flush(): Promise<void>;
  /** Flushes, then releases the writer's connection. */
  close(): Promise<void>;
  /** Rows appended so far, committed or not. */
  readonly appendedRows: number;
  /**
   * Calls `listener` after each commit with the number of rows committed so far. The writer
   * commits by itself whenever a row group's worth of rows is appended, and at `flush`.
   */
  onCommit(listener: (committedRows: number) => void): void;
}

/**
 * Events handed to DuckDB's appender between two appender flushes. The appender keeps them in
 * memory outside DuckDB's buffer pool, so this bounds that memory (about 2 KB per CloudTrail
 * event, raw record included) while keeping the per-flush overhead small.
 */
export const DEFAULT_BATCH_SIZE = 8_192;

/** Rows of one data chunk: DuckDB's vector size (`duckdb_vector_size()`, 2048 in 1.5). */
const CHUNK_ROWS = 2_048;

/** Chunks that may wait in memory while a commit runs before `append` returns `false`. */
const MAX_WAITING_CHUNKS = 4;

/**
 * Text, in UTF-16 code units, that may wait in memory while a commit runs before `append`
 * returns `false`, that the appenders take before they are flushed, and that one data chunk
 * holds. Row counts alone let records of 64 KiB hold 128 MB per chunk of 2048 rows. The text of
 * a row is its raw record and its other text columns.
 */
const MAX_BUFFERED_UNITS = 16 * 1024 * 1024;

/**
 * Text, in UTF-16 code units, of the `events` rows that one transaction takes before the writer
 * commits it, even short of a row group. The ingest's RSS rose with the rows of the open
 * transaction (DuckDB 1.5), so row counts alone let rows with long values grow it with the
 * input. In `investigate` of 6,000 CloudTrail records with an ARN of 16.5 KB, the ingest peaked
 * at 0.95 GB RSS, and at 0.65 GB with this bound (2 cores). A row group of ordinary CloudTrail
 * events, 16,384 rows of about 2.7 KB of text, stays under it and commits whole. Raw record parts
 * do not count, because DuckDB spills them past its memory limit. Committing them sooner raised
 * the peak of 4,000 records of 80 KB from 0.51 GB to 0.61 GB.
 */
export const MAX_TRANSACTION_UNITS = 64 * 1024 * 1024;

const RAW = EVENT_COLUMNS.findIndex((column) => column.name === 'raw');
const UID = EVENT_COLUMNS.findIndex((column) => column.name === 'uid');
const SHA256 = EVENT_COLUMNS.findIndex((column) => column.name === 'evidence_sha256');
const MEMBER = EVENT_COLUMNS.findIndex((column) => column.name === 'evidence_member');
const RECORD = EVENT_COLUMNS.findIndex((column) => column.name === 'evidence_record');
const RAW_KEY = EVENT_COLUMNS.findIndex((column) => column.name === 'raw_key');

/**
 * The DuckDB-backed writer. Events are converted to column values, appended to `events` in
 * data chunks of up to 2048 rows through DuckDB's appender, and committed at `flush`.
 *
 * Appends run in a transaction of the writer's connection, so other connections see them only
 * once it commits, and an interrupted run leaves none of them behind. Within the transaction
 * DuckDB writes each full row group straight to the database file, instead of through the
 * write-ahead log. The writer commits by itself each time a transaction contains exactly one row
 * group, in the background while appends wait in memory, because a commit whose rows end in a
 * partial row group leaves the table's last row group partial, and DuckDB then wrote the next
 * commit's row groups a second time: a million events took 1.8 GB on disk instead of 0.9 GB.
 * `flush` commits whatever is appended, so only its commits end in a partial row group.
 *
 * A raw record longer than `RAW_PART_UNITS` goes to `event_raw_parts` in parts (see
 * `raw-parts.ts`), appended in the transaction of its event or an earlier one, never a later one.
 * Its event row and its parts get the same `raw_key`, one more than the largest key stored when
 * the writer was created, so keys rise in the order the parts are written.
 * NOTE: keys are unique only while one writer at a time stores events, as the ingest does.
 */
export class DuckDbEventWriter implements EventWriter {
  readonly #connection: DuckDBConnection;
  readonly #batchSize: number;
  readonly #chunkRows: number;
  readonly #types: DuckDBType[];
  readonly #rowGroupRows: number;
  #appender: DuckDBAppender | null;
  #partsAppender: DuckDBAppender | null;
  #columns: DuckDBValue[][];
  #rows = 0;
  // Chunks queued while a commit runs, appended once the next transaction is open.
  #waiting: QueuedChunk[] = [];
  // Raw record parts queued while a commit runs, appended first once the next transaction opens.
  #waitingParts: RawPart[] = [];
  // Text units of the waiting chunks and parts.
  #waitingUnits = 0;
  // Text units of the queued rows that are not in a chunk yet.
  #columnUnits = 0;
  // Text units appended since the appenders were last flushed.
  #unflushedUnits = 0;
  // Text units of the rows appended to `events` in the open transaction.
  #transactionUnits = 0;
  readonly #maxTransactionUnits: number;
  #commits: Promise<void> = Promise.resolve();
  // Set from the append that fills a row group until its commit: later chunks wait.
  #sealed = false;
  #transactionRows = 0;
  #appendedRows = 0;
  #committedRows = 0;
  #listeners: ((committedRows: number) => void)[] = [];
  #unflushed = 0;
  #failure: unknown = null;
  // Set once an append or commit failed: the transaction is rolled back and nothing more is stored.
  #broken = false;
  #rollback: Promise<void> = Promise.resolve();
  #closed = false;
  // The raw_key given last to a record stored in parts.
  #lastRawKey: bigint;

  private constructor(
    connection: DuckDBConnection,
    appenders: Appenders,
    batchSize: number,
    rowGroupRows: number,
    lastRawKey: bigint,
    maxTransactionUnits: number,
  ) {
    const { appender } = appenders;
    this.#maxTransactionUnits = maxTransactionUnits;
    this.#lastRawKey = lastRawKey;
    this.#connection = connection;
    this.#rowGroupRows = rowGroupRows;
    this.#appender = appender;
    this.#partsAppender = appenders.parts;
    this.#batchSize = batchSize;
    this.#chunkRows = Math.min(batchSize, CHUNK_ROWS);
    this.#types = EVENT_COLUMNS.map((_, index) => appender.columnType(index));
    this.#columns = emptyColumns();
  }

  /**
   * Creates a writer on its own connection, with its first transaction open. `rowGroupRows`
   * and `maxTransactionUnits` (text in UTF-16 code units) set when the writer commits by itself;
   * tests pass smaller values than the defaults.
   */
  static async create(
    connection: DuckDBConnection,
    batchSize = DEFAULT_BATCH_SIZE,
    rowGroupRows = CASE_ROW_GROUP_ROWS,
    maxTransactionUnits = MAX_TRANSACTION_UNITS,
  ) {
    const lastKey = await connection.runAndReadAll(
      'SELECT coalesce(max(raw_key), 0)::BIGINT FROM event_raw_parts',
    );
    const lastRawKey = BigInt(lastKey.getRowsJS()[0]?.[0] as bigint);
    const appenders = await openTransaction(connection);

    return new DuckDbEventWriter(
      connection,
      appenders,
      Math.max(1, batchSize),
      rowGroupRows,
      lastRawKey,
      Math.max(1, maxTransactionUnits),
    );
  }

  append(event: Event, rawJson?: string): boolean {
    return this.appendRow(eventRowValues(event, rawJson));
  }

  appendRow(row: EventRowValues): boolean {
    this.#throwIfUnusable();

    const raw = row[RAW];
    const parts = typeof raw === 'string' ? splitRawText(raw) : null;
    if (parts !== null) row[RAW] = null;
    const units = textUnits(row);
    const values = toAppenderValues(row);
    if (parts !== null) {
      this.#lastRawKey += 1n;
      values[RAW_KEY] = this.#lastRawKey;
      this.#guard(() => this.#queueParts(values, parts));
    }
    const columns = this.#columns;
    for (let index = 0; index < values.length; index++) columns[index]!.push(values[index]!);
    this.#columnUnits += units;
    this.#rows++;
    this.#appendedRows++;

    if (this.#rows >= this.#chunkRows || this.#columnUnits >= MAX_BUFFERED_UNITS) {
      this.#guard(() => this.#appendChunk());
    }
    if (this.#unflushed >= this.#batchSize || this.#unflushedUnits >= MAX_BUFFERED_UNITS) {
      this.#guard(() => this.#appenderFlush());
    }
    return this.#waiting.length < MAX_WAITING_CHUNKS && this.#waitingUnits < MAX_BUFFERED_UNITS;
  }

  // Appends the parts of one raw record now, or queues them while a commit runs or is due.
  #queueParts(values: DuckDBValue[], texts: string[]): void {
    const common = {
      uid: String(values[UID]),
      sha256: String(values[SHA256]),
      member: values[MEMBER] === null ? null : String(values[MEMBER]),
      record: Number(values[RECORD]),
      key: values[RAW_KEY] as bigint,
    };
    const parts = texts.map((text, part) => ({ ...common, part, text }));
    if (this.#partsAppender === null || this.#sealed) {
      for (const part of parts) this.#waitingParts.push(part);
      for (const part of parts) this.#waitingUnits += part.text.length;
    } else {
      for (const part of parts) this.#appendPart(part);
    }
  }

  #appendPart(part: RawPart): void {
    const appender = this.#partsAppender!;
    appender.appendVarchar(part.uid);
    appender.appendVarchar(part.sha256);
    if (part.member === null) appender.appendNull();
    else appender.appendVarchar(part.member);
    appender.appendBigInt(BigInt(part.record));
    appender.appendInteger(part.part);
    appender.appendVarchar(part.text);
    appender.appendBigInt(part.key);
    appender.endRow();
    this.#unflushedUnits += part.text.length;
  }

  #throwIfUnusable(): void {
    this.#throwIfFailed();
    if (this.#closed) throw new CloudcaseError('writer_closed', 'the event writer is closed');
    if (this.#broken) throw storeFailed(undefined);
  }

  get appendedRows(): number {
    return this.#appendedRows;
  }

  onCommit(listener: (committedRows: number) => void): void {
    this.#listeners.push(listener);
  }

  async drain(): Promise<void> {
    await this.#commits;
    this.#throwIfFailed();
  }

  flush(): Promise<void> {
    return this.#serial(() => this.#commit(true, true));
  }

  async close(): Promise<void> {
    if (this.#closed) return;

    try {
      await this.#rollback;
      await this.#serial(() => this.#commit(true, false));
    } finally {
      this.#closed = true;
      this.#connection.closeSync();
    }
  }

  // Commits the transaction: with `all`, every row queued so far, else the rows already in the
  // appender (one row group). `reopen` starts the next transaction and appends what waited.
  async #commit(all: boolean, reopen: boolean): Promise<void> {
    this.#throwIfFailed();
    if (this.#closed || this.#broken) return;

    try {
      if (all) {
        this.#moveToWaiting();
        this.#appendWaitingParts();
        const waiting = this.#takeWaiting();
        for (const chunk of waiting) this.#appendColumns(chunk, false);
      }
      this.#appender?.closeSync();
      this.#partsAppender?.closeSync();
      this.#appender = null;
      this.#partsAppender = null;
      this.#unflushed = 0;
      this.#unflushedUnits = 0;
      await this.#connection.run('COMMIT');
      this.#committedRows += this.#transactionRows;
      this.#transactionRows = 0;
      this.#transactionUnits = 0;
      this.#sealed = false;
      for (const listener of this.#listeners) listener(this.#committedRows);
      if (!reopen) return;
      const appenders = await openTransaction(this.#connection);
      this.#appender = appenders.appender;
      this.#partsAppender = appenders.parts;
      this.#appendWaitingParts();
      const waiting = this.#takeWaiting();
      for (const chunk of waiting) this.#appendChunkOrWait(chunk);
    } catch (error) {
      await this.#abort();
      throw storeFailed(error);
    }
  }

  #moveToWaiting(): void {
    const chunk = this.#takeColumns();
    if (chunk === null) return;
    this.#waiting.push(chunk);
    this.#waitingUnits += chunk.units;
  }

  #takeColumns(): QueuedChunk | null {
    if (this.#rows === 0) return null;

    const chunk = { columns: this.#columns, units: this.#columnUnits };
    this.#columns = emptyColumns();
    this.#columnUnits = 0;
    this.#rows = 0;
    return chunk;
  }

  #takeWaiting(): QueuedChunk[] {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#waitingUnits = 0;
    return waiting;
  }

  #appendWaitingParts(): void {
    const parts = this.#waitingParts;
    this.#waitingParts = [];
    for (const part of parts) this.#appendPart(part);
  }

  // Appends the queued rows as one data chunk.
  #appendChunk(): void {
    const chunk = this.#takeColumns();
    if (chunk !== null) this.#appendChunkOrWait(chunk);
  }

  // Sets a chunk aside while a commit runs or is due, else appends it.
  #appendChunkOrWait(chunk: QueuedChunk): void {
    if (this.#appender === null || this.#sealed) {
      this.#waiting.push(chunk);
      this.#waitingUnits += chunk.units;
    } else {
      this.#appendColumns(chunk, true);
    }
  }

  // With `mayCommit`, a chunk that fills the row group starts its commit in the background.
  #appendColumns({ columns, units }: QueuedChunk, mayCommit: boolean): void {
    const rows = columns[0]!.length;
    const chunk = DuckDBDataChunk.create(this.#types, rows);
    for (let index = 0; index < columns.length; index++) {
      chunk.setColumnValues(index, columns[index]!);
    }
    this.#unflushed += rows;
    this.#unflushedUnits += units;
    this.#transactionUnits += units;
    this.#transactionRows += rows;
    this.#appender!.appendDataChunk(chunk);
    if (mayCommit) this.#commitIfFull();
  }

  // Starts a commit in the background once the transaction contains a row group, or rows with
  // `maxTransactionUnits` of text.
  #commitIfFull(): void {
    if (this.#sealed) return;
    const rowsFull = this.#transactionRows >= this.#rowGroupRows;
    if (!rowsFull && this.#transactionUnits < this.#maxTransactionUnits) return;

    this.#sealed = true;
    this.#serial(() => this.#commit(false, true)).catch((error: unknown) => {
      this.#failure = error;
    });
  }

  // One commit at a time: a flush may still run when the next one, or `close`, is requested.
  #serial(work: () => Promise<void>): Promise<void> {
    const next = this.#commits.then(work);
    this.#commits = next.catch(() => undefined);
    return next;
  }

  #appenderFlush(): void {
    this.#appender?.flushSync();
    this.#partsAppender?.flushSync();
    this.#unflushed = 0;
    this.#unflushedUnits = 0;
  }

  // A failed append leaves the transaction unusable: it is rolled back, and the next call raises.
  #guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#failure = error;
      this.#rollback = this.#abort();
      this.#throwIfFailed();
    }
  }

  async #abort(): Promise<void> {
    this.#broken = true;
    this.#appender = null;
    this.#partsAppender = null;
    this.#rows = 0;
    this.#unflushed = 0;
    this.#unflushedUnits = 0;
    this.#columns = emptyColumns();
    this.#columnUnits = 0;
    this.#takeWaiting();
    this.#waitingParts = [];
    this.#transactionUnits = 0;
    this.#sealed = false;
    await this.#connection.run('ROLLBACK').catch(() => undefined);
  }

  #throwIfFailed(): void {
    if (this.#failure === null) return;

    const cause = this.#failure;
    this.#failure = null;
    throw storeFailed(cause);
  }
}

/** DuckDB's messages about memory, which name sizes only. */
const MEMORY_CAUSE = /out of memory|failed to pin block|could not allocate/i;

/**
 * Builds the error of a failed append or commit. DuckDB's message may quote the rejected value,
 * which is log content, so the message shows only a cause about memory and refers to the `-v`
 * log for others. A cause that is already this error is returned as it is.
 */
export function storeFailed(cause: unknown): CloudcaseError {
  if (cause instanceof CloudcaseError && cause.code === 'store_write_failed') return cause;

  const line = cause === undefined ? '' : causeLine(cause);
  let reason = '';
  if (MEMORY_CAUSE.test(line)) reason = `: ${line}`;
  else if (line !== '') reason = ' (run with -v to log the cause)';

  return new CloudcaseError(
    'store_write_failed',
    `storing a batch of events in case.duckdb failed${reason}; the ingest stays partial and ` +
      'the next run resumes it',
    EXIT.internal,
    { cause },
  );
}

/** The appenders of one transaction: of `events`, and of `event_raw_parts`. */
interface Appenders {
  appender: DuckDBAppender;
  parts: DuckDBAppender;
}

/** Rows for one data chunk, with the units of raw text that they hold. */
interface QueuedChunk {
  columns: DuckDBValue[][];
  units: number;
}

async function openTransaction(connection: DuckDBConnection): Promise<Appenders> {
  await connection.run('BEGIN TRANSACTION');
  const appender = await connection.createAppender('events');
  const parts = await connection.createAppender('event_raw_parts');

  return { appender, parts };
}

// UTF-16 code units of the text values of a row, and of the strings of its lists.
function textUnits(row: EventRowValues): number {
  let units = 0;
  for (const value of row) {
    if (typeof value === 'string') units += value.length;
    else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string') units += item.length;
    }
  }
  return units;
}

function emptyColumns(): DuckDBValue[][] {
  return EVENT_COLUMNS.map(() => []);
}
