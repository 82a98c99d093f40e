/**
 * `value_percentile`: the share, in percent, that an occurrence's value of the field has among
 * the group's occurrences with the field in a window of `timespan` that ends at the occurrence
 * or starts at it (both closed). An occurrence whose value meets the condition in either window
 * is flagged, so a value rare over the whole timespan is found wherever in the window it falls.
 * Flagged occurrences of one value at most `timespan` apart form one hit. Each occurrence is
 * weighed against two windows only, so the cost grows with the number of occurrences, not with
 * occurrences times distinct values.
 */
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
import type { CountCondition } from './model.ts';

/** An occurrence waiting for the window that starts at it, with its flags so far. */
interface Pending {
  occurrence: Occurrence;
  distinct: string[];
  /** Values whose share met the condition in the window that ends at the occurrence. */
  flagged: string[];
}

/**
 * The rank of a value among the flagged values, which orders hits with the same first and last
 * time as a whole-group evaluation does. Values flagged in a window that ends at an occurrence
 * come first, by that occurrence and the value's position in it. The others follow, latest
 * occurrence first.
 */
interface ValueOrder {
  /** Occurrence index and value position of the first flag in a window ending there. */
  ending: [number, number] | null;
  /** Occurrence index and value position of the latest flag in a window starting there. */
  starting: [number, number] | null;
}

/** Flag history and hits of one value. */
interface FlaggedValue {
  order: ValueOrder;
  open: OpenHit | null;
  hits: WindowHit[];
}

/** Counts of the values inside a window, and of the occurrences that have the field. */
class ShareCounter {
  readonly #counts = new Map<string, number>();
  #withField = 0;

  adjust(distinct: readonly string[], step: 1 | -1): void {
    if (distinct.length > 0) this.#withField += step;
    for (const value of distinct) {
      const count = (this.#counts.get(value) ?? 0) + step;
      if (count === 0) this.#counts.delete(value);
      else this.#counts.set(value, count);
    }
  }

  /** Returns the share of `value` in percent; the window must contain an occurrence with it. */
  share(value: string): number {
    return (100 * this.#counts.get(value)!) / this.#withField;
  }
}

/**
 * Streams one group: an occurrence is weighed against the window ending at it when it arrives,
 * and against the window starting at it once an occurrence past its timespan arrives. Both
 * windows are within the occurrences the scan keeps, so memory is one timespan of occurrences
 * plus the flagged values and hits of the group, kept until the group ends to sort the hits.
 */
export class PercentileScan implements GroupScan {
  readonly #timespanMs: number;
  readonly #condition: CountCondition;
  readonly #queue = new OccurrenceQueue<Pending>();
  readonly #ending = new ShareCounter();
  readonly #starting = new ShareCounter();
  /** Absolute index after the last occurrence counted in `#starting`. */
  #startingEnd = 0;
  readonly #values = new Map<string, FlaggedValue>();

  constructor(timespanMs: number, condition: CountCondition) {
    this.#timespanMs = timespanMs;
    this.#condition = condition;
  }

  get retained(): number {
    return this.#queue.end - this.#queue.first;
  }

  push(occurrence: Occurrence): void {
    const queue = this.#queue;
    while (
      queue.first < queue.end &&
      occurrence.time > queue.at(queue.first).occurrence.time + this.#timespanMs
    ) {
      this.#complete();
    }

    // The queue now contains the window that ends at this occurrence.
    const distinct = [...new Set(occurrence.values)];
    this.#ending.adjust(distinct, 1);
    const flagged = distinct.filter((value) =>
      meetsCondition(this.#ending.share(value), this.#condition),
    );
    queue.push({ occurrence, distinct, flagged });
  }

  finish(): WindowHit[] {
    while (this.#queue.first < this.#queue.end) this.#complete();

    const hits: { hit: WindowHit; order: ValueOrder }[] = [];
    for (const value of this.#values.values()) {
      if (value.open !== null) value.hits.push(closed(value.open));
      for (const hit of value.hits) hits.push({ hit, order: value.order });
    }
    hits.sort(
      (a, b) =>
        a.hit.first - b.hit.first || a.hit.last - b.hit.last || compareOrder(a.order, b.order),
    );
    return hits.map(({ hit }) => hit);
  }

  // Weighs the oldest occurrence against the window that starts at it, whose end is known, and
  // adds it to the hits of each value flagged in either window.
  #complete(): void {
    const queue = this.#queue;
    const index = queue.first;
    const pending = queue.at(index);
    const limit = pending.occurrence.time + this.#timespanMs;
    while (this.#startingEnd < queue.end && queue.at(this.#startingEnd).occurrence.time <= limit) {
      this.#starting.adjust(queue.at(this.#startingEnd++).distinct, 1);
    }

    for (const [position, value] of pending.distinct.entries()) {
      const ending = pending.flagged.includes(value);
      const starting = meetsCondition(this.#starting.share(value), this.#condition);
      if (ending || starting) this.#flag(value, index, position, ending, starting);
    }
    this.#starting.adjust(pending.distinct, -1);
    this.#ending.adjust(pending.distinct, -1);
    queue.shift();
  }

  #flag(value: string, index: number, position: number, ending: boolean, starting: boolean) {
    let entry = this.#values.get(value);
    if (entry === undefined) {
      entry = { order: { ending: null, starting: null }, open: null, hits: [] };
      this.#values.set(value, entry);
    }
    if (ending) entry.order.ending ??= [index, position];
    if (starting) entry.order.starting = [index, position];

    const occurrence = this.#queue.at(index).occurrence;
    const open = entry.open;
    if (open !== null && occurrence.time - open.last <= this.#timespanMs) {
      open.uids.add(occurrence.uids);
      open.last = occurrence.time;
      return;
    }
    if (open !== null) entry.hits.push(closed(open));
    const uids = new HitUids();
    uids.add(occurrence.uids);
    entry.open = { first: occurrence.time, last: occurrence.time, end: index + 1, uids };
  }
}

function compareOrder(a: ValueOrder, b: ValueOrder): number {
  if (a.ending !== null || b.ending !== null) {
    if (a.ending === null) return 1;
    if (b.ending === null) return -1;
    return a.ending[0] - b.ending[0] || a.ending[1] - b.ending[1];
  }
  // Both were flagged in windows starting at occurrences only: the latest occurrence first.
  const [aIndex, aPosition] = a.starting!;
  const [bIndex, bPosition] = b.starting!;
  return bIndex - aIndex || aPosition - bPosition;
}
