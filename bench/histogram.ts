/**
 * Latency histograms: one shape for every figure (HDR, microseconds, 1 us .. 60 s, three
 * significant digits), so that histograms from workers, rounds and sides merge exactly.
 * Workers ship histograms across the thread hop in HdrHistogram's compressed base64 form;
 * the main thread decodes and adds them (addition of HDR histograms of the same shape is exact).
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

export type { Histogram };

/** 60 s in microseconds: anything slower is clamped here and counted by `recordLatencyUs`. */
export const HIGHEST_TRACKABLE_US = 60_000_000;
export const SIGNIFICANT_DIGITS = 3;

export function createLatencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    // A fixed range keeps every histogram the same shape, which keeps `add` exact and cheap.
    autoResize: false,
    bitBucketSize: 32,
    useWebAssembly: false,
  });
}

/**
 * Records one latency. Values are rounded to whole microseconds; negative values (a clock that
 * stepped) become 0; values beyond 60 s are clamped to 60 s rather than thrown away, because a
 * dropped outlier would flatter the tail. Returns true when the value had to be clamped.
 */
export function recordLatencyUs(h: Histogram, us: number): boolean {
  const v = Math.round(us);
  if (v > HIGHEST_TRACKABLE_US) {
    h.recordValue(HIGHEST_TRACKABLE_US);
    return true;
  }
  h.recordValue(v < 0 ? 0 : v);
  return false;
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = decodeFromCompressedBase64(encoded, 32, false, HIGHEST_TRACKABLE_US);
  // Re-home into a histogram built here so that every histogram in the main thread has the
  // exact same shape, whatever the decoder chose.
  const h = createLatencyHistogram();
  h.add(decoded);
  decoded.destroy();
  return h;
}

/** Adds every histogram of `parts` into a new histogram. */
export function mergeHistograms(parts: Iterable<Histogram>): Histogram {
  const out = createLatencyHistogram();
  for (const p of parts) out.add(p);
  return out;
}

export interface LatencySummary {
  count: number;
  min_us: number;
  mean_us: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  p9999_us: number;
  max_us: number;
}

/** The usual percentiles, in microseconds. An empty histogram summarises to zeros. */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) {
    return { count: 0, min_us: 0, mean_us: 0, p50_us: 0, p90_us: 0, p99_us: 0, p999_us: 0, p9999_us: 0, max_us: 0 };
  }
  return {
    count: h.totalCount,
    min_us: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue,
    mean_us: Math.round(h.mean * 10) / 10,
    p50_us: h.getValueAtPercentile(50),
    p90_us: h.getValueAtPercentile(90),
    p99_us: h.getValueAtPercentile(99),
    p999_us: h.getValueAtPercentile(99.9),
    p9999_us: h.getValueAtPercentile(99.99),
    max_us: h.maxValue,
  };
}

/**
 * Flat figures for a scenario result: `<prefix>_p50_us`, `<prefix>_p99_us`, ... so that a
 * scenario with several latencies (connect, publish) names each one.
 */
export function latencyFigures(prefix: string, h: Histogram): Record<string, number> {
  const s = summarize(h);
  return {
    [`${prefix}_count`]: s.count,
    [`${prefix}_mean_us`]: s.mean_us,
    [`${prefix}_p50_us`]: s.p50_us,
    [`${prefix}_p90_us`]: s.p90_us,
    [`${prefix}_p99_us`]: s.p99_us,
    [`${prefix}_p999_us`]: s.p999_us,
    [`${prefix}_max_us`]: s.max_us,
  };
}

export interface PercentilePoint {
  /** Percentile, 50 .. 99.999. */
  p: number;
  us: number;
}

/**
 * The percentile curve drawn in the report: points evenly spaced on the log10(1 / (1 - p))
 * axis from 50 % to 99.999 %, which is how HdrHistogram plots are read (each decade of nines
 * gets the same width).
 */
export function percentileCurve(h: Histogram, pointsPerDecade = 10): PercentilePoint[] {
  const out: PercentilePoint[] = [];
  if (h.totalCount === 0) return out;
  const from = Math.log10(2); // 50 %
  const to = 5; // 99.999 %
  const steps = Math.ceil((to - from) * pointsPerDecade);
  for (let i = 0; i <= steps; i++) {
    const x = from + ((to - from) * i) / steps;
    const p = Math.round((100 * (1 - Math.pow(10, -x))) * 1e6) / 1e6;
    out.push({ p, us: h.getValueAtPercentile(p) });
  }
  return out;
}

/**
 * Latency of one open-loop operation, measured from when it was meant to be sent. Measuring
 * from the actual send would hide every queueing delay the load generator suffered behind a
 * slow server: that is coordinated omission. All times in milliseconds (performance.now()),
 * result in microseconds.
 */
export function latencyFromIntendedUs(intendedMs: number, completedMs: number): number {
  return (completedMs - intendedMs) * 1000;
}
