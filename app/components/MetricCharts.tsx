/**
 * The live view's charts: each domain's verified best metric over the chain's blocks (from
 * `doin.metricHistory()`, refetched on every new head), one small chart per domain.
 */
import { useMemo } from 'react';
import type { MetricPoint } from '../../src/node/api';
import { formatMetric, formatTick } from '../format';
import { useNodeQuery } from '../hooks';
import { useNodeStore } from '../store';
import { LineChart } from './LineChart';

const COLORS = ['#2f7de1', '#d9480f', '#2b8a3e', '#9c36b5', '#c2255c'];

export default function MetricCharts() {
  const history = useNodeQuery('metric-history', (node) => node.metricHistory());
  const height = useNodeStore((s) => s.status?.head.height ?? 0);
  const domains = useNodeStore((s) => s.status?.domains);
  const domainIds = useMemo(() => (domains ?? []).map((d) => d.id).join(','), [domains]);

  const byDomain = useMemo(() => {
    const groups = new Map<string, MetricPoint[]>();
    for (const id of domainIds.split(',').filter(Boolean)) groups.set(id, []);
    for (const point of history.data ?? []) {
      const list = groups.get(point.domainId) ?? [];
      list.push(point);
      groups.set(point.domainId, list);
    }
    return [...groups.entries()].map(([domainId, points]) => {
      const sorted = [...points].sort((a, b) => a.height - b.height);
      const xs = sorted.map((p) => p.height);
      const ys: (number | null)[] = sorted.map((p) => p.metric);
      // The best holds until it changes: carry the last value on to the head.
      const last = sorted.at(-1);
      if (last && height > last.height) {
        xs.push(height);
        ys.push(last.metric);
      }
      // The first point is the domain's initial metric (at genesis), not an improvement.
      const improvements = sorted.filter((p) => p.height > 0).length;
      return { domainId, data: [xs, ys] as [number[], (number | null)[]], improvements };
    });
  }, [history.data, domainIds, height]);

  if (history.error) {
    return (
      <p className="notice" role="status">
        {history.error}
      </p>
    );
  }
  if (history.data === undefined) return <p className="muted">Loading the chain’s history…</p>;
  return (
    <div className="chart-grid">
      {byDomain.map(({ domainId, data, improvements }, i) => (
        <figure key={domainId} className="chart-card" data-testid={`chart-${domainId}`}>
          <figcaption>
            <strong>{domainId}</strong>: best metric over blocks{' '}
            <span className="muted">
              (
              {improvements === 0
                ? 'no verified improvement yet'
                : `${improvements} ${improvements === 1 ? 'improvement' : 'improvements'}, now ${formatMetric(data[1][data[1].length - 1])}`}
              )
            </span>
          </figcaption>
          {improvements === 0 ? (
            <p className="muted chart-empty">The chart fills in as blocks verify better models.</p>
          ) : (
            <LineChart
              data={data}
              series={[
                { label: 'best', color: COLORS[i % COLORS.length] ?? '#2f7de1', stepped: true },
              ]}
              xLabel="block height"
              yLabel="metric"
              logY
              height={180}
              formatX={(x) => String(Math.round(x))}
              formatY={formatMetric}
              formatTickY={formatTick}
              testId={`chart-plot-${domainId}`}
            />
          )}
        </figure>
      ))}
    </div>
  );
}
