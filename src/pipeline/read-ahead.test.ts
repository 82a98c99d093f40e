import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.ts';

async function* numbers(count: number, log: number[], failAt = -1): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) {
    if (i === failAt) throw new Error('source failed');
    log.push(i);
    yield i;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readAhead', () => {
  it('keeps the order of the source', async () => {
    expect(await collect(readAhead(numbers(20, []), 4))).toEqual([...Array(20).keys()]);
  });

  it('runs ahead of the consumer', async () => {
    const produced: number[] = [];
    const iterator = readAhead(numbers(20, produced), 4)[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 10));

    expect(produced.length).toBeGreaterThanOrEqual(4);
    await iterator.return?.(undefined);
  });

  it('delivers the items before a failure, then the failure', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const item of readAhead(numbers(10, [], 3), 4)) seen.push(item);
    };

    await expect(run()).rejects.toThrow('source failed');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('yields nothing for an empty source', async () => {
    expect(await collect(readAhead(numbers(0, []), 4))).toEqual([]);
  });
});
