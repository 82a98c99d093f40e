/// <reference lib="dom" />
/**
 * The histogram of events over time, drawn with uPlot. Dragging across it selects a time range
 * and calls `onZoom` with the range's first and last instant. The time axis is in UTC, as the
 * table is.
 */
import uPlot from 'uplot';
import { formatTime, h, plural, replace } from './dom.ts';
import type { Histogram } from './types.ts';

export interface HistogramChart {
  update(data: Histogram): void;
  destroy(): void;
}

const HEIGHT = 160;
/** Minimum number of bucket widths the x-axis spans, so one bucket or a few are drawn as bars. */
export const MIN_BUCKETS_SHOWN = 30;

/**
 * Returns the x-axis range in epoch milliseconds: from the first bucket's start to the last
 * bucket's end, widened evenly around its middle to at least `MIN_BUCKETS_SHOWN` buckets.
 */
export function timeRange(buckets: readonly number[], bucketMs: number): [number, number] | null {
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (first === undefined || last === undefined) return null;

  const start = first;
  const end = last + bucketMs;
  const shortfall = MIN_BUCKETS_SHOWN * bucketMs - (end - start);
  if (shortfall <= 0) return [start, end];
  return [start - shortfall / 2, end + shortfall / 2];
}

/**
 * Formats time-axis ticks in UTC, with the precision their spacing needs: days as
 * `2024-05-16`, minutes as `05-16 01:55`, seconds as `01:55:05` and below a second as
 * `01:55:05.250`. `ticks` and `spacing` are in seconds, as uPlot gives them.
 */
export function tickLabels(ticks: readonly number[], spacing: number): string[] {
  return ticks.map((tick) => {
    const iso = new Date(tick * 1000).toISOString();
    if (spacing >= 86_400) return iso.slice(0, 10);
    if (spacing >= 60) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
    if (spacing >= 1) return iso.slice(11, 19);
    return iso.slice(11, 23);
  });
}

/** Describes a bucket width in the largest whole unit, such as `1 second` or `3 hours`. */
export function bucketText(bucketMs: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (bucketMs >= size && bucketMs % size === 0) return plural(bucketMs / size, name);
  }
  return plural(bucketMs, 'millisecond');
}

export function createHistogram(
  container: HTMLElement,
  onZoom: (since: string, until: string) => void,
): HistogramChart {
  let bucketMs = 1000;
  let range: [number, number] | null = null;
  const bars = uPlot.paths.bars?.({ size: [0.9, 40], align: 1 });
  const options: uPlot.Options = {
    width: Math.max(container.clientWidth, 300),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: {
      x: {
        time: true,
        // uPlot's time scale is in seconds.
        range: (_chart, min, max) =>
          range === null ? [min, max] : [range[0] / 1000, range[1] / 1000],
      },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: [
      {
        stroke: '#555',
        // Minimum pixels between ticks: a `05-14 06:00` label is about 75 pixels wide.
        space: 100,
        values: (_chart, ticks, _axis, _space, spacing) => {
          const labels = tickLabels(ticks, spacing);
          container.dataset.ticks = labels.join('|');
          return labels;
        },
      },
      {
        stroke: '#555',
        // Wide enough for the longest count label, such as `120,000`, at about 7 pixels a digit.
        size: (_chart, labels) =>
          24 + 7 * Math.max(3, ...(labels ?? []).map((label) => String(label).length)),
      },
    ],
    series: [
      {},
      {
        label: 'events',
        fill: 'rgba(40, 100, 180, 0.6)',
        points: { show: false },
        stroke: 'rgb(40, 100, 180)',
        ...(bars ? { paths: bars } : {}),
      },
    ],
    hooks: {
      setSelect: [
        (chart) => {
          const { left, width } = chart.select;
          if (width < 2) return;
          // The range covers every bucket the selection touches, from its first millisecond to
          // its last: a bar starts at its bucket's time and is one bucket wide.
          const first = Math.floor((chart.posToVal(left, 'x') * 1000) / bucketMs) * bucketMs;
          const last = Math.floor((chart.posToVal(left + width, 'x') * 1000) / bucketMs) * bucketMs;
          chart.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onZoom(new Date(first).toISOString(), new Date(last + bucketMs - 1).toISOString());
        },
      ],
    },
  };
  const chart = new uPlot(options, [[], []], container);
  const caption = h('p', { class: 'caption', 'data-testid': 'histogram-caption' });
  container.append(caption);
  const resize = new ResizeObserver(() =>
    chart.setSize({ width: Math.max(container.clientWidth, 300), height: HEIGHT }),
  );
  resize.observe(container);

  return {
    update(data: Histogram) {
      bucketMs = data.bucket_ms;
      const starts = data.buckets.map(([bucket]) => bucket);
      range = timeRange(starts, bucketMs);
      const times = starts.map((bucket) => bucket / 1000);
      const counts = data.buckets.map(([, events]) => events);
      chart.setData([times, counts]);
      container.dataset.buckets = String(data.buckets.length);
      container.dataset.bucketMs = String(data.bucket_ms);
      if (range === null) {
        delete container.dataset.rangeStart;
        delete container.dataset.rangeEnd;
        replace(caption, 'no events selected');
        return;
      }
      const start = new Date(range[0]).toISOString();
      const end = new Date(range[1]).toISOString();
      container.dataset.rangeStart = start;
      container.dataset.rangeEnd = end;
      replace(
        caption,
        `${formatTime(start)} – ${formatTime(end)} UTC, bars of ${bucketText(bucketMs)}`,
      );
    },
    destroy() {
      resize.disconnect();
      chart.destroy();
    },
  };
}
