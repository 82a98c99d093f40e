/**
 * The parts shared by the scans that evaluate one correlation group: occurrences, hits, the
 * condition check, and the queue of occurrences a scan holds.
 */
import type { CountCondition } from './model.ts';

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
  /** Number of occurrences the scan keeps now, at most those of one timespan. */
  readonly retained: number;
  push(occurrence: Occurrence): void;
  /** Ends the group and returns its hits, in order of their first occurrence. */
  finish(): WindowHit[];
}

/** Checks whether a count meets every bound of a condition. */
export function meetsCondition(value: number, condition: CountCondition): boolean {
  if (condition.gt !== undefined && !(value > condition.gt)) return false;
  if (condition.gte !== undefined && !(value >= condition.gte)) return false;
  if (condition.lt !== undefined && !(value < condition.lt)) return false;
  if (condition.lte !== undefined && !(value <= condition.lte)) return false;
  if (condition.eq !== undefined && value !== condition.eq) return false;
  if (condition.neq !== undefined && value === condition.neq) return false;
  return true;
}

/** The distinct uids of a hit's occurrences, in the order first added, up to `MAX_HIT_UIDS`. */
export class HitUids {
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
export interface OpenHit {
  first: number;
  last: number;
  end: number;
  uids: HitUids;
}

export function closed(hit: OpenHit): WindowHit {
  return { first: hit.first, last: hit.last, uids: hit.uids.list() };
}

/**
 * Items from an absolute index on, for scans that drop their oldest occurrences once
 * evaluated. Indexes count every item pushed, so they stay valid across drops.
 */
export class OccurrenceQueue<T = Occurrence> {
  #items: T[] = [];
  #head = 0;
  /** Absolute index of the oldest occurrence kept. */
  first = 0;

  get end(): number {
    return this.first + this.#items.length - this.#head;
  }

  at(index: number): T {
    return this.#items[this.#head + index - this.first]!;
  }

  push(item: T): void {
    this.#items.push(item);
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
