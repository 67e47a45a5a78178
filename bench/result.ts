/**
 * The result of a bench invocation: one JSON object (the last stdout line, and result.json),
 * built from every run of every side. Figures are the scenario's, flat; with several rounds
 * each figure is the median per side, the per-round values are kept under `rounds`, and with
 * `--vs` the peer's medians go under `vs` and `ratio` is fleetgate / peer for each number.
 */
import { cpus, platform, release, arch, totalmem } from 'node:os';
import { encodeHistogram, percentileCurve, type Histogram, type PercentilePoint } from './histogram.js';
import type { OptionValue } from './options.js';
import type { PeerName } from './peers/peer.js';
import { formatUs } from './progress.js';
import { combineServerStats, type MinAvgMax, type ServerStats } from './sampling/sampler.js';
import type { Figure, Side } from './scenario.js';

export interface Machine {
  readonly cpus: number;
  readonly model: string;
  readonly memory_bytes: number;
  readonly node: string;
  readonly os: string;
}

export function machineInfo(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    memory_bytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
  };
}

/** One run of one side in one round. */
export interface SideRun {
  readonly side: Side;
  readonly round: number;
  readonly figures: Readonly<Record<string, Figure>>;
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  readonly histograms: Readonly<Record<string, Histogram>>;
  /** `throughput` (from progress) plus the scenario's own series. */
  readonly series: Readonly<Record<string, readonly number[]>>;
  readonly server: ServerStats | undefined;
  readonly durationMs: number;
  /** Set when the run did not complete (hard cap, crash): its figures are partial or empty. */
  readonly failure?: { readonly code: string; readonly message: string };
}

export interface RunRecord {
  readonly scenario: string;
  readonly parameters: Readonly<Record<string, OptionValue>>;
  readonly machine: Machine;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly peer: PeerName | undefined;
  readonly runs: readonly SideRun[];
  /** Figures shown on the summary line (default: the first four). */
  readonly headline?: readonly string[];
  /** A failure outside any run (peer did not start). */
  readonly failure?: { readonly code: string; readonly message: string };
}

export type ServerJson = Record<string, MinAvgMax | number | string>;

export interface SideJson {
  readonly figures: Record<string, Figure>;
  readonly errors: number;
  readonly errors_by_code: Record<string, number>;
  readonly server?: ServerJson;
}

export interface RunDetail {
  readonly side: Side;
  readonly round: number;
  readonly histograms: Record<string, { count: number; percentiles: PercentilePoint[]; encoded: string }>;
  readonly series: Readonly<Record<string, readonly number[]>>;
}

/** Keys of the result object that figures may not take. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  'scenario', 'parameters', 'machine', 'started_at', 'finished_at', 'errors', 'errors_by_code',
  'server', 'vs', 'ratio', 'rounds', 'failure', 'detail',
]);

export type BenchResult = Record<string, unknown> & {
  scenario: string;
  parameters: Record<string, OptionValue>;
  machine: Machine;
  errors: number;
};

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Per figure: the median of numbers across runs; for strings and booleans, the first run's value. */
export function medianFigures(runs: readonly SideRun[]): Record<string, Figure> {
  const out: Record<string, Figure> = {};
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.figures)))];
  for (const name of names) {
    const values = runs.map((r) => r.figures[name]).filter((v): v is Figure => v !== undefined);
    if (values.every((v) => typeof v === 'number')) out[name] = round4(median(values as number[]));
    else if (values[0] !== undefined) out[name] = values[0];
  }
  return out;
}

/** fleetgate / peer for every numeric figure both sides have; a zero peer value gives null. */
export function ratios(a: Readonly<Record<string, Figure>>, b: Readonly<Record<string, Figure>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, av] of Object.entries(a)) {
    const bv = b[k];
    if (typeof av !== 'number' || typeof bv !== 'number') continue;
    out[k] = bv === 0 ? null : round4(av / bv);
  }
  return out;
}

function round4(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 10_000) / 10_000 : n;
}

function sideJson(runs: readonly SideRun[]): SideJson {
  const errorsByCode: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.errorsByCode)) errorsByCode[k] = (errorsByCode[k] ?? 0) + v;
  const server = combineServerStats(runs.map((r) => r.server).filter((s): s is ServerStats => s !== undefined));
  return {
    figures: medianFigures(runs),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    errors_by_code: errorsByCode,
    ...(server === undefined ? {} : { server: flattenServer(server) }),
  };
}

/** `server` in the JSON: source and counts, then each figure's min / avg / max at the top level. */
export function flattenServer(s: ServerStats): ServerJson {
  return {
    source: s.source,
    samples: s.samples,
    sample_errors: s.sample_errors,
    ...(s.last_error === undefined ? {} : { last_error: s.last_error }),
    ...s.figures,
  };
}

/** `peerless`: the scenario runs no --vs peer, so `ratio` is free for a figure of its own (the
 *  hashing scenario's pool/bare ratio). */
