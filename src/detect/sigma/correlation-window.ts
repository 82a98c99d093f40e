/**
 * Evaluation of one correlation group: occurrences of the referenced rules, pushed in time
 * order, are scanned with a window of `timespan` anchored at each occurrence. The window is
 * closed: it contains the occurrences at most `timespan` after the anchor, the one exactly
 * `timespan` later included. A window whose aggregate meets the condition becomes a hit; hits
 * whose windows overlap are merged, so one burst gives one hit.
 *
 * Scans are streaming: an anchor is evaluated as soon as an occurrence more than `timespan`
 * after it arrives, and then dropped. Memory is bounded by the occurrences within one timespan
 * and the group's hits, each with at most `MAX_HIT_UIDS` event uids. `value_percentile` also
 * keeps an entry per flagged value of the group (see `correlation-percentile.ts`).
 *
 * NOTE: windows are anchored at occurrences, so for `lt`/`lte`/`eq` conditions a hit means
 * "some window starting at a matching event held that few", not a count over fixed buckets as
 * SQL backends often compute.
 */
import { PercentileScan } from './correlation-percentile.ts';
import {
  closed,
  type GroupScan,
  HitUids,
  meetsCondition,
  type Occurrence,
  OccurrenceQueue,
  type OpenHit,
  type WindowHit,
} from './correlation-scan.ts';
import type { CorrelationType, CountCondition } from './model.ts';

export {
  type GroupScan,
  MAX_HIT_UIDS,
  meetsCondition,
  type Occurrence,
  type WindowHit,
} from './correlation-scan.ts';

/** Starts the evaluation of one group of a correlation. */
export function groupScan(
  type: CorrelationType,
  timespanMs: number,
  condition: CountCondition,
  ruleCount: number,
): GroupScan {
  if (type === 'temporal_ordered') return new OrderedScan(timespanMs, ruleCount);
  if (type === 'value_percentile') return new PercentileScan(timespanMs, condition);
  return new SlidingScan(timespanMs, condition, aggregateFor(type));
}

interface Aggregate {
  add(occurrence: Occurrence): void;
  remove(occurrence: Occurrence): void;
  value(): number;
}

/**
 * A scan that evaluates the window anchored at its oldest occurrence once an occurrence more
 * than `timespan` later arrives, so it keeps the occurrences of one timespan.
 */
abstract class AnchoredScan implements GroupScan {
  protected readonly timespanMs: number;
  protected readonly queue = new OccurrenceQueue();
  protected open: OpenHit | null = null;
  protected readonly hits: WindowHit[] = [];

  constructor(timespanMs: number) {
    this.timespanMs = timespanMs;
  }

  get retained(): number {
    return this.queue.end - this.queue.first;
  }

  push(occurrence: Occurrence): void {
    const queue = this.queue;
    while (
      queue.first < queue.end &&
      occurrence.time > queue.at(queue.first).time + this.timespanMs
    ) {
      this.step();
    }
    queue.push(occurrence);
  }

  finish(): WindowHit[] {
    while (this.queue.first < this.queue.end) this.step();
    if (this.open !== null) this.hits.push(closed(this.open));
    this.open = null;
    return this.hits;
  }

  /** Evaluates the window anchored at the oldest occurrence, whose end is known, and drops it. */
  protected abstract step(): void;
}

/**
 * event_count, value_count, temporal, value_sum and value_avg: the window anchored at each
 * occurrence is aggregated when an occurrence past its end arrives.
 */
class SlidingScan extends AnchoredScan {
  readonly #condition: CountCondition;
  readonly #aggregate: Aggregate;
  /** Absolute index after the last occurrence added to the aggregate. */
  #end = 0;

  constructor(timespanMs: number, condition: CountCondition, aggregate: Aggregate) {
    super(timespanMs);
    this.#condition = condition;
    this.#aggregate = aggregate;
  }

