/**
 * A small responsive line chart on uPlot (loaded only with the views that draw one). The data
 * is also given as text (a table summary in the figure caption) for screen readers.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Draw as steps (a best-so-far value that holds until it changes). */
  stepped?: boolean;
  dash?: number[];
  points?: boolean;
}

export interface LineChartProps {
  /** x values, then one y array per series (null where a series has no value). */
  data: [number[], ...(number | null)[][]];
  series: ChartSeries[];
  xLabel: string;
  yLabel: string;
  /** Logarithmic y (only applied when every value is > 0). */
  logY?: boolean;
  height?: number;
  /** Formats x values on the axis and in the legend. */
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  /** Formats y axis ticks (default: formatY). */
  formatTickY?: (y: number) => string;
  testId?: string;
}

export function LineChart({
  data,
  series,
  xLabel,
  yLabel,
  logY = false,
  height = 220,
  formatX,
  formatY,
  formatTickY,
  testId,
}: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const values = data.slice(1).flat();
  const positive = values.every((v) => v === null || v > 0);
  const useLog = logY && positive && values.some((v) => v !== null);
  const shapeKey = JSON.stringify([series, xLabel, yLabel, useLog, height]);

  // (Re)build the chart when its shape changes; data changes only call setData below.
  // biome-ignore lint/correctness/useExhaustiveDependencies: shapeKey captures the shape
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmtX = formatX ?? ((x: number) => String(x));
    const fmtY = formatY ?? ((y: number) => String(y));
    const fmtTick = formatTickY ?? fmtY;
    // Canvas does not read CSS variables: take the theme's colours as they are now.
    const css = getComputedStyle(el);
    const axisColor = css.getPropertyValue('--fg-muted').trim() || '#59636e';
    const gridColor = css.getPropertyValue('--border').trim() || '#d5d9de';
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false }, y: useLog ? { distr: 3 } : {} },
      axes: [
        {
          label: xLabel,
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor, width: 1 },
          values: (_u, splits) => splits.map((x) => fmtX(x)),
        },
        {
          label: yLabel,
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor, width: 1 },
          size: 56,
          values: (_u, splits) => splits.map((y) => (y === null ? '' : fmtTick(y))),
        },
      ],
      series: [
        { label: xLabel, value: (_u, x) => (x === null ? '—' : fmtX(x)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
          points: { show: s.points ?? true, size: 5, fill: s.color },
          spanGaps: true,
          value: (_u: uPlot, y: number | null) => (y === null ? '—' : fmtY(y)),
        })),
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    const chart = new uPlot(opts, data as uPlot.AlignedData, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(200, el.clientWidth), height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shapeKey]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <div
      className="chart"
      ref={box}
      data-testid={testId}
      data-points={data[0].length}
      role="img"
      aria-label={`${yLabel} by ${xLabel}: ${data[0].length} points`}
    />
  );
}
