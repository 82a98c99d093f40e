import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { testEvent } from '../store/test-events.ts';
import { formatTimeline } from './timeline-format.ts';

const heap = vi.hoisted(() => ({ collectGarbage: vi.fn() }));
vi.mock('../core/heap.ts', () => heap);

async function* events(...sizes: number[]) {
  for (const [record, size] of sizes.entries()) {
    yield testEvent(record, { raw: { padding: 'p'.repeat(size) } });
  }
}

const discard = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

describe('formatTimeline garbage collection', () => {
  it('collects after a line of many megabytes', async () => {
    heap.collectGarbage.mockClear();
    const count = await formatTimeline(events(100, 9_000_000, 100), 'jsonl', discard());

    expect(count).toBe(3);
    expect(heap.collectGarbage).toHaveBeenCalledTimes(1);
  });

  it('leaves small lines to the collector', async () => {
    heap.collectGarbage.mockClear();
    await formatTimeline(events(100, 100_000), 'jsonl', discard());

    expect(heap.collectGarbage).not.toHaveBeenCalled();
  });
});
