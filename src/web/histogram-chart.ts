/// <reference lib="dom" />
/**
 * The histogram of events over time, drawn with uPlot. Dragging across it selects a time range
 * and calls `onZoom` with the range's first and last instant.
 */
import uPlot from 'uplot';
import type { Histogram } from './types.ts';

export interface HistogramChart {
  update(data: Histogram): void;
  destroy(): void;
}

const HEIGHT = 160;

export function createHistogram(
  container: HTMLElement,
  onZoom: (since: string, until: string) => void,
): HistogramChart {
  let bucketMs = 1000;
  const bars = uPlot.paths.bars?.({ size: [0.9, 40], align: 1 });
  const options: uPlot.Options = {
    width: Math.max(container.clientWidth, 300),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [{ stroke: '#555' }, { stroke: '#555', size: 50 }],
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
  const resize = new ResizeObserver(() =>
    chart.setSize({ width: Math.max(container.clientWidth, 300), height: HEIGHT }),
  );
  resize.observe(container);

  return {
    update(data: Histogram) {
      bucketMs = data.bucket_ms;
      // uPlot's time scale is in seconds.
      const times = data.buckets.map(([bucket]) => bucket / 1000);
      const counts = data.buckets.map(([, events]) => events);
      chart.setData([times, counts]);
      container.dataset.buckets = String(data.buckets.length);
      container.dataset.bucketMs = String(data.bucket_ms);
    },
    destroy() {
      resize.disconnect();
      chart.destroy();
    },
  };
}
