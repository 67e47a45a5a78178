/**
 * What the report shows, computed from the result object alone (so a report can be rebuilt
 * from any result.json): the figure table rows and the two charts.
 */
import { decodeHistogram, mergeHistograms, percentileCurve } from '../histogram.js';
import { RESERVED_KEYS, type BenchResult, type RunDetail } from '../result.js';
import type { Figure } from '../scenario.js';
import { PERCENTILE_TICKS, lineChart, niceTicks, nines, type ChartSeries } from './svg.js';

export interface FigureRow {
  readonly name: string;
  readonly fleetgate: Figure | undefined;
  readonly peer: Figure | undefined;
  readonly ratio: number | null | undefined;
}

const COLORS = { fleetgate: '#1f77b4', peer: '#d62728' } as const;

export function figureRows(result: BenchResult): FigureRow[] {
  const vs = result['vs'] as Record<string, unknown> | undefined;
  const ratio = result['ratio'] as Record<string, number | null> | undefined;
  const rows: FigureRow[] = [];
  for (const [name, v] of Object.entries(result)) {
    if (RESERVED_KEYS.has(name) || !isFigure(v)) continue;
    const p = vs?.[name];
    rows.push({ name, fleetgate: v, peer: isFigure(p) ? p : undefined, ratio: ratio?.[name] });
  }
  rows.push({
    name: 'errors',
    fleetgate: result.errors,
    peer: typeof vs?.['errors'] === 'number' ? vs['errors'] : undefined,
    ratio: undefined,
  });
  return rows;
}

function isFigure(v: unknown): v is Figure {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

function runs(result: BenchResult): RunDetail[] {
  const detail = result['detail'] as { runs?: RunDetail[] } | undefined;
  return detail?.runs ?? [];
}

export function peerLabel(result: BenchResult): string {
  const vs = result['vs'] as { peer?: string } | undefined;
  return vs?.peer ?? 'peer';
}

/** Latency percentiles, 50 % .. 99.999 % on a log "nines" axis, one line per side and histogram. */
export function latencyChart(result: BenchResult): string {
  const all = runs(result);
  const names = [...new Set(all.flatMap((r) => Object.keys(r.histograms)))].sort();
  const series: ChartSeries[] = [];
  let maxUs = 0;
  for (const side of ['fleetgate', 'peer'] as const) {
    const sideRuns = all.filter((r) => r.side === side);
    names.forEach((name, i) => {
      const parts = sideRuns.flatMap((r) => (r.histograms[name] ? [decodeHistogram(r.histograms[name].encoded)] : []));
      if (parts.length === 0) return;
      const curve = percentileCurve(mergeHistograms(parts));
      for (const p of curve) maxUs = Math.max(maxUs, p.us);
      series.push({
        label: `${side === 'fleetgate' ? 'fleetgate' : peerLabel(result)} ${name}`,
        color: COLORS[side],
        dashed: i % 2 === 1,
        points: curve.map((p) => [nines(p.p), p.us / 1000] as const),
      });
    });
  }
  const y = niceTicks(maxUs / 1000, 5, (v) => `${v} ms`);
  return lineChart({
    title: `${result.scenario}: latency by percentile`,
    xLabel: 'percentile',
    yLabel: 'latency (ms)',
    xDomain: [nines(50), nines(99.999)],
    yDomain: [0, y.top],
    xTicks: PERCENTILE_TICKS,
    yTicks: y.ticks,
    series,
  });
}

/** Successful operations per second over the measured window, one line per run. */
export function throughputChart(result: BenchResult): string {
  const series: ChartSeries[] = [];
  let maxY = 0;
  let maxX = 1;
  for (const r of runs(result)) {
    const values = r.series['throughput'] ?? [];
    if (values.length === 0) continue;
    maxX = Math.max(maxX, values.length);
    for (const v of values) maxY = Math.max(maxY, v);
    series.push({
      label: `${r.side === 'fleetgate' ? 'fleetgate' : peerLabel(result)} round ${r.round}`,
      color: COLORS[r.side],
      dashed: r.round % 2 === 0,
      points: values.map((v, i) => [i + 1, v] as const),
    });
  }
  const y = niceTicks(maxY, 5);
  const x = niceTicks(maxX, 6, (v) => `${v}s`);
  return lineChart({
    title: `${result.scenario}: throughput per second`,
    xLabel: 'second of the measured window',
    yLabel: 'ops/s',
    xDomain: [0, x.top],
    yDomain: [0, y.top],
    xTicks: x.ticks,
    yTicks: y.ticks,
    series,
  });
}
