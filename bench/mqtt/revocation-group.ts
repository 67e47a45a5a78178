/**
 * One thread's share of a revocation storm: its sessions opened (and, optionally, each having
 * published once), then, from the moment it is told the trigger is near, the instant each
 * session's connection ends, on the clock every thread shares (`performance.timeOrigin +
 * performance.now()`, epoch milliseconds with sub-millisecond resolution).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { BenchCodes, BenchError } from '../errors.js';
import { inBatches } from './devices.js';
import { LeanConnection, refusal } from './lean.js';

export interface SessionGroupOptions {
  readonly host: string;
  readonly port: number;
  readonly protocolVersion: 4 | 5;
  /** Global session indexes of this group: [first, first + count). */
  readonly first: number;
  readonly count: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly clientIdPrefix: string;
  readonly localAddresses: readonly string[];
  readonly keepaliveSec: number;
  /** Connects (and first publishes) in flight while the sessions open. */
  readonly concurrency: number;
  /** Each session publishes once (QoS 1, PUBACK awaited) to this topic before the trigger. */
  readonly publish?: { readonly topic: string; readonly payload: string };
}

export interface GroupReport {
  /** Per session: epoch ms of its end, NaN while open. */
  readonly ends: Float64Array;
  /** MQTT 5 DISCONNECT reason codes received, by "0x87". */
  readonly reasons: Record<string, number>;
  /** Event-loop active time of this thread since `arm()`. */
  readonly busyMs: number;
}

export const epochNow = (): number => performance.timeOrigin + performance.now();

export class SessionGroup {
  readonly #o: SessionGroupOptions;
  readonly #conns: LeanConnection[] = [];
  #ended = 0;
  #wake: (() => void) | undefined;
  #elu0: EventLoopUtilization | undefined;

  constructor(options: SessionGroupOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#conns.length;
  }

  /** Opens every session; rejects (coded) on the first refusal or failure. */
  async open(signal?: AbortSignal): Promise<void> {
    const o = this.#o;
    const indexes = Array.from({ length: o.count }, (_, k) => o.first + k);
    const topic = o.publish === undefined ? undefined : Buffer.from(o.publish.topic);
    const payload = o.publish === undefined ? undefined : Buffer.from(o.publish.payload);
    await inBatches(indexes, o.concurrency, async (i) => {
      if (signal?.aborted === true) throw new BenchError(BenchCodes.HARD_CAP, 'stopped while opening sessions');
      const local = o.localAddresses.length === 0 ? undefined : o.localAddresses[i % o.localAddresses.length];
      const c = new LeanConnection({
        host: o.host,
        port: o.port,
        ...(local === undefined ? {} : { localAddress: local }),
        clientId: `${o.clientIdPrefix}-${i}`,
        ...(o.username === undefined || o.password === undefined ? {} : { username: o.username, password: o.password }),
        protocolVersion: o.protocolVersion,
        keepaliveSec: o.keepaliveSec,
        connectTimeoutMs: 30_000,
        onEnded: () => {
          this.#ended++;
          if (this.#ended === this.#conns.length) this.#wake?.();
        },
      });
      this.#conns.push(c);
      const code = await c.connect();
      if (code !== 0) throw new BenchError(BenchCodes.MQTT_REFUSED, `session ${i} refused: ${refusal(code, o.protocolVersion)}`);
      if (topic !== undefined && payload !== undefined) await c.publishOnce(topic, payload, 30_000);
    });
  }

  /** The trigger is near: busy time counts from here. */
  arm(): void {
    this.#elu0 = performance.eventLoopUtilization();
  }

  /** Resolves when every session ended, or at `deadlineEpochMs`, with the ends. */
  async collect(deadlineEpochMs: number): Promise<GroupReport> {
    if (this.#ended < this.#conns.length) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, Math.max(0, deadlineEpochMs - epochNow()));
      });
      clearTimeout(timer);
    }
    const busyMs = this.#elu0 === undefined ? 0 : performance.eventLoopUtilization(this.#elu0).active;
    // endedAt is on this thread's performance.now() axis: moved to the shared epoch axis.
    const ends = new Float64Array(this.#conns.length);
    const reasons: Record<string, number> = {};
    this.#conns.forEach((c, k) => {
      ends[k] = Number.isNaN(c.endedAt) ? Number.NaN : performance.timeOrigin + c.endedAt;
      if (c.disconnectReason !== undefined) {
        const key = `0x${c.disconnectReason.toString(16).padStart(2, '0')}`;
        reasons[key] = (reasons[key] ?? 0) + 1;
      }
    });
    return { ends, reasons, busyMs };
  }

  destroy(): void {
    for (const c of this.#conns) c.destroy();
  }
}
