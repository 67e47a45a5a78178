/**
 * Server-side sampling during a run: every `intervalMs`, read either the server's Prometheus
 * `/metrics` or a peer's `/proc/<pid>` files, and keep min / avg / max per figure. CPU is a
 * rate (CPU seconds per wall second, in percent), so it needs two samples; a sampler always
 * takes one at start and one at stop, so even a sub-second run reports it.
 */
import { performance } from 'node:perf_hooks';
import { errorMessage } from '../errors.js';
import { parsePrometheusText, seriesValue } from './prometheus.js';
import { readProcSample } from './proc.js';

export interface MinAvgMax {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

/** A series to read from /metrics; a bare name aggregates label sets with `max`. */
export type SeriesRequest = string | { readonly name: string; readonly aggregate: 'sum' | 'max' };

export type ServerSource =
  | { readonly metricsUrl: string; readonly series?: readonly SeriesRequest[] }
  | { readonly pid: number };

export interface ServerStats {
  /** The metrics URL or "pid <n>". */
  readonly source: string;
  readonly samples: number;
  readonly sample_errors: number;
  /** The first sampling error, to say why figures are missing. */
  readonly last_error?: string;
  /** cpu_percent, rss_bytes and each requested series. */
  readonly figures: Readonly<Record<string, MinAvgMax>>;
}

export interface ServerSampler {
  /** Takes a last sample, stops, and returns the statistics. Idempotent. */
  stop(): Promise<ServerStats>;
}

/** Running min / sum / max of one figure. */
export class Stat {
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #sum = 0;
  #n = 0;

  add(v: number): void {
    if (!Number.isFinite(v)) return;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    this.#sum += v;
    this.#n++;
  }

  get count(): number {
    return this.#n;
  }

  value(): MinAvgMax | undefined {
    if (this.#n === 0) return undefined;
    // Significant digits, not decimals: series in seconds (loop delay) are small numbers.
    const round = (x: number): number => Number(x.toPrecision(6));
    return { min: round(this.#min), avg: round(this.#sum / this.#n), max: round(this.#max) };
  }
}

interface Reading {
  /** Monotonic ms when read. */
  readonly at: number;
  readonly cpuSeconds: number | undefined;
  readonly values: Record<string, number>;
}

type Reader = () => Promise<Reading>;

export function startServerSampler(source: ServerSource, intervalMs = 1000): ServerSampler {
  const read = 'pid' in source ? procReader(source.pid) : metricsReader(source.metricsUrl, source.series ?? []);
  const label = 'pid' in source ? `pid ${source.pid}` : source.metricsUrl;
  return new Sampler(label, read, intervalMs);
}

class Sampler implements ServerSampler {
  readonly #label: string;
  readonly #read: Reader;
  readonly #stats = new Map<string, Stat>();
  readonly #timer: NodeJS.Timeout;
  #previous: Reading | undefined;
  #samples = 0;
  #errors = 0;
  #lastError: string | undefined;
  #chain: Promise<void>;
  #result: Promise<ServerStats> | undefined;

  constructor(label: string, read: Reader, intervalMs: number) {
    this.#label = label;
    this.#read = read;
    this.#chain = this.#sample();
    // Samples are chained, never overlapping: a slow /metrics cannot pile up requests.
    this.#timer = setInterval(() => {
      this.#chain = this.#chain.then(() => this.#sample());
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): Promise<ServerStats> {
    if (this.#result === undefined) {
      clearInterval(this.#timer);
      this.#result = this.#chain.then(() => this.#sample()).then(() => this.#stats_());
    }
    return this.#result;
  }

  async #sample(): Promise<void> {
    let r: Reading;
    try {
      r = await this.#read();
    } catch (err) {
      this.#errors++;
      this.#lastError ??= errorMessage(err);
      return;
    }
    this.#samples++;
    for (const [k, v] of Object.entries(r.values)) this.#stat(k).add(v);
    const p = this.#previous;
    if (p !== undefined && p.cpuSeconds !== undefined && r.cpuSeconds !== undefined && r.at > p.at) {
      this.#stat('cpu_percent').add(((r.cpuSeconds - p.cpuSeconds) / ((r.at - p.at) / 1000)) * 100);
    }
    this.#previous = r;
  }

  #stat(name: string): Stat {
    let s = this.#stats.get(name);
    if (s === undefined) {
      s = new Stat();
      this.#stats.set(name, s);
    }
    return s;
  }

  #stats_(): ServerStats {
    const figures: Record<string, MinAvgMax> = {};
    for (const [k, s] of [...this.#stats.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const v = s.value();
      if (v !== undefined) figures[k] = v;
    }
    return {
      source: this.#label,
      samples: this.#samples,
      sample_errors: this.#errors,
      ...(this.#lastError === undefined ? {} : { last_error: this.#lastError }),
      figures,
    };
  }
}

function procReader(pid: number): Reader {
  return async () => {
    const s = await readProcSample(pid);
    return { at: performance.now(), cpuSeconds: s.cpuSeconds, values: { rss_bytes: s.rssBytes } };
  };
}

function metricsReader(url: string, series: readonly SeriesRequest[]): Reader {
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
    const text = await res.text();
    const at = performance.now();
    const samples = parsePrometheusText(text);
    const values: Record<string, number> = {};
    const rss = seriesValue(samples, 'process_resident_memory_bytes', 'sum');
    if (rss !== undefined) values['rss_bytes'] = rss;
    for (const req of series) {
      const name = typeof req === 'string' ? req : req.name;
      const v = seriesValue(samples, name, typeof req === 'string' ? 'max' : req.aggregate);
      if (v !== undefined) values[name] = v;
    }
    return { at, cpuSeconds: seriesValue(samples, 'process_cpu_seconds_total', 'sum'), values };
  };
}

/** Combines the stats of several rounds: min of mins, mean of averages, max of maxes. */
export function combineServerStats(parts: readonly ServerStats[]): ServerStats | undefined {
  const first = parts[0];
  if (first === undefined) return undefined;
  const names = new Set(parts.flatMap((p) => Object.keys(p.figures)));
  const figures: Record<string, MinAvgMax> = {};
  for (const name of [...names].sort()) {
    const vs = parts.map((p) => p.figures[name]).filter((v): v is MinAvgMax => v !== undefined);
    figures[name] = {
      min: Math.min(...vs.map((v) => v.min)),
      avg: Number((vs.reduce((a, v) => a + v.avg, 0) / vs.length).toPrecision(6)),
      max: Math.max(...vs.map((v) => v.max)),
    };
  }
  const lastError = parts.find((p) => p.last_error !== undefined)?.last_error;
  return {
    source: first.source,
    samples: parts.reduce((a, p) => a + p.samples, 0),
    sample_errors: parts.reduce((a, p) => a + p.sample_errors, 0),
    ...(lastError === undefined ? {} : { last_error: lastError }),
    figures,
  };
}
