import { Transform, type TransformCallback } from 'node:stream';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { ReadLimits } from './types.ts';

/** Defaults: 16 GiB per item, a ratio of 200 once a stream has produced 1 MiB. */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxExpandedBytes: 16 * 1024 ** 3,
  maxRatio: 200,
  ratioGraceBytes: 1024 ** 2,
};

/** Decompressed bytes produced so far by all streams of one item. */
export interface ExpansionBudget {
  expanded: number;
}

/** Description of the stream a limit check guards. */
export interface LimitedStream {
  /** Names the stream in the error message. */
  label: string;
  /** Compressed bytes consumed so far, or the whole compressed size when known up front. */
  compressedBytes: () => number;
}

/**
 * A pass-through that counts decompressed bytes and fails with a `CloudcaseError` coded
 * `archive_limit` once the item's budget or the stream's expansion ratio is exceeded, so a
 * decompression bomb stops after a bounded amount of output.
 */
export class LimitTransform extends Transform {
  readonly #limits: ReadLimits;
  readonly #budget: ExpansionBudget;
  readonly #stream: LimitedStream;
  #output = 0;

  constructor(limits: ReadLimits, budget: ExpansionBudget, stream: LimitedStream) {
    super();
    this.#limits = limits;
    this.#budget = budget;
    this.#stream = stream;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#output += chunk.length;
    this.#budget.expanded += chunk.length;
    callback(this.#check(), chunk);
  }

  #check(): CloudcaseError | null {
    const { maxExpandedBytes, maxRatio, ratioGraceBytes } = this.#limits;
    if (this.#budget.expanded > maxExpandedBytes) {
      return limitError(`${this.#stream.label} expands past ${maxExpandedBytes} bytes`);
    }

    const compressed = Math.max(this.#stream.compressedBytes(), 1);
    if (this.#output > ratioGraceBytes && this.#output / compressed > maxRatio) {
      return limitError(`${this.#stream.label} expands more than ${maxRatio} times its size`);
    }

    return null;
  }
}

function limitError(problem: string): CloudcaseError {
  return new CloudcaseError(
    'archive_limit',
    `${problem}; it may be a decompression bomb. Inspect it by hand; if it is genuine, ` +
      'unpack it yourself and give cloudcase the unpacked files.',
    EXIT.partial,
  );
}
