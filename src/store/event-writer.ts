import type { DuckDBConnection } from '@duckdb/node-api';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { Event } from '../core/event.ts';
import { EVENT_LINE_SELECT, EVENT_LINE_STRUCTURE, eventLine, rawText } from './event-row.ts';

/** Streams events into the `events` table in batches. */
export interface EventWriter {
  /**
   * Queues one event; a full batch is written in the background. Returns `false` when the
   * next batch is full while the previous one is still being written: the caller should then
   * await `drain()` before appending more, so memory stays bounded.
   */
  append(event: Event): boolean;
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
export const DEFAULT_BATCH_SIZE = 20_000;

const STAGE = 'event_stage';

// The structure is a constant built from the column table, never from log content.
const MERGE_SQL = `INSERT INTO events SELECT ${EVENT_LINE_SELECT}
FROM (SELECT json_transform(line, '${EVENT_LINE_STRUCTURE}') AS r, raw FROM temp.${STAGE})`;

/**
 * The DuckDB-backed writer. Events are staged as JSON lines, with their raw record as a second
 * column, in a connection-local temporary table through an appender, then moved into `events`
 * by one INSERT per batch, which DuckDB runs on its own threads while the caller keeps
 * appending to the next batch.
 */
export class DuckDbEventWriter implements EventWriter {
  readonly #connection: DuckDBConnection;
  readonly #batchSize: number;
  #queue: string[] = [];
  #raws: string[] = [];
  #merging: Promise<void> | null = null;
  #failure: unknown = null;
  #closed = false;

  private constructor(connection: DuckDBConnection, batchSize: number) {
    this.#connection = connection;
    this.#batchSize = batchSize;
  }

  /** Creates a writer on its own connection, so its temporary stage table is private. */
  static async create(connection: DuckDBConnection, batchSize = DEFAULT_BATCH_SIZE) {
    await connection.run(`CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (line VARCHAR, raw VARCHAR)`);

    return new DuckDbEventWriter(connection, batchSize);
  }

  append(event: Event): boolean {
    this.#throwIfFailed();
    if (this.#closed) throw new CloudcaseError('writer_closed', 'the event writer is closed');

    this.#queue.push(eventLine(event));
    this.#raws.push(rawText(event));
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
    this.#merging = this.#merge(lines, raws)
      .catch((error: unknown) => {
        this.#failure = error;
      })
      .finally(() => {
        this.#merging = null;
      });
  }

  async #merge(lines: string[], raws: string[]): Promise<void> {
    const appender = await this.#connection.createAppender(STAGE, 'main', 'temp');
    for (let i = 0; i < lines.length; i++) {
      appender.appendVarchar(lines[i]!);
      appender.appendVarchar(raws[i]!);
      appender.endRow();
    }
    appender.closeSync();

    await this.#connection.run(MERGE_SQL);
    await this.#connection.run(`DELETE FROM temp.${STAGE}`);
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
