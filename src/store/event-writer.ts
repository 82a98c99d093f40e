import type { DuckDBConnection } from '@duckdb/node-api';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { Event } from '../core/event.ts';
import { EVENT_LINE_SELECT, EVENT_LINE_STRUCTURE, eventLine } from './event-row.ts';

/** Streams events into the `events` table in batches. */
export interface EventWriter {
  /** Queues one event; a full batch is written in the background. */
  append(event: Event): void;
  /** Writes every queued event and waits until they are stored. */
  flush(): Promise<void>;
  /** Flushes, then releases the writer's connection. */
  close(): Promise<void>;
}

/** Events per batch; large enough that the per-statement overhead of a merge is negligible. */
export const DEFAULT_BATCH_SIZE = 50_000;

const STAGE = 'event_stage';

// The structure is a constant built from the column table, never from log content.
const MERGE_SQL = `INSERT OR IGNORE INTO events SELECT ${EVENT_LINE_SELECT}
FROM (SELECT json_transform(line, '${EVENT_LINE_STRUCTURE}') AS r FROM temp.${STAGE})`;

/**
 * The DuckDB-backed writer. Events are staged as JSON lines in a connection-local temporary
 * table through an appender, then moved into `events` by one INSERT OR IGNORE per batch, which
 * DuckDB runs on its own threads while the caller keeps appending to the next batch.
 */
export class DuckDbEventWriter implements EventWriter {
  readonly #connection: DuckDBConnection;
  readonly #batchSize: number;
  #queue: string[] = [];
  #merging: Promise<void> | null = null;
  #failure: unknown = null;
  #closed = false;

  private constructor(connection: DuckDBConnection, batchSize: number) {
    this.#connection = connection;
    this.#batchSize = batchSize;
  }

  /** Creates a writer on its own connection, so its temporary stage table is private. */
  static async create(connection: DuckDBConnection, batchSize = DEFAULT_BATCH_SIZE) {
    await connection.run(`CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (line VARCHAR)`);

    return new DuckDbEventWriter(connection, batchSize);
  }

  append(event: Event): void {
    this.#throwIfFailed();
    if (this.#closed) throw new CloudcaseError('writer_closed', 'the event writer is closed');

    this.#queue.push(eventLine(event));
    if (this.#queue.length >= this.#batchSize && this.#merging === null) this.#startMerge();
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
    this.#queue = [];
    this.#merging = this.#merge(lines)
      .catch((error: unknown) => {
        this.#failure = error;
      })
      .finally(() => {
        this.#merging = null;
      });
  }

  async #merge(lines: string[]): Promise<void> {
    const appender = await this.#connection.createAppender(STAGE, 'main', 'temp');
    for (const line of lines) {
      appender.appendVarchar(line);
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
