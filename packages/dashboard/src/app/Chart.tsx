import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  color: string;
  values: Array<number | null>;
  /** Right-hand axis (counts) instead of the sentiment axis. */
  counts?: boolean;
}

/** A uPlot line chart that follows its container's width. Timestamps in ms. */
export function LineChart({ x, series, height = 220 }: { x: number[]; series: Series[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}:${s.counts ? 1 : 0}`).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: true }, s: { range: [-1, 1] }, n: {} },
      axes: [
        { stroke: '#667085', grid: { stroke: '#eef0f3' } },
        { scale: 's', stroke: '#667085', grid: { stroke: '#eef0f3' } },
        ...(series.some((s) => s.counts)
          ? [{ scale: 'n', side: 1, stroke: '#98a2b3', grid: { show: false } }]
          : []),
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          scale: s.counts ? 'n' : 's',
          spanGaps: true,
          ...(s.counts ? { fill: `${s.color}22` } : {}),
        })),
      ],
      legend: { show: true },
    };
    const u = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change shape; data updates go through setData.
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);

  return <div class="chart" ref={box} />;
}
