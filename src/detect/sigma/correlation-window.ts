/**
 * Evaluation of one correlation group: occurrences of the referenced rules, pushed in time
 * order, are scanned with a window of `timespan` anchored at each occurrence. The window is
 * closed: it holds the occurrences at most `timespan` after the anchor, the one exactly
 * `timespan` later included. A window whose aggregate meets the condition becomes a hit; hits
 * whose windows overlap are merged, so one burst gives one hit.
 *
 * Scans are streaming: an anchor is evaluated as soon as an occurrence more than `timespan`
 * after it arrives, and then dropped. Memory is bounded by the occurrences within one timespan
 * and the hits found, each with at most `MAX_HIT_UIDS` event uids; `value_percentile` is the
 * exception (see `percentileScan`).
 *
 * NOTE: windows are anchored at occurrences, so for `lt`/`lte`/`eq` conditions a hit means
 * "some window starting at a matching event held that few", not a count over fixed buckets as
 * SQL backends often compute.
 */
import type { CorrelationType, CountCondition } from './model.ts';

/** Event uids kept per correlation hit; the first ones in time order. */
export const MAX_HIT_UIDS = 100;

/** One match that a correlation counts: a base-rule event, or a hit of a chained correlation. */
export interface Occurrence {
  /** Epoch milliseconds. */
  time: number;
  uids: readonly string[];
  /** Index of the referenced rule in the correlation's `rules` list. */
  rule: number;
  /** Texts of the correlation's `field` in this occurrence (value_* types only). */
  values: readonly string[];
}

/** One span of occurrences that met the condition. */
export interface WindowHit {
  first: number;
  last: number;
  /** The first `MAX_HIT_UIDS` distinct event uids of the span's occurrences. */
  uids: string[];
}

/** The evaluation of one group, fed its occurrences in time order. */
export interface GroupScan {
  /** Occurrences the scan holds now: those of one timespan, except for `value_percentile`. */
  readonly retained: number;
  push(occurrence: Occurrence): void;
  /** Ends the group and returns its hits, in order of their first occurrence. */
  finish(): WindowHit[];
}

/** Whether a count meets every bound of a condition. */
export function meetsCondition(value: number, condition: CountCondition): boolean {
  if (condition.gt !== undefined && !(value > condition.gt)) return false;
  if (condition.gte !== undefined && !(value >= condition.gte)) return false;
  if (condition.lt !== undefined && !(value < condition.lt)) return false;
  if (condition.lte !== undefined && !(value <= condition.lte)) return false;
  if (condition.eq !== undefined && value !== condition.eq) return false;
  if (condition.neq !== undefined && value === condition.neq) return false;
  return true;
}

/** Starts the evaluation of one group of a correlation. */
export function groupScan(
  type: CorrelationType,
  timespanMs: number,
  condition: CountCondition,
  ruleCount: number,
): GroupScan {
  if (type === 'temporal_ordered') return new OrderedScan(timespanMs, ruleCount);
  if (type === 'value_percentile') return percentileScan(timespanMs, condition);
  return new SlidingScan(timespanMs, condition, aggregateFor(type));
}

/** The distinct uids of a hit's occurrences, in the order first added, up to `MAX_HIT_UIDS`. */
class HitUids {
  readonly #uids = new Set<string>();

  get full(): boolean {
    return this.#uids.size >= MAX_HIT_UIDS;
  }

  add(uids: readonly string[]): void {
    for (const uid of uids) {
      if (this.full) return;
      this.#uids.add(uid);
    }
  }

  list(): string[] {
    return [...this.#uids];
  }
}

/** A hit still growing, with the absolute index after its last occurrence. */
interface OpenHit {
  first: number;
  last: number;
  end: number;
  uids: HitUids;
}

function closed(hit: OpenHit): WindowHit {
  return { first: hit.first, last: hit.last, uids: hit.uids.list() };
}

/**
 * Occurrences from an absolute index on, for scans that drop their oldest occurrences once
 * evaluated. Indexes count every occurrence pushed, so they stay valid across drops.
 */
class OccurrenceQueue {
  #items: Occurrence[] = [];
  #head = 0;
  /** Absolute index of the oldest occurrence kept. */
  first = 0;

  get end(): number {
    return this.first + this.#items.length - this.#head;
  }

  at(index: number): Occurrence {
    return this.#items[this.#head + index - this.first]!;
  }

