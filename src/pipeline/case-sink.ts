import type { EventMatch } from '../detect/types.ts';
import type { CaseDb, CompletedStream, EventWriter } from '../store/index.ts';
import type { RejectedRecord, RunSummary } from './types.ts';

/** Rejected records kept in the run summary; the case database keeps all of them. */
const SUMMARY_REJECTED_CAP = 1_000;
/** Matches and rejected records are inserted in batches of this many. */
const ROW_BATCH = 5_000;
/**
 * Records stored since the last durable point that trigger the next one: one DuckDB row group
 * (122,880 rows). A commit of at least a row group writes its rows straight to the database
 * file; a smaller one also writes them to the write-ahead log, which doubled the cost of a
 * commit when measured with `npm run bench`.
 */
const DURABLE_EVERY_RECORDS = 122_880;
/** Finished streams waiting to be marked complete that trigger the next durable point. */
const DURABLE_EVERY_STREAMS = 2_000;

/**
 * Buffers what the streams of a run produce and writes it to the case database in batches.
 * Streams are marked complete only at a durable point, after their events, matches and
 * rejected records are flushed, so an interrupted run re-reads them; the inserts ignore rows
 * already stored, so re-reading adds no duplicates. Batching keeps the cost of a small file
 * (one of thousands in a CloudTrail delivery folder) far below one database commit.
 */
export class CaseSink {
  readonly writer: EventWriter;
  readonly #db: CaseDb;
  readonly #run: RunSummary;
  #matches: EventMatch[] = [];
  #rejected: RejectedRecord[] = [];
  #completed: CompletedStream[] = [];
  #recordsSinceDurable = 0;
  // The durable point that `complete` started and that runs while ingest goes on.
  #background: Promise<void> | null = null;
  #backgroundFailure: unknown = null;

  constructor(db: CaseDb, writer: EventWriter, run: RunSummary) {
    this.#db = db;
    this.writer = writer;
    this.#run = run;
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
   * Queues a finished stream. When enough work is pending, starts a durable point that runs
   * while the next streams are read, because a commit takes seconds; its failure is raised by
   * the next call.
   */
  async complete(stream: CompletedStream): Promise<void> {
    this.#throwIfBackgroundFailed();
    this.#completed.push(stream);
    this.#recordsSinceDurable += stream.counts.read;
    const due =
      this.#recordsSinceDurable >= DURABLE_EVERY_RECORDS ||
      this.#completed.length >= DURABLE_EVERY_STREAMS;
    if (!due || this.#background !== null) return;

    this.#background = this.#durablePoint()
      .catch((error: unknown) => {
        this.#backgroundFailure = error;
      })
      .finally(() => {
        this.#background = null;
      });
  }

  /** Flushes everything buffered, then marks the finished streams complete. */
  async durable(): Promise<void> {
    await this.#background;
    this.#throwIfBackgroundFailed();
    await this.#durablePoint();
  }

  // Marks complete only the streams finished before it started, once their rows are committed.
  // Rows of later streams that the flushes also store are deleted if their stream is re-read.
  async #durablePoint(): Promise<void> {
    const completed = this.#completed;
    this.#completed = [];
    this.#recordsSinceDurable = 0;
    await this.#flushMatches();
    await this.#flushRejected();
    await this.writer.flush();
    await this.#db.completeIngests(completed);
  }

  #throwIfBackgroundFailed(): void {
    if (this.#backgroundFailure === null) return;
    const failure = this.#backgroundFailure;
    this.#backgroundFailure = null;
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
