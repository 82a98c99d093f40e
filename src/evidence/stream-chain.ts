import { PassThrough, pipeline, type Readable, type Transform } from 'node:stream';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/**
 * Connects a source through transforms and returns the decompressed output. When any stage
 * fails, the output is destroyed with `toError(failure)`, so the consumer receives one coded
 * error. When the consumer destroys the output early, every stage is torn down and the file
 * is closed.
 */
export function chainStreams(
  source: Readable,
  stages: Transform[],
  toError: (failure: unknown) => Error,
): Readable {
  const output = new PassThrough();
  const last = stages.at(-1) ?? source;

  pipeline([source, ...stages], (failure) => {
    if (failure) output.destroy(toError(failure));
  });
  last.pipe(output);
  output.once('close', () => {
    if (!output.readableEnded) source.destroy();
  });

  return output;
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
    return new CloudcaseError(
      'gzip_invalid',
      `${label} contains invalid gzip data; the data before it was delivered. Inspect the file.`,
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