  protected step(): void {
    const queue = this.queue;
    const start = queue.first;
    const anchor = queue.at(start);
    const limit = anchor.time + this.timespanMs;
    while (this.#end < queue.end && queue.at(this.#end).time <= limit) {
      this.#aggregate.add(queue.at(this.#end++));
    }

    if (meetsCondition(this.#aggregate.value(), this.#condition)) this.#hit(start);
    this.#aggregate.remove(anchor);
    queue.shift();
  }

  #hit(start: number): void {
    const queue = this.queue;
    const open = this.open;
    const end = this.#end;
    if (open !== null && open.end > start) {
      for (let index = open.end; index < end && !open.uids.full; index++) {
        open.uids.add(queue.at(index).uids);
      }
      open.end = end;
      open.last = queue.at(end - 1).time;
      return;
    }

    if (open !== null) this.hits.push(closed(open));
    const uids = new HitUids();
    for (let index = start; index < end && !uids.full; index++) uids.add(queue.at(index).uids);
    this.open = { first: queue.at(start).time, last: queue.at(end - 1).time, end, uids };
  }
}

function aggregateFor(type: Exclude<CorrelationType, 'value_percentile' | 'temporal_ordered'>) {
  if (type === 'event_count') return counter(() => [''], 'count');
  if (type === 'temporal') return counter((occurrence) => [String(occurrence.rule)], 'distinct');
  if (type === 'value_count') return counter((occurrence) => occurrence.values, 'distinct');
  return summer(type === 'value_avg');
}

/** Counts occurrences, or distinct keys of occurrences, inside the window. */
function counter(keys: (occurrence: Occurrence) => readonly string[], mode: 'count' | 'distinct') {
  const counts = new Map<string, number>();
  let total = 0;
  return {
    add(occurrence: Occurrence) {
      total++;
      if (mode === 'count') return;
      for (const key of keys(occurrence)) counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    remove(occurrence: Occurrence) {
      total--;
      if (mode === 'count') return;
      for (const key of keys(occurrence)) {
        const count = (counts.get(key) ?? 1) - 1;
        if (count === 0) counts.delete(key);
        else counts.set(key, count);
      }
    },
    value: () => (mode === 'count' ? total : counts.size),
  } satisfies Aggregate;
}

/** Sums (or averages) the numeric field values inside the window; non-numbers are skipped. */
function summer(average: boolean): Aggregate {
  let sum = 0;
  let count = 0;
  const numbers = (occurrence: Occurrence) =>
    occurrence.values.map(Number).filter((value) => Number.isFinite(value));
  return {
    add(occurrence) {
      for (const value of numbers(occurrence)) {
        sum += value;
        count++;
      }
    },
    remove(occurrence) {
      for (const value of numbers(occurrence)) {
        sum -= value;
        count--;
      }
    },
    value: () => (average ? (count === 0 ? Number.NaN : sum / count) : sum),
  };
}

/**
 * `temporal_ordered`: an occurrence of the first rule, followed within the timespan by one of
 * each later rule in list order. The earliest next occurrence is always the best choice, so a
 * greedy scan finds every anchor that has a sequence.
 */
class OrderedScan extends AnchoredScan {
  readonly #ruleCount: number;
  /** Absolute index of the last occurrence of any sequence found so far. */
  #lastEnd = -1;

  constructor(timespanMs: number, ruleCount: number) {
    super(timespanMs);
    this.#ruleCount = ruleCount;
  }

  protected step(): void {
    const queue = this.queue;
    const anchor = queue.first;
    const chain = queue.at(anchor).rule === 0 ? this.#chain(anchor) : null;
    if (chain !== null) this.#hit(anchor, chain);
    queue.shift();
  }

  #chain(anchor: number): number[] | null {
    const queue = this.queue;
    const limit = queue.at(anchor).time + this.timespanMs;
    const chain = [anchor];
    let position = anchor + 1;

    for (let rule = 1; rule < this.#ruleCount; rule++) {
      while (position < queue.end && queue.at(position).time <= limit) {
        if (queue.at(position).rule === rule) break;
        position++;
      }
      if (position >= queue.end || queue.at(position).time > limit) return null;
      chain.push(position++);
    }
    return chain;
  }

  #hit(anchor: number, chain: number[]): void {
    const queue = this.queue;
    const end = chain.at(-1)!;
    const open = this.open;
    if (open !== null && anchor <= this.#lastEnd) {
      for (const index of chain) open.uids.add(queue.at(index).uids);
      open.last = Math.max(open.last, queue.at(end).time);
    } else {
      if (open !== null) this.hits.push(closed(open));
      const uids = new HitUids();
      for (const index of chain) uids.add(queue.at(index).uids);
      this.open = { first: queue.at(anchor).time, last: queue.at(end).time, end: end + 1, uids };
    }
    this.#lastEnd = Math.max(this.#lastEnd, end);
  }
}
