import { expect, test } from 'vitest';
import { collectGarbage } from './heap.ts';

test('collection frees garbage heap', () => {
  let garbage: { index: number; text: string }[] | null = [];
  for (let index = 0; index < 1_000_000; index++) garbage.push({ index, text: `row ${index}` });
  const grown = process.memoryUsage().heapUsed;
  garbage = null;

  collectGarbage();

  expect(garbage).toBeNull();
  expect(process.memoryUsage().heapUsed).toBeLessThan(grown / 2);
});
