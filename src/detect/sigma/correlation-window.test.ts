import { describe, expect, test } from 'vitest';
import {
  groupScan,
  MAX_HIT_UIDS,
  meetsCondition,
  type Occurrence,
  type WindowHit,
} from './correlation-window.ts';
import type { CorrelationType, CountCondition } from './model.ts';

/**
 * Evaluates a whole sorted group as plainly as possible, as the reference for the scans: each
 * occurrence anchors a closed window of `timespan`, windows that meet the condition become hits,
 * and hits whose windows overlap merge. The streaming scans must return the same hits.
 */
function referenceHits(
  type: Exclude<CorrelationType, 'value_percentile'>,
  sorted: Occurrence[],
  timespanMs: number,
  condition: CountCondition,
  ruleCount: number,
): WindowHit[] {
  if (type === 'temporal_ordered') return referenceOrdered(sorted, timespanMs, ruleCount);

  const spans: { start: number; end: number }[] = [];
  for (let start = 0; start < sorted.length; start++) {
    let end = start;
    while (end < sorted.length && sorted[end]!.time <= sorted[start]!.time + timespanMs) end++;
    if (!meetsCondition(aggregate(type, sorted.slice(start, end)), condition)) continue;
    const previous = spans.at(-1);
    if (previous !== undefined && previous.end > start) previous.end = end;
    else spans.push({ start, end });
  }
  return spans.map(({ start, end }) => hitOf(sorted.slice(start, end)));
}

function aggregate(type: CorrelationType, window: Occurrence[]): number {
  if (type === 'event_count') return window.length;
  if (type === 'temporal') return new Set(window.map((o) => o.rule)).size;
  if (type === 'value_count') return new Set(window.flatMap((o) => o.values)).size;
  const numbers = window.flatMap((o) => o.values.map(Number).filter(Number.isFinite));
  const sum = numbers.reduce((total, value) => total + value, 0);
  if (type === 'value_sum') return sum;
  return numbers.length === 0 ? Number.NaN : sum / numbers.length;
}

function referenceOrdered(sorted: Occurrence[], timespanMs: number, ruleCount: number) {
  const hits: { members: Occurrence[]; first: number; last: number }[] = [];
  let lastEnd = -1;
  for (let anchor = 0; anchor < sorted.length; anchor++) {
    if (sorted[anchor]!.rule !== 0) continue;
    const chain = [anchor];
    let position = anchor + 1;
    for (let rule = 1; rule < ruleCount && chain.length === rule; rule++) {
      while (
        position < sorted.length &&
        sorted[position]!.time <= sorted[anchor]!.time + timespanMs
      ) {
        if (sorted[position]!.rule === rule) {
          chain.push(position++);
          break;
        }
        position++;
      }
    }
    if (chain.length < ruleCount) continue;
    const members = chain.map((index) => sorted[index]!);
    const end = chain.at(-1)!;
    const previous = hits.at(-1);
    if (previous !== undefined && anchor <= lastEnd) {
      previous.members.push(...members);
      previous.last = Math.max(previous.last, sorted[end]!.time);
    } else {
      hits.push({ members, first: members[0]!.time, last: members.at(-1)!.time });
    }
    lastEnd = Math.max(lastEnd, end);
  }
  return hits.map(({ members, first, last }) => ({ ...hitOf(members), first, last }));
}

function hitOf(members: Occurrence[]): WindowHit {
  const uids = [...new Set(members.flatMap((member) => member.uids))].slice(0, MAX_HIT_UIDS);
  return { first: members[0]!.time, last: members.at(-1)!.time, uids };
}

/** Evaluates `value_percentile` over a whole group, as the reference for its scan. */
function referencePercentile(
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
        hits.push(hitOf(members));
        members = [];
      }
      members.push(occurrence);
    }
    if (members.length > 0) hits.push(hitOf(members));
  }
  return hits.sort((a, b) => a.first - b.first || a.last - b.last);
}

