import { describe, expect, it } from 'vitest';
import { bucketText, MIN_BUCKETS_SHOWN, tickLabels, timeRange } from './histogram-chart.ts';

const at = (iso: string) => Date.parse(iso);

describe('histogram timeRange', () => {
  it('centres one bucket in a narrow range', () => {
    const bucket = at('2024-05-16T01:55:05Z');
    const range = timeRange([bucket], 1000);
    expect(range).not.toBeNull();
    const [start, end] = range as [number, number];
    expect(end - start).toBe(MIN_BUCKETS_SHOWN * 1000);
    expect(start).toBeLessThan(bucket);
    expect(end).toBeGreaterThan(bucket + 1000);
    expect((start + end) / 2).toBe(bucket + 500);
  });

  it('widens a few buckets to the minimum', () => {
    const first = at('2024-05-16T01:00:00Z');
    const [start, end] = timeRange([first, first + 60_000], 60_000) as [number, number];
    expect(end - start).toBe(MIN_BUCKETS_SHOWN * 60_000);
    expect(start).toBeLessThan(first);
  });

  it('keeps a wide range as the buckets span', () => {
    const first = at('2024-05-01T00:00:00Z');
    const last = first + 99 * 3_600_000;
    expect(timeRange([first, last], 3_600_000)).toEqual([first, last + 3_600_000]);
  });

  it('has no range without buckets', () => {
    expect(timeRange([], 1000)).toBeNull();
  });
});

describe('histogram tickLabels', () => {
  const tick = at('2024-05-16T01:55:05.250Z') / 1000;

  it('formats days, minutes, seconds and milliseconds in UTC', () => {
    expect(tickLabels([tick], 86_400)).toEqual(['2024-05-16']);
    expect(tickLabels([tick], 300)).toEqual(['05-16 01:55']);
    expect(tickLabels([tick], 5)).toEqual(['01:55:05']);
    expect(tickLabels([tick], 0.1)).toEqual(['01:55:05.250']);
  });
});

describe('histogram bucketText', () => {
  it('names the largest whole unit', () => {
    expect(bucketText(1000)).toBe('1 second');
    expect(bucketText(300_000)).toBe('5 minutes');
    expect(bucketText(10_800_000)).toBe('3 hours');
    expect(bucketText(2_592_000_000)).toBe('30 days');
    expect(bucketText(1500)).toBe('1,500 milliseconds');
  });
});