export function checkFigureNames(figures: Readonly<Record<string, Figure>>, scenario: string, peerless = false): void {
  for (const k of Object.keys(figures)) {
    if (peerless && k === 'ratio') continue;
    if (RESERVED_KEYS.has(k)) throw new TypeError(`scenario ${scenario}: figure name "${k}" is reserved in the result`);
  }
}

/** The result object. `detail` (curves, series, encoded histograms) only with `withDetail`. */
export function buildResult(record: RunRecord, withDetail: boolean): BenchResult {
  const a = record.runs.filter((r) => r.side === 'fleetgate');
  const b = record.runs.filter((r) => r.side === 'peer');
  const sa = sideJson(a);
  const result: BenchResult = {
    scenario: record.scenario,
    parameters: { ...record.parameters },
    machine: record.machine,
    started_at: record.startedAt,
    finished_at: record.finishedAt,
    ...sa.figures,
    errors: sa.errors,
    errors_by_code: sa.errors_by_code,
  };
  if (sa.server !== undefined) result['server'] = sa.server;
  const failures = [record.failure, ...record.runs.map((r) => r.failure)].filter((f) => f !== undefined);
  if (failures[0] !== undefined) result['failure'] = failures[0];
  if (record.peer !== undefined) {
    const sb = sideJson(b);
    result['vs'] = { peer: record.peer, ...sb.figures, errors: sb.errors, errors_by_code: sb.errors_by_code, ...(sb.server ? { server: sb.server } : {}) };
    result['ratio'] = ratios(sa.figures, sb.figures);
  }
  if (record.runs.length > 1) {
    const rounds = [...new Set(record.runs.map((r) => r.round))].sort((x, y) => x - y);
    result['rounds'] = rounds.map((round) => {
      const entry: Record<string, unknown> = { round };
      for (const r of record.runs.filter((x) => x.round === round)) {
        entry[r.side === 'fleetgate' ? 'fleetgate' : 'peer'] = { ...r.figures, errors: r.errors, duration_ms: Math.round(r.durationMs) };
      }
      return entry;
    });
  }
  if (withDetail) result['detail'] = { runs: record.runs.map(runDetail) };
  return result;
}

function runDetail(r: SideRun): RunDetail {
  const histograms: RunDetail['histograms'] = {};
  for (const [name, h] of Object.entries(r.histograms)) {
    histograms[name] = { count: h.totalCount, percentiles: percentileCurve(h), encoded: encodeHistogram(h) };
  }
  return { side: r.side, round: r.round, histograms, series: r.series };
}

function show(name: string, v: Figure | undefined): string {
  if (v === undefined) return '-';
  if (typeof v === 'number' && name.endsWith('_us')) return formatUs(v);
  return String(v);
}

/** The one-line human summary for stderr; a run with errors or a failure says so. */
export function summaryLine(result: BenchResult, headline: readonly string[] | undefined): string {
  const peerless = result['vs'] === undefined;
  const figureNames = Object.keys(result).filter(
    (k) =>
      (!RESERVED_KEYS.has(k) || (peerless && k === 'ratio')) &&
      (typeof result[k] === 'number' || typeof result[k] === 'string' || typeof result[k] === 'boolean'),
  );
  const names = (headline ?? figureNames.slice(0, 4)).filter((n) => figureNames.includes(n));
  const vs = result['vs'] as Record<string, Figure> | undefined;
  const ratio = result['ratio'] as Record<string, number | null> | undefined;
  const parts = names.map((n) => {
    const a = show(n, result[n] as Figure);
    if (vs === undefined) return `${n} ${a}`;
    const r = ratio?.[n];
    return `${n} ${a} vs ${show(n, vs[n])}${typeof r === 'number' ? ` (x${r})` : ''}`;
  });
  const head = vs === undefined ? `${result.scenario}:` : `${result.scenario} fleetgate vs ${String(vs['peer'])}:`;
  let line = `${head} ${parts.join(', ')}`;
  const errors = result.errors + (typeof vs?.['errors'] === 'number' ? vs['errors'] : 0);
  if (errors > 0) {
    const byCode = { ...(result['errors_by_code'] as Record<string, number>) };
    const peerCodes = (vs as Record<string, unknown> | undefined)?.['errors_by_code'] as Record<string, number> | undefined;
    for (const [k, v] of Object.entries(peerCodes ?? {})) byCode[k] = (byCode[k] ?? 0) + v;
    const codes = Object.entries(byCode).map(([k, v]) => `${k} ${v}`).join(', ');
    line += ` - WITH ${errors} ERRORS (${codes})`;
  } else line += ' - no errors';
  const failure = result['failure'] as { code: string; message: string } | undefined;
  if (failure !== undefined) line += ` - FAILED: ${failure.code}: ${failure.message}`;
  return line;
}
