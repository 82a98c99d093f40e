import { PassThrough, type Readable } from 'node:stream';

/** The first bytes of a stream, and a stream that replays them followed by the rest. */
export interface Peeked {
  head: Buffer;
  stream: Readable;
}

/**
 * Reads up to `size` bytes from the start of `input` without losing them, so that a format can
 * be recognised before the stream is handed to its parser. An input error before `size` bytes
 * ends the head early; the replay stream then fails with the same error.
 */
export async function peekStream(input: Readable, size: number): Promise<Peeked> {
  const chunks: Buffer[] = [];
  let length = 0;
  let failure: Error | null = null;

  try {
    for await (const chunk of input.iterator({ destroyOnReturn: false })) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(buffer);
      length += buffer.length;
      if (length >= size) break;
    }
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }

  const head = Buffer.concat(chunks);
  const replay = new PassThrough({ highWaterMark: 1 << 20 });
  replay.write(head);
  if (failure) {
    replay.destroy(failure);
  } else if (input.readableEnded) {
    replay.end();
  } else {
    input.on('error', (error) => replay.destroy(error));
    input.pipe(replay);
  }

  return { head: head.subarray(0, size), stream: replay };
}
