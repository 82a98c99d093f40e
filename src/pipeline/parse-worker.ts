/**
 * The parser thread: parses, normalizes and matches the records of the streams that the ingest
 * loop sends it, one stream at a time, and posts back the rows to store, the rejected records
 * and the rule matches. Running this work beside the main thread, which stores the rows in
 * DuckDB, lets an ingest use two cores. Correlation occurrences go from here to a spill file
 * (`CorrelationSpill`), which is evaluated when the `finish` message comes, and that returns
 * the hits.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { CloudcaseError } from '../core/errors.ts';
import type { EvidenceRef } from '../core/event.ts';
import { type LoadResult, loadRules, RuleSet, storedExplanation } from '../detect/sigma/index.ts';
import { CorrelationSpill } from '../detect/sigma-sql/correlation-spill.ts';
import type { EventMatch } from '../detect/types.ts';
import { FORMATS } from '../sources/index.ts';
import { implausibleTime } from '../sources/plausible-time.ts';
import {
  isNormalizeError,
  type NormalizeError,
  type RecordRejected,
  type SourceFormat,
} from '../sources/types.ts';
import { type EventRowValues, eventRowValues } from '../store/index.ts';
import type {
  FromParser,
  ParserInit,
  RuleLoad,
  StreamErrorData,
  ToParser,
} from './parse-messages.ts';
import type { RejectedRecord, RuleProblem } from './types.ts';

type StreamStart = Extract<ToParser, { type: 'start' }>;

/** One stream being parsed: its input queue and the results not yet posted. */
class StreamJob {
  readonly start: StreamStart;
  readonly #queue: Buffer[] = [];
  #ended = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #consumed = 0;
  read = 0;
  stored = 0;
  rejectedCount = 0;
  error: { code: string; reason: string } | null = null;
  rows: EventRowValues[] = [];
  rejected: RejectedRecord[] = [];
  matches: EventMatch[] = [];

  constructor(start: StreamStart) {
    this.start = start;
  }

  push(bytes: Buffer): void {
    this.#queue.push(bytes);
    this.#notify();
  }

  end(error: unknown = null): void {
    this.#ended = true;
    this.#error = error;
    this.#notify();
  }

  /**
   * Yields the queued input. Before waiting for more, it posts what the chunks taken so far
   * produced, so the ingest loop can store it and send further input. An input error is raised
   * only after every chunk before it, as the original stream would.
   */
  async *chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      this.post();
      while (this.#queue.length === 0 && !this.#ended) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
      const next = this.#queue.shift();
      if (next !== undefined) {
        this.#consumed++;
        yield next;
        continue;
      }
      if (this.#error !== null) throw this.#error;
      return;
    }
  }

