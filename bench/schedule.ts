/**
 * Open-loop arrival schedule: send k is due at `startMs + k * 1000 / rate`, computed from k
 * each time (never by adding intervals, which drifts by float error over millions of sends).
 * Pure arithmetic, so the load loop's pacing is tested without a clock.
 */

export class OpenLoopSchedule {
  readonly startMs: number;
  readonly ratePerSec: number;
  /** Total sends this schedule allows (Infinity when only a duration bounds the run). */
  readonly limit: number;

  constructor(startMs: number, ratePerSec: number, limit = Number.POSITIVE_INFINITY) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) {
      throw new TypeError(`OpenLoopSchedule: rate must be a positive finite number, got ${ratePerSec}`);
    }
    if (!(limit >= 0)) throw new TypeError(`OpenLoopSchedule: limit must be >= 0, got ${limit}`);
    this.startMs = startMs;
    this.ratePerSec = ratePerSec;
    this.limit = limit;
  }

  get intervalMs(): number {
    return 1000 / this.ratePerSec;
  }

  /** When send `k` (0-based) is meant to go out. */
  intendedAt(k: number): number {
    return this.startMs + (k * 1000) / this.ratePerSec;
  }

  /** How many sends are due at time `t` (intended time <= t), capped by the limit. */
  dueBy(tMs: number): number {
    if (tMs < this.startMs) return 0;
    const n = Math.floor(((tMs - this.startMs) * this.ratePerSec) / 1000) + 1;
    return Math.min(n, this.limit);
  }

  /** How many sends have their intended time in [fromMs, toMs). */
  countIn(fromMs: number, toMs: number): number {
    if (toMs <= fromMs) return 0;
    return this.dueBefore(toMs) - this.dueBefore(fromMs);
  }

  /** Sends with intended time strictly before `tMs`. */
  dueBefore(tMs: number): number {
    if (tMs <= this.startMs) return 0;
    const n = Math.ceil(((tMs - this.startMs) * this.ratePerSec) / 1000);
    return Math.min(n, this.limit);
  }
}

/**
 * Splits an integer total into `parts` integers that differ by at most one and sum to the
 * total (first parts get the remainder): concurrency lanes and counts per worker.
 */
export function splitEvenly(total: number, parts: number): number[] {
  if (!Number.isInteger(parts) || parts < 1) throw new TypeError(`splitEvenly: parts must be a positive integer, got ${parts}`);
  if (!Number.isInteger(total) || total < 0) throw new TypeError(`splitEvenly: total must be a non-negative integer, got ${total}`);
  const base = Math.floor(total / parts);
  const rest = total % parts;
  const out: number[] = [];
  for (let i = 0; i < parts; i++) out.push(base + (i < rest ? 1 : 0));
  return out;
}

/**
 * One worker's share of a global open-loop schedule of `ratePerSec` across `workers` workers:
 * each worker runs at rate/workers, phase-shifted by its index, so that the union of the
 * workers' sends is the global evenly spaced schedule (global send g = k * workers + index).
 */
export function workerSchedule(
  startMs: number,
  ratePerSec: number,
  workers: number,
  index: number,
  globalLimit = Number.POSITIVE_INFINITY,
): OpenLoopSchedule {
  const offset = (index * 1000) / ratePerSec;
  const limit = Number.isFinite(globalLimit) ? Math.max(0, Math.ceil((globalLimit - index) / workers)) : globalLimit;
  return new OpenLoopSchedule(startMs + offset, ratePerSec / workers, limit);
}
