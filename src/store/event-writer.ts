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
}

/**
 * Events handed to DuckDB's appender between two appender flushes. The appender keeps them in
 * memory outside DuckDB's buffer pool, so this bounds that memory (about 2 KB per CloudTrail
 * event, raw record included) while keeping the per-flush overhead small.
 */
export const DEFAULT_BATCH_SIZE = 8_192;

/** Rows of one data chunk: DuckDB's vector size (`duckdb_vector_size()`, 2048 in 1.5). */
const CHUNK_ROWS = 2_048;

/** Chunks that may wait in memory while a commit runs before `append` asks the caller to wait. */
const MAX_WAITING_CHUNKS = 4;

/**
 * The DuckDB-backed writer. Events are converted to column values, appended to `events` in
 * data chunks of up to 2048 rows through DuckDB's appender, and committed at `flush`.
 *
 * The appends of one flush interval run in one transaction of the writer's connection, so
 * other connections see them only once `flush` commits, and an interrupted run leaves none of
 * them behind. Within that transaction DuckDB writes each full row group (122,880 rows)
 * straight to the database file, instead of through the write-ahead log, which an appender
 * flush outside a transaction would do for every batch smaller than a row group.
 */
export class DuckDbEventWriter implements EventWriter {
  readonly #connection: DuckDBConnection;
  readonly #batchSize: number;
  readonly #chunkRows: number;
  readonly #types: DuckDBType[];
  #appender: DuckDBAppender | null;
  #columns: DuckDBValue[][];
  #rows = 0;
  // Chunks queued while a commit runs, appended once the next transaction is open.
  #waiting: DuckDBValue[][][] = [];
  #commits: Promise<void> = Promise.resolve();
  #unflushed = 0;
  #failure: unknown = null;
  // Set once an append or commit failed: the transaction is rolled back and nothing more is stored.
  #broken = false;
  #rollback: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(connection: DuckDBConnection, appender: DuckDBAppender, batchSize: number) {
    this.#connection = connection;
    this.#appender = appender;
    this.#batchSize = batchSize;
    this.#chunkRows = Math.min(batchSize, CHUNK_ROWS);
    this.#types = EVENT_COLUMNS.map((_, index) => appender.columnType(index));
    this.#columns = emptyColumns();
  }

  /** Creates a writer on its own connection, with its first transaction open. */
  static async create(connection: DuckDBConnection, batchSize = DEFAULT_BATCH_SIZE) {
    const appender = await openTransaction(connection);

    return new DuckDbEventWriter(connection, appender, Math.max(1, batchSize));
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

    if (this.#rows >= this.#chunkRows) this.#guard(() => this.#appendChunk());
    if (this.#unflushed >= this.#batchSize) this.#guard(() => this.#appenderFlush());
    return this.#waiting.length < MAX_WAITING_CHUNKS;
  }

  #throwIfUnusable(): void {
    this.#throwIfFailed();
    if (this.#closed) throw new CloudcaseError('writer_closed', 'the event writer is closed');
    if (this.#broken) throw storeFailed(undefined);
  }

  async drain(): Promise<void> {
    await this.#commits;
    this.#throwIfFailed();
  }

  flush(): Promise<void> {
    return this.#serial(() => this.#commit(true));
  }

  async close(): Promise<void> {
    if (this.#closed) return;

    try {
      await this.#rollback;
      await this.#serial(() => this.#commit(false));
    } finally {
      this.#closed = true;
      this.#connection.closeSync();
    }
  }

  // Appends what is queued and commits the transaction; `reopen` starts the next one.
  async #commit(reopen: boolean): Promise<void> {
    this.#throwIfFailed();
    if (this.#closed || this.#broken) return;

    try {
      this.#appendChunk();
      this.#appender?.closeSync();
      this.#appender = null;
      this.#unflushed = 0;
      await this.#connection.run('COMMIT');
      if (!reopen) return;
      this.#appender = await openTransaction(this.#connection);
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const columns of waiting) this.#appendColumns(columns);
    } catch (error) {
      await this.#abort();
      throw storeFailed(error);
    }
  }

  // Appends the queued rows as one data chunk, or sets them aside while a commit runs.
  #appendChunk(): void {
    if (this.#rows === 0) return;

    const columns = this.#columns;
    this.#columns = emptyColumns();
    this.#rows = 0;
    if (this.#appender === null) this.#waiting.push(columns);
    else this.#appendColumns(columns);
  }

  #appendColumns(columns: DuckDBValue[][]): void {
    const rows = columns[0]!.length;
    const chunk = DuckDBDataChunk.create(this.#types, rows);
    for (let index = 0; index < columns.length; index++) {
      chunk.setColumnValues(index, columns[index]!);
    }
    this.#unflushed += rows;
    this.#appender!.appendDataChunk(chunk);
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