/**
 * Visits occurrences in `order`, forwards or backwards in time. The window contains the visited
 * occurrences at most `timespan` away from the current one, and each value of the current
 * occurrence whose share in that window meets the condition is flagged.
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

/** A small deterministic generator, so a failing case can be run again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function randomGroup(next: () => number, count: number, ruleCount: number): Occurrence[] {
  let time = 0;
  return Array.from({ length: count }, (_, index) => {
    // Gaps of zero make occurrences share a time, whose arrival order the scans must keep.
    time += Math.floor(next() * 4) * 1000;
    return {
      time,
      uids: [`e${index}`],
      rule: Math.floor(next() * ruleCount),
      values: next() < 0.1 ? [] : [String(Math.floor(next() * 6))],
    };
  });
}

function scanned(
  type: CorrelationType,
  sorted: Occurrence[],
  timespanMs: number,
  condition: CountCondition,
  ruleCount: number,
) {
  const scan = groupScan(type, timespanMs, condition, ruleCount);
  for (const occurrence of sorted) scan.push(occurrence);
  return scan.finish();
}

const CASES: [Exclude<CorrelationType, 'value_percentile'>, CountCondition][] = [
  ['event_count', { gte: 3 }],
  ['event_count', { lt: 3 }],
  ['value_count', { gte: 3 }],
  ['temporal', { gte: 2 }],
  ['temporal_ordered', { gte: 3 }],
  ['value_sum', { gt: 8 }],
  ['value_avg', { lte: 2 }],
];

describe('groupScan', () => {
  test.each(CASES)('%s %o matches the whole-group evaluation', (type, condition) => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const ruleCount = type === 'temporal_ordered' ? 3 : 2;
      const sorted = randomGroup(next, 20 + Math.floor(next() * 200), ruleCount);
      const timespanMs = (1 + Math.floor(next() * 10)) * 1000;

      const expected = referenceHits(type, sorted, timespanMs, condition, ruleCount);
      expect(scanned(type, sorted, timespanMs, condition, ruleCount), `seed ${seed}`).toEqual(
        expected,
      );
    }
  });

  test.each<CountCondition>([{ lte: 20 }, { gte: 40 }, { lt: 35, gt: 5 }])(
    'value_percentile %o matches the whole-group evaluation',
    (condition) => {
      for (let seed = 1; seed <= 60; seed++) {
        const next = random(seed);
        const sorted = randomGroup(next, 20 + Math.floor(next() * 200), 1).map((occurrence) =>
          // Some occurrences carry two values, or one value twice, as a list field may.
          next() < 0.2
            ? { ...occurrence, values: [...occurrence.values, String(seed % 3)] }
            : occurrence,
        );
        const timespanMs = (1 + Math.floor(next() * 10)) * 1000;

        const expected = referencePercentile(sorted, timespanMs, condition);
        expect(
          scanned('value_percentile', sorted, timespanMs, condition, 1),
          `seed ${seed}`,
        ).toEqual(expected);
      }
    },
  );

  test('value_percentile orders hits of values flagged together', () => {
    // Bursts of occurrences at one time with two values each flag several values at once, so
    // their hits share first and last times and keep the whole-group evaluation's order.
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      let time = 0;
      const sorted = Array.from({ length: 30 + Math.floor(next() * 60) }, (_, index) => {
        time += next() < 0.7 ? 0 : 3_000;
        const first = Math.floor(next() * 5);
        const second = (first + 1 + Math.floor(next() * 4)) % 5;
        return { time, uids: [`e${index}`], rule: 0, values: [String(first), String(second)] };
      });
      const condition = { lte: 5 + Math.floor(next() * 30) };

      const expected = referencePercentile(sorted, 2_000, condition);
      expect(scanned('value_percentile', sorted, 2_000, condition, 1), `seed ${seed}`).toEqual(
        expected,
      );
    }
  });

  test('value_percentile holds one timespan', () => {
    const scan = groupScan('value_percentile', 10_000, { lte: 1 }, 1);
    let max = 0;
    for (let index = 0; index < 100_000; index++) {
      scan.push({ time: index * 1000, uids: [`e${index}`], rule: 0, values: [`k${index % 7}`] });
      max = Math.max(max, scan.retained);
    }

    expect(scan.finish()).toEqual([]);
    expect(max).toBe(11);
  });

  test('holds one timespan of a group larger than any window', () => {
    const scan = groupScan('value_count', 10_000, { gte: 50 }, 1);
    let max = 0;
    for (let index = 0; index < 100_000; index++) {
      scan.push({ time: index * 1000, uids: [`e${index}`], rule: 0, values: [`k${index}`] });
      max = Math.max(max, scan.retained);
    }
    expect(scan.finish()).toEqual([]);
    expect(max).toBe(11);
  });

  test('keeps the first uids of a hit larger than the uid bound', () => {
    const scan = groupScan('event_count', 60_000, { gte: 2 }, 1);
    for (let index = 0; index < 5_000; index++) {
      scan.push({ time: index, uids: [`e${index}`], rule: 0, values: [] });
    }
    const hits = scan.finish();

    expect(hits).toHaveLength(1);
    expect(hits[0]!.first).toBe(0);
    expect(hits[0]!.last).toBe(4_999);
    expect(hits[0]!.uids).toEqual(Array.from({ length: MAX_HIT_UIDS }, (_, i) => `e${i}`));
  });

  test('temporal_ordered drops anchors past their timespan', () => {
    const scan = groupScan('temporal_ordered', 5_000, { gte: 2 }, 2);
    let max = 0;
    for (let index = 0; index < 10_000; index++) {
      scan.push({ time: index * 1000, uids: [`e${index}`], rule: index % 2, values: [] });
      max = Math.max(max, scan.retained);
    }
    const hits = scan.finish();

    expect(max).toBe(6);
    expect(hits).toHaveLength(5_000);
    expect(hits.at(-1)).toEqual({ first: 9_998_000, last: 9_999_000, uids: ['e9998', 'e9999'] });
  });
});
