/**
 * Live progress on stderr, one line a second: rate, p50 / p99, errors, elapsed / remaining.
 * The same per-second samples become the run's throughput series (warm-up excluded), so any
 * scenario that reports progress gets the throughput chart for free.
 */
import type { LoadPlan, ProgressReporter, ProgressSample } from './scenario.js';

export function formatUs(us: number): string {
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${Math.round(us)} us`;
}

export class Progress implements ProgressReporter {
  readonly #label: string;
  readonly #write: ((line: string) => void) | undefined;
  readonly #plan: LoadPlan;
  readonly #series: number[] = [];
  #seconds = 0;
  #measuredOps = 0;
  #errors = 0;

  /** `write` undefined: quiet (samples are still kept for the series). */
  constructor(label: string, plan: LoadPlan, write: ((line: string) => void) | undefined) {
    this.#label = label;
    this.#plan = plan;
    this.#write = write;
  }

  second(s: ProgressSample): void {
    this.#seconds++;
    this.#errors += s.errors;
    if (s.warmup !== true) {
      if (s.partial !== true) this.#series.push(s.ops);
      this.#measuredOps += s.ops;
    }
    if (this.#write === undefined) return;
    const parts = [
      `[${this.#label}] ${this.#seconds}s${s.warmup === true ? ' warm-up' : ''}`,
      s.partial === true ? `${s.ops} ops (last fraction of a second)` : `${s.ops} ops/s`,
      ...(s.p50Us === undefined ? [] : [`p50 ${formatUs(s.p50Us)}`]),
      ...(s.p99Us === undefined ? [] : [`p99 ${formatUs(s.p99Us)}`]),
      `errors ${this.#errors}`,
      this.#remaining(),
    ];
    this.#write(parts.join('  '));
  }

  note(text: string): void {
    this.#write?.(`[${this.#label}] ${text}`);
  }

  /** Ops per measured second so far. */
  get series(): number[] {
    return [...this.#series];
  }

  #remaining(): string {
    const { durationMs, warmupMs, count } = this.#plan;
    if (durationMs !== undefined) {
      const left = Math.max(0, Math.ceil((warmupMs + durationMs) / 1000 - this.#seconds));
      return `remaining ${left}s`;
    }
    return count === undefined ? '' : `${this.#measuredOps}/${count} ops`;
  }
}
