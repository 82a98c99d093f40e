/**
 * The parse stage of ingest, in process: a stream read through one format's `records()` and
 * `normalize()`, as the parser thread runs them, with nothing stored.
 */
import type { Readable } from 'node:stream';
import { FORMATS } from '../src/sources/index.ts';
import { type RecordContext, UTC_CONTEXT } from '../src/sources/local-time.ts';
import { isNormalizeError, type SourceFormat } from '../src/sources/types.ts';
import { type FormatGenerator, toReadable } from './generate/index.ts';

/** Counts of one parse-stage run. */
export interface ParseCounts {
  records: number;
  events: number;
  rejected: number;
  /** Number of rejections by reason code. */
  rejectionCodes: Record<string, number>;
}

const SHA256 = '0'.repeat(64);

/** Looks up the format a generator writes; raises when `FORMATS` has no such format. */
export function formatOf(generator: FormatGenerator): SourceFormat {
  const format = FORMATS.find((candidate) => candidate.id === generator.format);
  if (format === undefined) {
    throw new Error(`no format ${generator.format} in FORMATS; fix the generator's format id`);
  }
  return format;
}

/** Returns the case settings to read a generator's file with: UTC, and the file's name. */
export function contextOf(generator: FormatGenerator): RecordContext {
  return { ...UTC_CONTEXT, fileName: generator.fileName };
}

/**
 * Reads `input` through `format` and counts records, events and rejections; `onRecord` runs
 * after each record with the number read so far.
 */
export async function parseStream(
  format: SourceFormat,
  input: Readable,
  context: RecordContext,
  onRecord?: (records: number) => void,
): Promise<ParseCounts> {
  const counts: ParseCounts = { records: 0, events: 0, rejected: 0, rejectionCodes: {} };
  const reject = (code: string) => {
    counts.rejected++;
    counts.rejectionCodes[code] = (counts.rejectionCodes[code] ?? 0) + 1;
  };

  for await (const result of format.records(input, context)) {
    counts.records++;
    onRecord?.(counts.records);
    if (result.kind === 'rejected') {
      reject(result.code);
      continue;
    }
    const ref = { sha256: SHA256, member: null, record: result.index, offset: result.offset };
    const event = format.normalize(result.value, ref);
    if (isNormalizeError(event)) reject(event.code);
    else counts.events++;
  }
  return counts;
}

/** Streams `count` generated records through the generator's format and counts the outcome. */
export function runParseStage(
  generator: FormatGenerator,
  count: number,
  seed: number,
): Promise<ParseCounts> {
  const input = toReadable(generator.pieces(count, seed));
  return parseStream(formatOf(generator), input, contextOf(generator));
}
