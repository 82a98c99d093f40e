import { Readable } from 'node:stream';

/** The first bytes of a stream, and a stream that replays them followed by the rest. */
export interface Peeked {
  head: Buffer;
  stream: Readable;
  /** The input's error when it failed before `size` bytes were read, else `null`. */
  error: unknown;
}

/**
 * Reads up to `size` bytes from the start of `input` without losing them, so that a format can
 * be recognised before the stream is handed to its parser. An input error ends the head early;
 * the replay stream delivers the bytes read before it and then fails with the same error, when
 * the consumer reads that far.
 */
export async function peekStream(input: Readable, size: number): Promise<Peeked> {
  const chunks: Buffer[] = [];
  let length = 0;
  let failure: unknown = null;
  let ended = true;

  try {
    for await (const chunk of input.iterator({ destroyOnReturn: false })) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(buffer);
      length += buffer.length;
      if (length >= size) {
        ended = false;
        break;
      }
    }
  } catch (error) {
    failure = error;
  }

  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (failure !== null) throw failure;
    if (!ended) yield* input;
  }
  // With no read-ahead, the generator's error is raised only after the consumer has taken
  // every chunk before it; a buffered chunk would be discarded when the stream is destroyed.
  const stream = Readable.from(replay(), { objectMode: false, highWaterMark: 0 });
  stream.on('close', () => {
    if (!input.destroyed) input.destroy();
  });

  return { head: head.subarray(0, size), stream, error: failure };
}
