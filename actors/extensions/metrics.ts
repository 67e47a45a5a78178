/**
 * Metrics of the built-in extensions. The per-message counts are plain numbers bumped on the hot
 * path and handed to prom-client only when /metrics is collected (a labelled prom-client `inc`
 * per message would cost more than the rest of an echo); a write's latency is observed once per
 * batch.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Why a request was not served. Metric label values; stable. */
export type RefusalReason =
  /** Not a ClientData record: cannot be answered. */
  | 'undecodable'
  /** The payload is not UTF-8 JSON (/json) or not a number or string (/plain). */
  | 'bad_payload'
  /** The resource path is not one the extension serves. */
  | 'unknown_path'
  /** The application version name cannot name a data file. */
  | 'bad_app_version'
  /** The payload is larger than allowed (413). */
  | 'too_large'
  /** The write queue is full (503). */
  | 'queue_full'
  /** Every open-file slot is busy with a write (503). */
  | 'too_many_files'
  /** The extension is stopping (503). */
  | 'stopping'
  /** The write failed (500). */
  | 'write_failed';

export class ExtensionMetrics {
  readonly #handled = new Map<string, number>();
  readonly #refused = new Map<string, number>();
  readonly #replyFailed = new Map<string, number>();
  #samples = 0;
  #writes: Histogram | null = null;

  constructor(registry?: Registry) {
    if (registry === undefined) return;
    const self = this;
    new Counter({
      name: 'fleetgate_extension_requests_total',
      help: 'ClientData requests an extension took in',
      labelNames: ['extension'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [extension, n] of self.#handled) this.inc({ extension }, n);
      },
    });
    new Counter({
      name: 'fleetgate_extension_requests_refused_total',
      help: 'ClientData requests an extension refused, by reason',
      labelNames: ['extension', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [k, n] of self.#refused) {
          const [extension, reason] = k.split('\u0000') as [string, string];
          this.inc({ extension, reason }, n);
        }
      },
    });
    new Counter({
      name: 'fleetgate_extension_replies_failed_total',
      help: 'ExtensionData answers the bus did not take (closed or overloaded)',
      labelNames: ['extension'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [extension, n] of self.#replyFailed) this.inc({ extension }, n);
      },
    });
    new Counter({
      name: 'fleetgate_dcx_samples_written_total',
      help: 'Data samples appended to the data-collection files',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(self.#samples);
      },
    });
    this.#writes = new Histogram({
      name: 'fleetgate_dcx_write_seconds',
      help: 'Latency of one batched append to a data-collection file',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
  }

  handled(extension: string): void {
    this.#handled.set(extension, (this.#handled.get(extension) ?? 0) + 1);
  }

  refused(extension: string, reason: RefusalReason, n = 1): void {
    const k = `${extension}\u0000${reason}`;
    this.#refused.set(k, (this.#refused.get(k) ?? 0) + n);
  }

  replyFailed(extension: string): void {
    this.#replyFailed.set(extension, (this.#replyFailed.get(extension) ?? 0) + 1);
  }

  samplesWritten(n: number): void {
    this.#samples += n;
  }

  writeLatency(seconds: number): void {
    this.#writes?.observe(seconds);
  }

  /** The counts so far, for tests and the bench. */
  snapshot(): { handled: Record<string, number>; refused: Record<string, number>; replyFailed: Record<string, number>; samplesWritten: number } {
    const refused: Record<string, number> = {};
    for (const [k, n] of this.#refused) refused[k.replace('\u0000', ':')] = n;
    return {
      handled: Object.fromEntries(this.#handled),
      refused,
      replyFailed: Object.fromEntries(this.#replyFailed),
      samplesWritten: this.#samples,
    };
  }
}
