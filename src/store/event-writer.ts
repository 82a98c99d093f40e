import type { DuckDBConnection } from '@duckdb/node-api';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { Event } from '../core/event.ts';
import { EVENT_LINE_SELECT, EVENT_LINE_STRUCTURE, eventLine, rawText } from './event-row.ts';

/** Streams events into the `events` table in batches. */
export interface EventWriter {
  /**
   * Queues one event; a full batch is written in the background. Returns `false` when the
   * next batch is full while the previous one is still being written: the caller should then
   * await `drain()` before appending more, so memory stays bounded. `rawJson`, when given, is
   * the original JSON text of `event.raw`, stored verbatim instead of serializing `raw` again.
   */
  append(event: Event, rawJson?: string): boolean;
  /** Waits until the batch being written is stored. */
  drain(): Promise<void>;
  /** Writes every queued event and waits until they are stored. */
  flush(): Promise<void>;
  /** Flushes, then releases the writer's connection. */
  close(): Promise<void>;
}

/**
 * Events per batch: large enough that the per-statement overhead of a merge is negligible,
 * small enough that two batches (one queued, one being merged) stay well under 100 MB.
 */
export const DEFAULT_BATCH_SIZE = 5_000;

/**
 * Staged rows that trigger a merge into `events`. DuckDB writes an insert of at least one row
 * group (122,880 rows) straight to the database file; smaller inserts also go through the
 * write-ahead log and were about three times slower here. The stage lives in DuckDB's buffer
 * pool, which spills to disk past the memory limit, so the JavaScript heap holds one batch.
 */
const MERGE_ROWS = 122_880;

const STAGE = 'event_stage';

// The structure is a constant built from the column table, never from log content.
const MERGE_SQL = `INSERT INTO events SELECT ${EVENT_LINE_SELECT}
FROM (SELECT json_transform(line, '${EVENT_LINE_STRUCTURE}') AS r, raw_json FROM temp.${STAGE})`;

/**
 * The DuckDB-backed writer. Batches of events are appended to a connection-local temporary
 * table as JSON lines, with each raw record in a second column. Once a row group has been
 * staged, one INSERT moves it into `events`, and the caller waits for that merge at `drain`.
 */
export class DuckDbEventWriter implements EventWriter {
  readonly #connection: DuckDBConnection;
  readonly #batchSize: number;
  #queue: string[] = [];
  #raws: string[] = [];
  #merging: Promise<void> | null = null;
  #staged = 0;
  #failure: unknown = null;
  #closed = false;

  private constructor(connection: DuckDBConnection, batchSize: number) {
    this.#connection = connection;
    this.#batchSize = batchSize;
  }

  /** Creates a writer on its own connection, so its temporary stage table is private. */
  static async create(connection: DuckDBConnection, batchSize = DEFAULT_BATCH_SIZE) {
    await connection.run(
      `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (line VARCHAR, raw_json VARCHAR)`,
    );

    return new DuckDbEventWriter(connection, batchSize);
  }

  append(event: Event, rawJson?: string): boolean {
    this.#throwIfFailed();
    if (this.#closed) throw new CloudcaseError('writer_closed', 'the event writer is closed');

    this.#queue.push(eventLine(event));
    // DuckDB rejects the `\udXXX` escape of a lone surrogate, which `rawText` replaces.
    const verbatim = rawJson !== undefined && !rawJson.includes('\\ud');
    this.#raws.push(verbatim ? rawJson : rawText(event));
    if (this.#queue.length < this.#batchSize) return true;
    if (this.#merging === null) {
      this.#startMerge();
      return true;
    }
    return false;
  }

  async drain(): Promise<void> {
    await this.#merging;
    this.#throwIfFailed();
  }

  async flush(): Promise<void> {
    while (this.#merging !== null || this.#queue.length > 0) {
      if (this.#merging === null) this.#startMerge();
      await this.#merging;
    }
    this.#throwIfFailed();
    if (this.#staged > 0) await this.#mergeStage();
  }

  async close(): Promise<void> {
    if (this.#closed) return;

    try {
      await this.flush();
    } finally {
      this.#closed = true;
      this.#connection.closeSync();
    }
  }

  #startMerge(): void {
    const lines = this.#queue;
    const raws = this.#raws;
    this.#queue = [];
    this.#raws = [];
    this.#merging = this.#stage(lines, raws)
      .catch((error: unknown) => {
        this.#failure = error;
      })
      .finally(() => {
        this.#merging = null;
      });
  }

  async #stage(lines: string[], raws: string[]): Promise<void> {
    const appender = await this.#connection.createAppender(STAGE, 'main', 'temp');
    for (let i = 0; i < lines.length; i++) {
      appender.appendVarchar(lines[i]!);
      appender.appendVarchar(raws[i]!);
      appender.endRow();
    }
    appender.closeSync();
    this.#staged += lines.length;

    if (this.#staged >= MERGE_ROWS) await this.#mergeStage();
  }

  async #mergeStage(): Promise<void> {
    this.#staged = 0;
    try {
      await this.#connection.run(MERGE_SQL);
    } finally {
      await this.#connection.run(`DELETE FROM temp.${STAGE}`);
    }
  }

  // DuckDB's message for a malformed line quotes the line, which is log content, so only the
  // cause keeps it.
  #throwIfFailed(): void {
    if (this.#failure === null) return;

    const cause = this.#failure;
    this.#failure = null;
    throw new CloudcaseError(
      'store_write_failed',
      'storing a batch of events in case.duckdb failed; the ingest stays partial and the next run resumes it',
      EXIT.internal,
      { cause },
    );
  }
}
