import type { Readable } from 'node:stream';
import { CloudcaseError } from '../core/errors.ts';
import type { Event, EvidenceRef } from '../core/event.ts';
import type { RuleSet } from '../detect/sigma/index.ts';
import type { EventMatch } from '../detect/types.ts';
import { detectFormat, FORMATS } from '../sources/index.ts';
import { streamErrorCode } from '../sources/json-records.ts';
import { isNormalizeError, type RecordRejected, type SourceFormat } from '../sources/types.ts';
import type { EventWriter } from '../store/index.ts';
import { peekStream } from './peek.ts';
import type { RejectedRecord, StreamSummary } from './types.ts';

/** Bytes given to each format's sniff to recognise a stream. */
const SNIFF_BYTES = 64 * 1024;
/** Matches are written in batches of this many to keep inserts cheap. */
const MATCH_BATCH = 5_000;

/** Destinations of a stream's events, matches and rejections. */
export interface StreamSinks {
  writer: EventWriter;
  rules: RuleSet;
  onMatches(matches: EventMatch[]): Promise<void>;
  onRejected(record: RejectedRecord): Promise<void>;
  onRecord(): void;
}

/** One decompressed log stream of an evidence item, with where it came from. */
export interface StreamInput {
  path: string;
  sha256: string;
  member: string | null;
  stream: Readable;
}

/**
 * Recognises the format of one log stream, parses it record by record, normalizes, matches and
 * stores each event. A stream whose format is not recognised counts as one rejected record, so
 * that records read always equal stored plus rejected and nothing is dropped without a trace.
 */
export async function ingestStream(input: StreamInput, sinks: StreamSinks): Promise<StreamSummary> {
  const summary: StreamSummary = {
    path: input.path,
    sha256: input.sha256,
    member: input.member,
    format: null,
    read: 0,
    stored: 0,
    rejected: 0,
    error: null,
  };
  const { head, stream, error } = await peekStream(input.stream, SNIFF_BYTES);
  if (head.length === 0) {
    stream.destroy();
    if (error !== null) await rejectWholeStream(input, summary, sinks, streamFailure(error));
    return summary;
  }

  const format = detectFormat(head, input.member ?? input.path);
  if (!format) {
    stream.destroy();
    const reason = `format not recognised; supported formats: ${FORMATS.map((f) => f.id).join(', ')}`;
    await rejectWholeStream(input, summary, sinks, { code: 'unknown_format', reason }, head);
    return summary;
  }

  summary.format = format.id;
  await parseRecords(format, stream, input, summary, sinks);

  return summary;
}

async function parseRecords(
  format: SourceFormat,
  stream: Readable,
  input: StreamInput,
  summary: StreamSummary,
  sinks: StreamSinks,
): Promise<void> {
  let pending: EventMatch[] = [];

  for await (const result of format.records(stream)) {
    summary.read++;
    sinks.onRecord();
    if (result.kind === 'rejected') {
      summary.rejected++;
      if (result.code === 'evidence_modified') {
        summary.error = { code: result.code, reason: result.reason };
      }
      await sinks.onRejected(rejectedRow(input, result));
      continue;
    }

    const ref: EvidenceRef = {
      sha256: input.sha256,
      member: input.member,
      record: result.index,
      offset: result.offset,
    };
    const event = format.normalize(result.value, ref);
    if (isNormalizeError(event)) {
      summary.rejected++;
      await sinks.onRejected(
        rejectedRow(input, {
          ...result,
          kind: 'rejected',
          ...event,
          sample: sampleOf(result.value),
        }),
      );
      continue;
    }

    summary.stored++;
    // The record's own text is stored when the event keeps the record itself as `raw`.
    const rawJson = event.raw === result.value ? result.text : undefined;
    if (!sinks.writer.append(event, rawJson)) await sinks.writer.drain();
    pending = collectMatches(pending, sinks.rules, event);
    if (pending.length >= MATCH_BATCH) {
      await sinks.onMatches(pending);
      pending = [];
    }
  }

  if (pending.length > 0) await sinks.onMatches(pending);
}

function collectMatches(pending: EventMatch[], rules: RuleSet, event: Event): EventMatch[] {
  const matches = rules.match(event);
  for (const match of matches) pending.push(match);
  return pending;
}

function rejectedRow(input: StreamInput, record: RecordRejected): RejectedRecord {
  const { kind: _kind, ...rest } = record;
  return { ...rest, path: input.path, sha256: input.sha256, member: input.member };
}

/** Counts a stream that yields no record at all as one rejected record, so it is not lost. */
async function rejectWholeStream(
  input: StreamInput,
  summary: StreamSummary,
  sinks: StreamSinks,
  failure: { code: string; reason: string },
  head: Buffer = Buffer.alloc(0),
): Promise<void> {
  summary.error = failure;
  summary.read = 1;
  summary.rejected = 1;
  await sinks.onRejected(
    rejectedRow(input, {
      kind: 'rejected',
      index: 0,
      offset: 0,
      line: 1,
      ...failure,
      sample: head.subarray(0, 120).toString('utf8'),
    }),
  );
}

function streamFailure(error: unknown): { code: string; reason: string } {
  const code = streamErrorCode(error);
  const reason =
    error instanceof CloudcaseError ? error.message : `reading the stream failed (${code})`;
  return { code, reason };
}

/** The first characters of a parsed record, for the analyst's list of rejections. */
function sampleOf(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.slice(0, 200);
}
