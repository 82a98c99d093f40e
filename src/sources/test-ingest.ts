/** Test helper: streams a text or file through one format and normalizes every record. */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Event } from '../core/event.ts';
import type { RecordContext } from './local-time.ts';
import {
  isNormalizeError,
  type NormalizeError,
  type RecordRejected,
  type SourceFormat,
} from './types.ts';

/** Root of the real public logs used by tests. */
export const LOGS = path.resolve(import.meta.dirname, '../../../shared/data/logs');
const SHA = 'cd'.repeat(32);

export interface Outcome {
  events: Event[];
  rejected: (RecordRejected | NormalizeError)[];
}

export async function ingestWith(
  format: SourceFormat,
  input: Readable,
  context?: RecordContext,
): Promise<Outcome> {
  const outcome: Outcome = { events: [], rejected: [] };
  for await (const result of format.records(input, context)) {
    if (result.kind === 'rejected') {
      outcome.rejected.push(result);
      continue;
    }
    const ref = { sha256: SHA, member: null, record: result.index, offset: result.offset };
    const event = format.normalize(result.value, ref);
    if (isNormalizeError(event)) outcome.rejected.push(event);
    else outcome.events.push(event);
  }
  return outcome;
}

export function ingestText(
  format: SourceFormat,
  text: string,
  context?: RecordContext,
): Promise<Outcome> {
  return ingestWith(format, Readable.from([Buffer.from(text)]), context);
}

export function ingestLogFile(format: SourceFormat, relative: string): Promise<Outcome> {
  return ingestWith(format, createReadStream(path.join(LOGS, relative)));
}

/** The `log` of each Panther rule test of one log type, as JSON lines. */
export function pantherLogs(logType: string): string {
  const file = path.join(LOGS, 'panther-analysis-rule-tests/tests_by_logtype', `${logType}.jsonl`);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  return lines.map((line) => JSON.stringify((JSON.parse(line) as { log: unknown }).log)).join('\n');
}
