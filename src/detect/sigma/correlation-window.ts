/**
 * Evaluation of one correlation group: occurrences of the referenced rules, sorted by time, are
 * scanned with a window of `timespan` anchored at each occurrence. The window is closed: it
 * holds the occurrences at most `timespan` after the anchor, the one exactly `timespan` later
 * included. A window whose aggregate meets the condition becomes a hit; hits whose windows
 * overlap are merged, so one burst gives one hit.
 *
 * NOTE: windows are anchored at occurrences, so for `lt`/`lte`/`eq` conditions a hit means
 * "some window starting at a matching event held that few", not a count over fixed buckets as
 * SQL backends often compute.
 */
import type { CorrelationType, CountCondition } from './model.ts';

/** One match that a correlation counts: a base-rule event, or a hit of a chained correlation. */
export interface Occurrence {
  /** Epoch milliseconds. */
  time: number;
  uids: string[];
  /** Index of the referenced rule in the correlation's `rules` list. */
  rule: number;
  /** Texts of the correlation's `field` in this occurrence (value_* types only). */
  values: string[];
}

/** One span of occurrences that met the condition. */
export interface WindowHit {
  first: number;
  last: number;
  members: Occurrence[];
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

interface Aggregate {
  add(occurrence: Occurrence): void;
  remove(occurrence: Occurrence): void;
  value(): number;
}

/** Finds the hits of one group; `sorted` must be in time order. */
export function evaluateGroup(
  type: CorrelationType,
  sorted: Occurrence[],
  timespanMs: number,
  condition: CountCondition,
  ruleCount: number,
): WindowHit[] {
  if (type === 'temporal_ordered') return orderedHits(sorted, timespanMs, ruleCount);
  if (type === 'value_percentile') return percentileHits(sorted, timespanMs, condition);
  return windowHits(sorted, timespanMs, condition, aggregateFor(type));
}

function windowHits(
  sorted: Occurrence[],
  timespanMs: number,
  condition: CountCondition,
  aggregate: Aggregate,
): WindowHit[] {
  const hits: { start: number; end: number }[] = [];
  let end = 0;

  for (let start = 0; start < sorted.length; start++) {
    const limit = sorted[start]!.time + timespanMs;
    while (end < sorted.length && sorted[end]!.time <= limit) aggregate.add(sorted[end++]!);
    if (meetsCondition(aggregate.value(), condition)) {
      const previous = hits.at(-1);
      if (previous !== undefined && previous.end > start) previous.end = end;
      else hits.push({ start, end });
    }
    aggregate.remove(sorted[start]!);
  }

  return hits.map(({ start, end: stop }) => toHit(sorted.slice(start, stop)));
}

function toHit(members: Occurrence[]): WindowHit {
  return { first: members[0]!.time, last: members.at(-1)!.time, members };
}

function aggregateFor(type: Exclude<CorrelationType, 'value_percentile' | 'temporal_ordered'>) {
  if (type === 'event_count') return counter(() => [''], 'count');
  if (type === 'temporal') return counter((occurrence) => [String(occurrence.rule)], 'distinct');
  if (type === 'value_count') return counter((occurrence) => occurrence.values, 'distinct');
  return summer(type === 'value_avg');
}

/** Counts occurrences, or distinct keys of occurrences, inside the window. */
function counter(keys: (occurrence: Occurrence) => string[], mode: 'count' | 'distinct') {
  const counts = new Map<string, number>();
  let total = 0;
  return {
    add(occurrence: Occurrence) {
      total++;
      for (const key of keys(occurrence)) counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    remove(occurrence: Occurrence) {
      total--;
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
function orderedHits(sorted: Occurrence[], timespanMs: number, ruleCount: number): WindowHit[] {
  const hits: WindowHit[] = [];
  let lastEnd = -1;

  for (let anchor = 0; anchor < sorted.length; anchor++) {
    if (sorted[anchor]!.rule !== 0) continue;
    const chain = orderedChain(sorted, anchor, timespanMs, ruleCount);
    if (chain === null) continue;

    const previous = hits.at(-1);
    const end = chain.at(-1)!;
    if (previous !== undefined && anchor <= lastEnd) {
      previous.members.push(...chain.map((index) => sorted[index]!));
      previous.last = Math.max(previous.last, sorted[end]!.time);
    } else {
      hits.push(toHit(chain.map((index) => sorted[index]!)));
    }
    lastEnd = Math.max(lastEnd, end);
  }
  return hits;
}

function orderedChain(sorted: Occurrence[], anchor: number, timespanMs: number, ruleCount: number) {
  const limit = sorted[anchor]!.time + timespanMs;
  const chain = [anchor];
  let position = anchor + 1;

  for (let rule = 1; rule < ruleCount; rule++) {
    while (position < sorted.length && sorted[position]!.time <= limit) {
      if (sorted[position]!.rule === rule) break;
      position++;
    }
    if (position >= sorted.length || sorted[position]!.time > limit) return null;
    chain.push(position++);
  }
  return chain;
}

/**
 * `value_percentile`: the share, in percent, that an occurrence's value of the field has among
 * the group's occurrences with the field in a window of `timespan` that ends at the occurrence
 * or starts at it (both closed). An occurrence whose value meets the condition in either window
 * is flagged, so a value rare over the whole timespan is found wherever in the window it falls.
 * Flagged occurrences of one value at most `timespan` apart form one hit. Each occurrence is
 * weighed against two windows only, so the cost grows with the number of occurrences, not with
 * occurrences times distinct values.
 */
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
        hits.push(toHit(members));
        members = [];
      }
      members.push(occurrence);
    }
    if (members.length > 0) hits.push(toHit(members));
  }
  return hits.sort((a, b) => a.first - b.first || a.last - b.last);
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