  push(occurrence: Occurrence): void {
    this.#items.push(occurrence);
  }

  shift(): void {
    this.#head++;
    this.first++;
    // Compacting only past half the array keeps the cost of a drop constant on average.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

interface Aggregate {
  add(occurrence: Occurrence): void;
  remove(occurrence: Occurrence): void;
  value(): number;
}

/**
 * event_count, value_count, temporal, value_sum and value_avg: the window anchored at each
 * occurrence is aggregated when an occurrence past its end arrives. It holds the occurrences
 * from the anchor to one timespan after it.
 */
class SlidingScan implements GroupScan {
  readonly #timespanMs: number;
  readonly #condition: CountCondition;
  readonly #aggregate: Aggregate;
  readonly #queue = new OccurrenceQueue();
  /** Absolute index after the last occurrence added to the aggregate. */
  #end = 0;
  #open: OpenHit | null = null;
  readonly #hits: WindowHit[] = [];

  constructor(timespanMs: number, condition: CountCondition, aggregate: Aggregate) {
    this.#timespanMs = timespanMs;
    this.#condition = condition;
    this.#aggregate = aggregate;
  }

  get retained(): number {
    return this.#queue.end - this.#queue.first;
  }

  push(occurrence: Occurrence): void {
    const queue = this.#queue;
    while (
      queue.first < queue.end &&
      occurrence.time > queue.at(queue.first).time + this.#timespanMs
    ) {
      this.#step();
    }
    queue.push(occurrence);
  }

  finish(): WindowHit[] {
    while (this.#queue.first < this.#queue.end) this.#step();
    if (this.#open !== null) this.#hits.push(closed(this.#open));
    this.#open = null;
    return this.#hits;
  }

  // Evaluates the window anchored at the oldest occurrence, whose end is known.
  #step(): void {
    const queue = this.#queue;
    const start = queue.first;
    const anchor = queue.at(start);
    const limit = anchor.time + this.#timespanMs;
    while (this.#end < queue.end && queue.at(this.#end).time <= limit) {
      this.#aggregate.add(queue.at(this.#end++));
    }

    if (meetsCondition(this.#aggregate.value(), this.#condition)) this.#hit(start);
    this.#aggregate.remove(anchor);
    queue.shift();
  }

  #hit(start: number): void {
    const queue = this.#queue;
    const open = this.#open;
    const end = this.#end;
    if (open !== null && open.end > start) {
      for (let index = open.end; index < end && !open.uids.full; index++) {
        open.uids.add(queue.at(index).uids);
      }
      open.end = end;
      open.last = queue.at(end - 1).time;
      return;
    }

    if (open !== null) this.#hits.push(closed(open));
    const uids = new HitUids();
    for (let index = start; index < end && !uids.full; index++) uids.add(queue.at(index).uids);
    this.#open = { first: queue.at(start).time, last: queue.at(end - 1).time, end, uids };
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
 * greedy scan finds every anchor that has a sequence. An anchor is evaluated once an occurrence
 * past its timespan arrives, so the scan holds the occurrences of one timespan.
 */
class OrderedScan implements GroupScan {
  readonly #timespanMs: number;
  readonly #ruleCount: number;
  readonly #queue = new OccurrenceQueue();
  /** Absolute index of the last occurrence of any sequence found so far. */
  #lastEnd = -1;
  #open: OpenHit | null = null;
  readonly #hits: WindowHit[] = [];

  constructor(timespanMs: number, ruleCount: number) {
    this.#timespanMs = timespanMs;
    this.#ruleCount = ruleCount;
  }

  get retained(): number {
    return this.#queue.end - this.#queue.first;
  }

  push(occurrence: Occurrence): void {
    const queue = this.#queue;
    while (
      queue.first < queue.end &&
      occurrence.time > queue.at(queue.first).time + this.#timespanMs
    ) {
      this.#step();
    }
    queue.push(occurrence);
  }

  finish(): WindowHit[] {
    while (this.#queue.first < this.#queue.end) this.#step();
    if (this.#open !== null) this.#hits.push(closed(this.#open));
    this.#open = null;
    return this.#hits;
  }

  #step(): void {
    const queue = this.#queue;
    const anchor = queue.first;
    const chain = queue.at(anchor).rule === 0 ? this.#chain(anchor) : null;
    if (chain !== null) this.#hit(anchor, chain);
    queue.shift();
  }

  #chain(anchor: number): number[] | null {
    const queue = this.#queue;
    const limit = queue.at(anchor).time + this.#timespanMs;
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
    const queue = this.#queue;
    const end = chain.at(-1)!;
    const open = this.#open;
    if (open !== null && anchor <= this.#lastEnd) {
      for (const index of chain) open.uids.add(queue.at(index).uids);
      open.last = Math.max(open.last, queue.at(end).time);
    } else {
      if (open !== null) this.#hits.push(closed(open));
      const uids = new HitUids();
      for (const index of chain) uids.add(queue.at(index).uids);
      this.#open = { first: queue.at(anchor).time, last: queue.at(end).time, end: end + 1, uids };
    }
    this.#lastEnd = Math.max(this.#lastEnd, end);
  }
}

/**
 * `value_percentile`: the share, in percent, that an occurrence's value of the field has among
 * the group's occurrences with the field in a window of `timespan` that ends at the occurrence
 * or starts at it (both closed). An occurrence whose value meets the condition in either window
 * is flagged, so a value rare over the whole timespan is found wherever in the window it falls.
 * Flagged occurrences of one value at most `timespan` apart form one hit. Each occurrence is
 * weighed against two windows only, so the cost grows with the number of occurrences, not with
 * occurrences times distinct values.
 *
 * NOTE: this scan keeps every occurrence of the group until it ends, so its memory grows with
 * the largest group of a value_percentile correlation, not only with one timespan.
 */
function percentileScan(timespanMs: number, condition: CountCondition): GroupScan {
  const sorted: Occurrence[] = [];
  return {
    get retained() {
      return sorted.length;
    },
    push: (occurrence) => void sorted.push(occurrence),
    finish: () => percentileHits(sorted, timespanMs, condition),
  };
}

function percentileHits(
  sorted: Occurrence[],
  timespanMs: number,
  condition: CountCondition,
): WindowHit[] {
  const distinct = sorted.map((occurrence) => [...new Set(occurrence.values)]);
  const flagged = new Map<string, Set<number>>();
  const flag = (index: number, value: string) => {
    const set = flagged.get(value) ?? new Set<number>();
    set.add(index);
    flagged.set(value, set);
  };

  const forward = sorted.map((_, index) => index);
  shareScan(forward, sorted, distinct, timespanMs, condition, flag);
  shareScan(forward.toReversed(), sorted, distinct, timespanMs, condition, flag);

  const hits: WindowHit[] = [];
  for (const indexes of flagged.values()) {
    let members: Occurrence[] = [];
    for (const index of [...indexes].sort((a, b) => a - b)) {
      const occurrence = sorted[index]!;
      const last = members.at(-1);
      if (last !== undefined && occurrence.time - last.time > timespanMs) {
        hits.push(memberHit(members));
        members = [];
      }
      members.push(occurrence);
    }
    if (members.length > 0) hits.push(memberHit(members));
  }
  return hits.sort((a, b) => a.first - b.first || a.last - b.last);
}

function memberHit(members: Occurrence[]): WindowHit {
  const uids = new HitUids();
  for (const member of members) uids.add(member.uids);
  return { first: members[0]!.time, last: members.at(-1)!.time, uids: uids.list() };
}

/**
 * Visits occurrences in `order` (forwards or backwards in time) with a window that contains the
 * visited occurrences at most `timespan` away from the current one, and flags each value of the
 * current occurrence whose share in that window meets the condition.
 */
function shareScan(
  order: number[],
  sorted: Occurrence[],
  distinct: string[][],
  timespanMs: number,
  condition: CountCondition,
  flag: (index: number, value: string) => void,
): void {
  const counts = new Map<string, number>();
  let withField = 0;
  let oldest = 0;
  const adjust = (index: number, step: 1 | -1) => {
    const values = distinct[index]!;
    if (values.length > 0) withField += step;
    for (const value of values) {
      const count = (counts.get(value) ?? 0) + step;
      if (count === 0) counts.delete(value);
      else counts.set(value, count);
    }
  };

  for (const index of order) {
    adjust(index, 1);
    const time = sorted[index]!.time;
    while (Math.abs(time - sorted[order[oldest]!]!.time) > timespanMs) adjust(order[oldest++]!, -1);

    for (const value of distinct[index]!) {
      if (meetsCondition((100 * counts.get(value)!) / withField, condition)) flag(index, value);
    }
  }
}
