import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { Event } from '../core/event.ts';
import {
  EVENT_COLUMNS,
  type EventRowValues,
  eventRowValues,
  toAppenderValues,
} from './event-row.ts';
import { CASE_ROW_GROUP_ROWS } from './open-database.ts';

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
 */
export class DuckDbEventWriter implements EventWriter {
  readonly #connection: DuckDBConnection;
  readonly #batchSize: number;
  readonly #chunkRows: number;
  readonly #types: DuckDBType[];
  readonly #rowGroupRows: number;
  #appender: DuckDBAppender | null;
  #columns: DuckDBValue[][];
  #rows = 0;
  // Chunks queued while a commit runs, appended once the next transaction is open.
  #waiting: DuckDBValue[][][] = [];
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

  private constructor(
    connection: DuckDBConnection,
    appender: DuckDBAppender,
    batchSize: number,
    rowGroupRows: number,
  ) {
    this.#connection = connection;
    this.#rowGroupRows = rowGroupRows;
    this.#appender = appender;
    this.#batchSize = batchSize;
    this.#chunkRows = Math.min(batchSize, CHUNK_ROWS);
    this.#types = EVENT_COLUMNS.map((_, index) => appender.columnType(index));
    this.#columns = emptyColumns();
  }

  /**
   * Creates a writer on its own connection, with its first transaction open. `rowGroupRows`
   * sets when the writer commits by itself; tests pass a smaller value than DuckDB's.
   */
  static async create(
    connection: DuckDBConnection,
    batchSize = DEFAULT_BATCH_SIZE,
    rowGroupRows = CASE_ROW_GROUP_ROWS,
  ) {
    const appender = await openTransaction(connection);

    return new DuckDbEventWriter(connection, appender, Math.max(1, batchSize), rowGroupRows);
  }

  append(event: Event, rawJson?: string): boolean {
    return this.appendRow(eventRowValues(event, rawJson));
  }

  appendRow(row: EventRowValues): boolean {
    this.#throwIfUnusable();

    const values = toAppenderValues(row);
    const columns = this.#columns;
    for (let index = 0; index < values.length; index++) columns[index]!.push(values[index]!);
    this.#rows++;
    this.#appendedRows++;

    if (this.#rows >= this.#chunkRows) this.#guard(() => this.#appendChunk());
    if (this.#unflushed >= this.#batchSize) this.#guard(() => this.#appenderFlush());
    return this.#waiting.length < MAX_WAITING_CHUNKS;
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
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const columns of waiting) this.#appendColumns(columns, false);
      }
      this.#appender?.closeSync();
      this.#appender = null;
      this.#unflushed = 0;
      await this.#connection.run('COMMIT');
      this.#committedRows += this.#transactionRows;
      this.#transactionRows = 0;
      this.#sealed = false;
      for (const listener of this.#listeners) listener(this.#committedRows);
      if (!reopen) return;
      this.#appender = await openTransaction(this.#connection);
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const columns of waiting) this.#appendChunkOrWait(columns);
    } catch (error) {
      await this.#abort();
      throw storeFailed(error);
    }
  }

  #moveToWaiting(): void {
    if (this.#rows === 0) return;
    this.#waiting.push(this.#columns);
    this.#columns = emptyColumns();
    this.#rows = 0;
  }

  // Appends the queued rows as one data chunk.
  #appendChunk(): void {
    if (this.#rows === 0) return;

    const columns = this.#columns;
    this.#columns = emptyColumns();
    this.#rows = 0;
    this.#appendChunkOrWait(columns);
  }

  // Sets a chunk aside while a commit runs or is due, else appends it.
  #appendChunkOrWait(columns: DuckDBValue[][]): void {
    if (this.#appender === null || this.#sealed) this.#waiting.push(columns);
    else this.#appendColumns(columns, true);
  }

  // With `mayCommit`, a chunk that fills the row group starts its commit in the background.
  #appendColumns(columns: DuckDBValue[][], mayCommit: boolean): void {
    const rows = columns[0]!.length;
    const chunk = DuckDBDataChunk.create(this.#types, rows);
    for (let index = 0; index < columns.length; index++) {
      chunk.setColumnValues(index, columns[index]!);
    }
    this.#unflushed += rows;
    this.#transactionRows += rows;
    this.#appender!.appendDataChunk(chunk);
    if (!mayCommit || this.#transactionRows < this.#rowGroupRows) return;

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
    this.#unflushed = 0;
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
    this.#rows = 0;
    this.#unflushed = 0;
    this.#columns = emptyColumns();
    this.#waiting = [];
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

// DuckDB's message may quote the rejected value, which is log content, so only the cause keeps it.
function storeFailed(cause: unknown): CloudcaseError {
  return new CloudcaseError(
    'store_write_failed',
    'storing a batch of events in case.duckdb failed; the ingest stays partial and the next run resumes it',
    EXIT.internal,
    { cause },
  );
}

async function openTransaction(connection: DuckDBConnection): Promise<DuckDBAppender> {
  await connection.run('BEGIN TRANSACTION');
  return connection.createAppender('events');
}

function emptyColumns(): DuckDBValue[][] {
  return EVENT_COLUMNS.map(() => []);
}
