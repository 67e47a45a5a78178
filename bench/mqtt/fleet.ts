/**
 * A fleet of simulated devices over the raw client: N connections opened with jitter, kept
 * alive, publishing telemetry at a per-device rate. Connect latency is measured from each
 * device's scheduled connect time (so a generator-side queue cannot hide server slowness);
 * telemetry runs through the framework's open loop (`runLoop`), so its latency is measured
 * from the intended send time, like every other open-loop figure.
 */
import { performance } from 'node:perf_hooks';
import { BenchCodes, errorCode } from '../errors.js';
import type { LoadGenerator } from '../generator.js';
import { createLatencyHistogram, recordLatencyUs, type Histogram } from '../histogram.js';
import { runLoop, type LoopTotals, type TickSample } from '../loop.js';
import type { QoS01 } from './codec.js';
import { MqttBenchClient } from './client.js';

export interface DeviceIdentity {
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
}

export interface FleetOptions {
  readonly host: string;
  readonly port: number;
  readonly devices: number;
  /** Device `index`'s client id and credentials. */
  readonly identity: (index: number) => DeviceIdentity;
  readonly protocolVersion?: 4 | 5;
  readonly keepaliveSec?: number;
  readonly connectTimeoutMs?: number;
  /** QoS 1 window per device. */
  readonly maxInflight?: number;
  /** Injected for reproducible jitter in tests. Default Math.random. */
  readonly random?: () => number;
}

export interface ConnectReport {
  readonly attempted: number;
  readonly connected: number;
  /** Refused CONNACKs by "<code> <name>", e.g. "5 not authorized". */
  readonly refused: Readonly<Record<string, number>>;
  /** Connections that got no CONNACK, by error code. */
  readonly failed: Readonly<Record<string, number>>;
  /** From the first scheduled connect to the last CONNACK or failure. */
  readonly durationMs: number;
  /** Scheduled connect time to CONNACK, accepted connections only (microseconds). */
  readonly latency: Histogram;
}

export interface ConnectOptions {
  /** Connects start at uniformly random offsets in [0, jitterMs). Default 0 (all at once). */
  readonly jitterMs?: number;
  readonly signal?: AbortSignal;
}

export interface TelemetryOptions {
  readonly qos: QoS01;
  readonly payloadBytes: number;
  /** Topic of device `index` (encoded once per device). */
  readonly topic: (index: number) => string;
}

export interface TelemetryRun extends TelemetryOptions {
  readonly ratePerDevice: number;
  readonly durationMs?: number;
  readonly count?: number;
  readonly warmupMs?: number;
  /** Cap of publishes in flight across the fleet. Default 10 000. */
  readonly maxInflight?: number;
  readonly signal?: AbortSignal;
  readonly onTick?: (sample: TickSample) => void;
}

export class Fleet {
  readonly #o: FleetOptions;
  readonly #clients: Array<MqttBenchClient | undefined>;

  constructor(options: FleetOptions) {
    if (!Number.isInteger(options.devices) || options.devices < 1) {
      throw new TypeError(`Fleet: devices must be a positive integer, got ${options.devices}`);
    }
    this.#o = options;
    this.#clients = new Array<MqttBenchClient | undefined>(options.devices).fill(undefined);
  }

  get size(): number {
    return this.#o.devices;
  }

