import type { EventMatch } from '../detect/types.ts';
import type { CaseDb, CompletedStream, EventWriter } from '../store/index.ts';
import type { RejectedRecord, RunSummary } from './types.ts';

/** Rejected records kept in the run summary; the case database keeps all of them. */
const SUMMARY_REJECTED_CAP = 1_000;
/** Matches and rejected records are inserted in batches of this many. */
const ROW_BATCH = 5_000;
/**
 * Finished streams waiting to be marked complete that make the sink commit the events written
 * so far, for folders of many small files, whose events take long to fill a row group.
 */
const DURABLE_EVERY_STREAMS = 2_000;

/** A finished stream, with the writer's row count once its events were appended. */
interface FinishedStream {
  stream: CompletedStream;
  rowsEnd: number;
}

/**
 * Buffers what the streams of a run produce and writes it to the case database in batches.
 * A finished stream is marked complete only after its events are committed (the writer commits
 * by itself for each row group of events) and its matches and rejected records are flushed.
 * An interrupted run therefore re-reads it, and the inserts ignore rows already stored, so
 * re-reading adds no duplicates. Batching keeps the cost of a small file (one of thousands in a
 * CloudTrail delivery folder) far below one database commit.
 */
export class CaseSink {
  readonly writer: EventWriter;
  readonly #db: CaseDb;
  readonly #run: RunSummary;
  #matches: EventMatch[] = [];
  #rejected: RejectedRecord[] = [];
  #finished: FinishedStream[] = [];
  // Marking streams complete runs after each commit, one at a time, while ingest goes on.
  #marking: Promise<void> = Promise.resolve();
  #forcing = false;
  #failure: unknown = null;

  constructor(db: CaseDb, writer: EventWriter, run: RunSummary) {
    this.#db = db;
    this.writer = writer;
    this.#run = run;
    writer.onCommit((committedRows) => this.#markCommitted(committedRows));
  }

  async addMatches(matches: readonly EventMatch[]): Promise<void> {
    this.#run.detections.events_matched += matches.length;
    for (const match of matches) this.#matches.push(match);
    if (this.#matches.length >= ROW_BATCH) await this.#flushMatches();
  }

  async addRejected(record: RejectedRecord): Promise<void> {
    if (this.#run.rejected.length < SUMMARY_REJECTED_CAP) this.#run.rejected.push(record);
    this.#rejected.push(record);
    if (this.#rejected.length >= ROW_BATCH) await this.#flushRejected();
  }

  /**
   * Queues a finished stream, to be marked complete after the commit that stores its last
   * event. Past `DURABLE_EVERY_STREAMS` waiting streams, it starts a commit in the background;
   * a failure of background work is raised by the next call.
   */
  async complete(stream: CompletedStream): Promise<void> {
    this.#throwIfFailed();
    this.#finished.push({ stream, rowsEnd: this.writer.appendedRows });
    if (this.#finished.length < DURABLE_EVERY_STREAMS || this.#forcing) return;

    this.#forcing = true;
    this.writer
      .flush()
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#forcing = false;
      });
  }

  /** Commits everything buffered, then marks every finished stream complete. */
  async durable(): Promise<void> {
    await this.writer.flush();
    await this.#marking;
    await this.#flushMatches();
    await this.#flushRejected();
    this.#throwIfFailed();
  }

  /** Waits until the commits started so far, and the marking of streams after them, are done. */
  async settled(): Promise<void> {
    await this.writer.drain();
    await this.#marking;
    this.#throwIfFailed();
  }

  // Streams finish in order of their last event, so the ones ready form a prefix of the queue.
  #markCommitted(committedRows: number): void {
    this.#marking = this.#marking
      .then(async () => {
        const ready = this.#finished.findIndex((finished) => finished.rowsEnd > committedRows);
        const count = ready === -1 ? this.#finished.length : ready;
        if (count === 0) return;

        const streams = this.#finished.splice(0, count).map((finished) => finished.stream);
        await this.#flushMatches();
        await this.#flushRejected();
        await this.#db.completeIngests(streams);
      })
      .catch((error: unknown) => {
        this.#failure ??= error;
      });
  }

  #throwIfFailed(): void {
    if (this.#failure === null) return;
    const failure = this.#failure;
    this.#failure = null;
    throw failure;
  }

  async #flushMatches(): Promise<void> {
    if (this.#matches.length === 0) return;
    const batch = this.#matches;
    this.#matches = [];
    await this.#db.insertMatches(batch);
  }

  async #flushRejected(): Promise<void> {
    if (this.#rejected.length === 0) return;
    const batch = this.#rejected;
    this.#rejected = [];
    await this.#db.insertRejected(batch);
  }
}
