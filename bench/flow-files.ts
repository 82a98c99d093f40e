import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { FLOW_HEADER, flowFileName, flowLines } from './generate/index.ts';

/** Flow lines per delivery file; S3 delivery files of a busy VPC hold tens of thousands. */
export const LINES_PER_FILE = 100_000;

/** Files written by `writeFlowLogFiles`. */
export interface FlowFiles {
  files: number;
  /** Compressed size of all files together. */
  bytes: number;
}

const BATCH_LINES = 1000;

/** Takes up to `count` lines from a shared iterator, in batches, so files continue in time. */
function* take(lines: Iterator<string>, count: number): Generator<string> {
  let batch: string[] = [`${FLOW_HEADER}\n`];
  for (let i = 0; i < count; i++) {
    const next = lines.next();
    if (next.done) break;
    batch.push(next.value);
    if (batch.length >= BATCH_LINES) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length > 0) yield batch.join('');
}

/**
 * Writes `count` generated VPC flow lines as gzip delivery files of `linesPerFile` lines,
 * each with its header line and named as S3 delivers them, one stream of traffic across files.
 */
export async function writeFlowLogFiles(
  dir: string,
  count: number,
  seed: number,
  linesPerFile = LINES_PER_FILE,
): Promise<FlowFiles> {
  await mkdir(dir, { recursive: true });
  const lines = flowLines(count, seed);
  let bytes = 0;
  let files = 0;
  for (let written = 0; written < count; written += linesPerFile) {
    const file = join(dir, `${flowFileName(files)}.gz`);
    const size = Math.min(linesPerFile, count - written);
    await pipeline(Readable.from(take(lines, size)), createGzip(), createWriteStream(file));
    bytes += (await stat(file)).size;
    files++;
  }
  return { files, bytes };
}