  get connectedCount(): number {
    let n = 0;
    for (const c of this.#clients) if (c?.connected === true) n++;
    return n;
  }

  /** The client of device `index` (undefined before its first connect). */
  client(index: number): MqttBenchClient | undefined {
    return this.#clients[index];
  }

  /** Connects every device that is not connected, with jitter. */
  async connectAll(options: ConnectOptions = {}): Promise<ConnectReport> {
    const random = this.#o.random ?? Math.random;
    const jitter = Math.max(0, options.jitterMs ?? 0);
    const todo: Array<{ index: number; offset: number }> = [];
    for (let i = 0; i < this.#o.devices; i++) {
      if (this.#clients[i]?.connected !== true) todo.push({ index: i, offset: jitter > 0 ? random() * jitter : 0 });
    }
    todo.sort((a, b) => a.offset - b.offset);
    const latency = createLatencyHistogram();
    const refused: Record<string, number> = {};
    const failed: Record<string, number> = {};
    let connected = 0;
    let last = performance.now();
    const start = last;
    const attempts: Promise<void>[] = [];
    for (const { index, offset } of todo) {
      if (options.signal?.aborted === true) break;
      const scheduled = start + offset;
      const wait = scheduled - performance.now();
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
      attempts.push(
        this.#connectOne(index).then(
          (code) => {
            last = Math.max(last, performance.now());
            if (code === undefined) {
              connected++;
              recordLatencyUs(latency, (performance.now() - scheduled) * 1000);
            } else refused[code] = (refused[code] ?? 0) + 1;
          },
          (err: unknown) => {
            last = Math.max(last, performance.now());
            const code = errorCode(err);
            failed[code] = (failed[code] ?? 0) + 1;
          },
        ),
      );
    }
    await Promise.all(attempts);
    return { attempted: attempts.length, connected, refused, failed, durationMs: last - start, latency };
  }

  /** Resolves undefined when accepted, or "<code> <name>" when refused. */
  async #connectOne(index: number): Promise<string | undefined> {
    const id = this.#o.identity(index);
    this.#clients[index]?.destroy();
    const client = new MqttBenchClient({
      host: this.#o.host,
      port: this.#o.port,
      clientId: id.clientId,
      username: id.username,
      password: id.password,
      protocolVersion: this.#o.protocolVersion ?? 4,
      keepaliveSec: this.#o.keepaliveSec ?? 60,
      connectTimeoutMs: this.#o.connectTimeoutMs ?? 10_000,
      maxInflight: this.#o.maxInflight ?? 64,
    });
    this.#clients[index] = client;
    const ack = await client.connect();
    return ack.code === 0 ? undefined : `${ack.code} ${ack.name}`;
  }

  /**
   * A load generator publishing telemetry round-robin over the devices: call k goes to device
   * k mod N, so an open loop at N x rate gives each device its rate. A device that is not
   * connected fails the call with ERR_MQTT_CLOSED (counted, never skipped).
   */
  telemetry(options: TelemetryOptions): LoadGenerator {
    const n = this.#o.devices;
    const topics = Array.from({ length: n }, (_, i) => Buffer.from(options.topic(i), 'utf8'));
    const payload = Buffer.alloc(options.payloadBytes, 0x61);
    let k = 0;
    return {
      call: () => {
        const i = k;
        k = k + 1 === n ? 0 : k + 1;
        const c = this.#clients[i];
        if (c === undefined || !c.connected) {
          return Promise.reject(Object.assign(new Error(`device ${i} is not connected`), { code: BenchCodes.MQTT_CLOSED }));
        }
        return c.publish(topics[i] as Buffer, payload, options.qos);
      },
    };
  }

  /** Runs telemetry in this thread for a duration and/or count, open loop at devices x rate. */
  runTelemetry(run: TelemetryRun): Promise<LoopTotals> {
    const rate = run.ratePerDevice * this.#o.devices;
    if (!(rate > 0)) throw new TypeError(`Fleet.runTelemetry: ratePerDevice must be > 0, got ${run.ratePerDevice}`);
    const signal = run.signal ?? new AbortController().signal;
    return runLoop(
      this.telemetry(run),
      {
        mode: 'open',
        lanes: run.maxInflight ?? 10_000,
        ratePerSec: rate,
        phaseMs: 0,
        limit: run.count ?? Number.POSITIVE_INFINITY,
        durationMs: run.durationMs ?? Number.POSITIVE_INFINITY,
        warmupMs: run.warmupMs ?? 0,
        drainMs: 5000,
      },
      { now: () => performance.now(), startMs: performance.now(), signal, onTick: run.onTick ?? (() => undefined) },
    );
  }

  /**
   * Disconnects every device: `graceful` sends DISCONNECT, `abrupt` drops TCP (a power cut or a
   * network partition, as the server sees it). Resolves once every socket is closed.
   */
  async disconnectAll(mode: 'graceful' | 'abrupt'): Promise<number> {
    let n = 0;
    const closing: Promise<void>[] = [];
    for (const c of this.#clients) {
      if (c === undefined) continue;
      if (c.connected) n++;
      if (mode === 'graceful') closing.push(c.close());
      else c.destroy();
    }
    await Promise.all(closing);
    return n;
  }

  /** Closes every connection gracefully. */
  async close(): Promise<void> {
    await this.disconnectAll('graceful');
  }
}
