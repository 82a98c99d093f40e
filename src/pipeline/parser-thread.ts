import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { CloudcaseError, causeLine, EXIT } from '../core/errors.ts';
import type { CorrelationHit } from '../detect/types.ts';
import type { RecordContext } from '../sources/local-time.ts';
import type {
  FromParser,
  ParsedBatch,
  ParserInit,
  RuleLoad,
  StreamErrorData,
  ToParser,
} from './parse-messages.ts';
import type { StreamSummary } from './types.ts';

/** Decompressed bytes sent to the parser thread in one message, at least (except the last). */
const MESSAGE_BYTES = 256 * 1024;
/**
 * Messages of input that may be in flight or waiting to be stored. This bounds the memory of a
 * stream's parse to a few megabytes of input and the rows it produced, whatever the input size.
 */
const IN_FLIGHT = 4;

// A bootstrap in plain JavaScript loads the worker's TypeScript through tsx's `tsImport`, so the
// worker does not depend on the main thread's loader reaching worker threads.
const BOOTSTRAP = new URL('./parse-worker.mjs', import.meta.url);

/** Destination of the parsed results of one stream, in input order. */
export interface ParsedSink {
  /** Stores one batch; the next batch is handed over only after this resolves. */
  onBatch(batch: ParsedBatch): Promise<void>;
}

type Done = Extract<FromParser, { type: 'done' }>;

/**
 * The main thread's side of the parser thread (`parse-worker.ts`): sends it the bytes of one
 * stream at a time and hands its batches, in order, to a sink. Input is sent only while fewer
 * than `IN_FLIGHT` messages of it are unstored, so a slow store slows the parser down.
 */
