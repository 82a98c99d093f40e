/**
 * Iterates `source` up to `size` items ahead of the consumer, so that slow I/O in the source
 * (hashing and copying the next evidence file) overlaps with work on the current item. Items
 * keep their order; an error of the source reaches the consumer after the items before it.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Promise<IteratorResult<T>>[] = [];
  let done = false;

  const fill = () => {
    while (!done && pending.length < size) {
      const next = iterator.next();
      pending.push(next);
      // Stop requesting once the source ends or fails; the failure surfaces in order below.
      next.then(
        (result) => {
          if (result.done) done = true;
        },
        () => {
          done = true;
        },
      );
    }
  };

  try {
    fill();
    while (pending.length > 0) {
      const result = await pending.shift()!;
      if (result.done) return;
      fill();
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