  post(): void {
    if (this.#consumed === 0 && this.rows.length === 0 && this.rejected.length === 0) return;

    send({
      type: 'batch',
      consumed: this.#consumed,
      read: this.read,
      rows: this.rows,
      rejected: this.rejected,
      matches: this.matches,
    });
    this.#consumed = 0;
    this.read = 0;
    this.rows = [];
    this.rejected = [];
    this.matches = [];
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

const port = parentPort;
if (port === null) throw new Error('parse-worker.ts runs only as a worker thread');

function send(message: FromParser): void {
  port!.postMessage(message);
}

const { ruleRoots, context, placeholders, spillFolder } = workerData as ParserInit;
const loadedRules = await loadRules(ruleRoots);
const correlates = loadedRules.rules.some((rule) => rule.kind === 'correlation');
const spill =
  spillFolder !== null && correlates ? await CorrelationSpill.create(spillFolder) : null;
const rules = new RuleSet(loadedRules.rules, {
  placeholders,
  ...(spill !== null ? { occurrences: spill } : {}),
});
let job: StreamJob | null = null;

port.on('message', (message: ToParser) => {
  switch (message.type) {
    case 'start':
      job = new StreamJob(message);
      void parseStream(job).catch((error: unknown) => crash('parse', error));
      return;
    case 'bytes':
      job?.push(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.length));
      return;
    case 'fail':
      job?.end(streamError(message.error));
      return;
    case 'end':
      job?.end();
      return;
    case 'finish':
      void finishRun().catch((error: unknown) => crash('correlations', error));
      return;
  }
});
send({ type: 'ready', rules: ruleLoad(loadedRules, rules) });

/** Evaluates the run's correlations and sends their hits. */
async function finishRun(): Promise<void> {
  const hits = spill === null ? rules.finish() : await spill.evaluate(rules.correlationPlan());
  // Measured before the spill closes, while the evaluation's memory is still held.
  const heapBytes = process.memoryUsage().heapUsed;
  await spill?.close();
  send({ type: 'hits', hits, heapBytes });
}

function crash(during: 'parse' | 'correlations', error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  send({ type: 'crashed', during, message });
}

async function parseStream(current: StreamJob): Promise<void> {
  const { start } = current;
  const format = FORMATS.find((candidate) => candidate.id === start.formatId);
  if (format === undefined) throw new Error(`unknown format ${start.formatId}`);

  const input = Readable.from(current.chunks(), { objectMode: false, highWaterMark: 0 });
  const filePath = start.member ?? start.path;
  const fileName = path.basename(filePath);
  for await (const result of format.records(input, { ...context, fileName, filePath })) {
    current.read++;
    if (result.kind === 'rejected') {
      addRejected(current, result);
      continue;
    }
    parseRecord(current, format, result.value, result.text, result);
  }

  current.post();
  send({
    type: 'done',
    read: current.stored + current.rejectedCount,
    stored: current.stored,
    rejected: current.rejectedCount,
    error: current.error,
  });
}

function parseRecord(
  current: StreamJob,
  format: SourceFormat,
  value: unknown,
  text: string | undefined,
  location: { index: number; offset: number; line: number },
): void {
  const { start } = current;
  const ref: EvidenceRef = {
    sha256: start.sha256,
    member: start.member,
    record: location.index,
    offset: location.offset,
  };
  const event = format.normalize(value, ref);
  if (isNormalizeError(event)) {
    rejectRecord(current, location, value, event);
    return;
  }
  const implausible = implausibleTime(event.time);
  if (implausible !== null) {
    rejectRecord(current, location, value, implausible);
    return;
  }

  current.stored++;
  // The record's own text is stored when the event keeps the record itself as `raw`.
  current.rows.push(eventRowValues(event, event.raw === value ? text : undefined));
  for (const match of rules.match(event)) {
    const explanation = storedExplanation(rules.explain(match.rule_id, event));
    current.matches.push({ ...match, explanation });
  }
}

function rejectRecord(
  current: StreamJob,
  location: { index: number; offset: number; line: number },
  value: unknown,
  problem: NormalizeError,
): void {
  // Only the location: the record read also carries the value and its text, which can be
  // megabytes and must not travel to the store with the rejection.
  const { index, offset, line } = location;
  const rejected = { kind: 'rejected' as const, index, offset, line, ...problem };
  addRejected(current, { ...rejected, sample: sampleOf(value) });
}

function addRejected(current: StreamJob, record: RecordRejected): void {
  current.rejectedCount++;
  if (record.code === 'evidence_modified') {
    current.error = { code: record.code, reason: record.reason };
  }
  const { index, offset, line, code, reason, sample } = record;
  const { path, sha256, member } = current.start;
  current.rejected.push({ index, offset, line, code, reason, sample, path, sha256, member });
}

/** Rebuilds a stream error so that `streamErrorCode` and the scanner map it as before. */
function streamError(data: StreamErrorData): Error {
  if (data.cloudcase) return new CloudcaseError(data.code ?? 'read_failed', data.message);

  return Object.assign(new Error(data.message), { code: data.code ?? undefined });
}

/** The first characters of a parsed record, for the analyst's list of rejections. */
function sampleOf(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.slice(0, 200);
}

/** The summary of the rule load that the main thread records and reports. */
function ruleLoad(loaded: LoadResult, ruleSet: RuleSet): RuleLoad {
  const problems: RuleProblem[] = [];
  // Loading reports what could not be read; the rule set what could not be compiled, routed or
  // resolved, such as a second rule with an id already taken.
  for (const { file, line, code, severity, message } of [...loaded.issues, ...ruleSet.issues]) {
    if (severity === 'error') problems.push({ file, line, code, severity, message });
  }
  const meta = ruleSet.meta();
  return { meta, loaded: meta.length, problems };
}