export class ParserThread {
  readonly #worker: Worker;
  #inbox: FromParser[] = [];
  #wake: (() => void) | null = null;
  #failure: Error | null = null;
  /** The rules the thread loaded and matches with; set once it is ready. */
  rules: RuleLoad = { meta: [], loaded: 0, problems: [] };

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: FromParser) => this.#receive(message));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`it exited with code ${code}`), null, true));
  }

  /**
   * Starts the thread, which loads the rules of `ruleRoots`, and waits until it is ready. The
   * thread spills correlation occurrences to `spillFolder`, an empty folder that the caller
   * removes after `close`; without one, it keeps them in memory.
   */
  static async start(
    ruleRoots: string[],
    context: RecordContext,
    placeholders: Record<string, string[]> = {},
    spillFolder: string | null = null,
  ): Promise<ParserThread> {
    const init: ParserInit = { ruleRoots, context, placeholders, spillFolder };
    const thread = new ParserThread(new Worker(BOOTSTRAP, { workerData: init }));
    const ready = await thread.#next('ready');
    thread.rules = ready.rules;

    return thread;
  }

  /**
   * Parses one stream of format `formatId`, handing every batch to `sink`. Returns the stream's
   * counts and the error that ended it, if any.
   */
  async parse(
    formatId: string,
    stream: Readable,
    input: { path: string; sha256: string; member: string | null },
    sink: ParsedSink,
  ): Promise<Pick<StreamSummary, 'read' | 'stored' | 'rejected' | 'error'>> {
    this.#send({ type: 'start', formatId, ...input });
    const credit = new Credit(IN_FLIGHT);
    const pumping = this.#pump(stream, credit);
    let done: Done | null = null;
    try {
      while (done === null) {
        const message = await this.#next('batch', 'done');
        if (message.type === 'done') {
          done = message;
          continue;
        }
        await sink.onBatch(message);
        credit.release(message.consumed);
      }
    } finally {
      credit.close();
      await pumping;
    }

    return { read: done.read, stored: done.stored, rejected: done.rejected, error: done.error };
  }

  /**
   * Ends the run's matching and returns its correlation hits, with the thread's heap size in
   * bytes after evaluating them.
   */
  async finish(): Promise<{ hits: CorrelationHit[]; heapBytes: number }> {
    this.#send({ type: 'finish' });
    const message = await this.#next('hits');

    return { hits: message.hits, heapBytes: message.heapBytes };
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }

  // Sends the stream's bytes in messages of about MESSAGE_BYTES, then `end`, or `fail` with the
  // stream's error after the bytes before it.
  async #pump(stream: Readable, credit: Credit): Promise<void> {
    let parts: Buffer[] = [];
    let size = 0;
    const sendParts = async () => {
      if (size === 0) return;
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      parts = [];
      size = 0;
      if (!(await credit.take())) return;
      this.#send({ type: 'bytes', bytes });
    };

    try {
      for await (const chunk of stream) {
        if (credit.closed) break;
        const buffer = chunk as Buffer;
        parts.push(buffer);
        size += buffer.length;
        if (size >= MESSAGE_BYTES) await sendParts();
      }
      await sendParts();
      if (!credit.closed) this.#send({ type: 'end' });
    } catch (error) {
      await sendParts();
      if (!credit.closed) this.#send({ type: 'fail', error: errorData(error) });
    } finally {
      if (credit.closed) stream.destroy();
    }
  }

  #send(message: ToParser): void {
    if (this.#failure !== null) throw this.#failure;
    this.#worker.postMessage(message);
  }

  async #next<T extends FromParser['type']>(
    ...types: T[]
  ): Promise<Extract<FromParser, { type: T }>> {
    for (;;) {
      const message = this.#inbox.shift();
      if (message !== undefined) {
        if (message.type === 'crashed')
          this.#fail(new Error(message.message), message.during, false);
        else if ((types as string[]).includes(message.type)) {
          return message as Extract<FromParser, { type: T }>;
        }
        continue;
      }
      if (this.#failure !== null) throw this.#failure;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #receive(message: FromParser): void {
    this.#inbox.push(message);
    this.#notify();
  }

  #fail(cause: unknown, during: FailedStep | null = null, showCause = false): void {
    if (this.#failure !== null) return;
    const message = failureMessage(cause, during, showCause);
    this.#failure = new CloudcaseError('parser_failed', message, EXIT.internal, { cause });
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

/** A counting semaphore of input messages; `close` releases every waiter with `false`. */
class Credit {
  #available: number;
  #waiter: ((granted: boolean) => void) | null = null;
  closed = false;

  constructor(size: number) {
    this.#available = size;
  }

  take(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.#available > 0) {
      this.#available--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  release(count: number): void {
    this.#available += count;
    const waiter = this.#waiter;
    if (waiter !== null && this.#available > 0) {
      this.#waiter = null;
      this.#available--;
      waiter(true);
    }
  }

  close(): void {
    this.closed = true;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.(false);
  }
}

type FailedStep = 'parse' | 'correlations';

const STEP_TEXT: Record<FailedStep, string> = {
  parse: ' while parsing a stream',
  correlations: ' while evaluating correlations',
};

/**
 * Builds the message of a parser thread failure from the step that failed and its cause. The
 * cause is shown when `showCause` is set or when it is an out-of-memory error, whose message
 * names only sizes (DuckDB's `Out of Memory Error: could not allocate block …`). Other messages
 * may quote a record, so the message refers to the `-v` log instead.
 */
export function failureMessage(
  cause: unknown,
  during: FailedStep | null,
  showCause = false,
): string {
  const line = causeLine(cause);
  let reason = '';
  if (showCause || /out of memory/i.test(line)) reason = `: ${line}`;
  else if (line !== '') reason = ' (run with -v to log the cause)';

  return (
    `the parser thread failed${during === null ? '' : STEP_TEXT[during]}${reason}; ` +
    'the ingest stays partial and the next run resumes it'
  );
}

// Only a CloudcaseError's message is kept: other errors may quote the input.
function errorData(error: unknown): StreamErrorData {
  const code = (error as { code?: unknown } | null)?.code;
  const cloudcase = error instanceof CloudcaseError;

  return {
    cloudcase,
    code: typeof code === 'string' ? code : null,
    message: cloudcase ? error.message : '',
  };
}
