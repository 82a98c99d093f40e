import { pipeline, Readable, type Transform } from 'node:stream';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/**
 * A stage that, when it fails, ends its output cleanly and keeps the error here, so the bytes it
 * produced before the failure still reach the consumer.
 */
export interface DeferredFailure {
  readonly failure: unknown;
}

/**
 * Connects a source through transforms and returns the decompressed output. When any stage
 * fails, the output delivers the bytes that already passed the failing stage and then fails with
 * `toError(failure)`, so the consumer receives one coded error after all the data. When the
 * consumer destroys the output early, every stage is torn down and the file is closed.
 */
export function chainStreams(
  source: Readable,
  stages: Transform[],
  toError: (failure: unknown) => Error,
): Readable {
  const last = stages.at(-1) ?? source;
  const finished = new Promise<unknown>((resolve) => {
    pipeline([source, ...stages], (failure) => resolve(failure ?? null));
  });

  async function* relay(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of last) yield chunk as Buffer;
    } catch (error) {
      throw toError((await finished) ?? error);
    }

    const failure = (await finished) ?? deferredFailure(stages);
    if (failure !== null) throw toError(failure);
  }

  // With a high-water mark of 0 the relay resumes only once the consumer has taken every chunk,
  // so a failure raised at the end never discards output still buffered for the consumer.
  return Readable.from(relay(), { objectMode: false, highWaterMark: 0 });
}

function deferredFailure(stages: Transform[]): unknown {
  for (const stage of stages) {
    const failure = (stage as Partial<DeferredFailure>).failure;
    if (failure !== undefined && failure !== null) return failure;
  }
  return null;
}

/**
 * Maps a failure while reading stored evidence to a coded error: coded errors pass through,
 * zlib errors become `gzip_truncated` or `gzip_invalid`, anything else `evidence_read_failed`.
 */
export function readFailure(label: string, failure: unknown): CloudcaseError {
  if (failure instanceof CloudcaseError) return failure;

  const code = (failure as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') {
    return new CloudcaseError(
      'gzip_truncated',
      `${label} ends in the middle of a gzip stream; the data before the cut was delivered. ` +
        'Acquire a complete copy if one exists.',
      EXIT.partial,
    );
  }
  if (code?.startsWith('Z_')) {
    // The offset counts compressed bytes. The gzip stage sets it where it found the bad bytes.
    const offset = (failure as { offset?: unknown }).offset;
    const where = typeof offset === 'number' ? ` at byte ${offset} of the gzip data` : '';
    return new CloudcaseError(
      'gzip_invalid',
      `${label} contains invalid gzip data${where}; the data before it was delivered. Inspect the file.`,
      EXIT.partial,
    );
  }

  return new CloudcaseError(
    'evidence_read_failed',
    `Reading ${label} failed (${code ?? 'unknown error'}); check the case folder and run \`cloudcase verify\`.`,
    EXIT.case,
    { cause: failure },
  );
}
