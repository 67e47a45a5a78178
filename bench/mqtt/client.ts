/**
 * A raw-socket MQTT client for load generation (node:net + mqtt-packet): CONNECT (3.1.1 or 5,
 * username/password), PUBLISH QoS 0/1 with a window of in-flight packet ids, SUBSCRIBE, and
 * PINGREQ on keep-alive. Not a general client: no QoS 2, no session resumption, no reconnect
 * (the fleet helper reconnects on purpose, to measure it).
 *
 * Hot path: PUBLISH and PUBACK are hand-encoded (codec.ts); QoS 1 waiters live in arrays
 * indexed by packet id, and one sweep timer enforces ack timeouts instead of a timer per packet.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { generate, parser as createParser, type Packet, type Parser } from 'mqtt-packet';
import { BenchCodes, BenchError } from '../errors.js';
import { DISCONNECT, PINGREQ, encodePuback, encodePublish, type QoS01 } from './codec.js';
import { connackCodeName } from './codes.js';

export interface MqttClientOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. Default 4. */
  readonly protocolVersion?: 4 | 5;
  readonly username?: string;
  readonly password?: string | Buffer;
  /** Seconds; 0 turns keep-alive off. Default 60. */
  readonly keepaliveSec?: number;
  readonly clean?: boolean;
  /** TCP connect plus CONNACK. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** PUBACK, SUBACK, PINGRESP. Default 30 s. */
  readonly ackTimeoutMs?: number;
  /** QoS 1 window (in-flight packet ids). Default 64; MQTT 5 lowers it to the server's Receive Maximum. */
  readonly maxInflight?: number;
  readonly onMessage?: (topic: string, payload: Buffer) => void;
  /** The connection ended: `err` is undefined after `close()`, a coded error otherwise. */
  readonly onClose?: (err: BenchError | undefined) => void;
}

export interface Connack {
  /** 3.1.1 return code or MQTT 5 reason code; 0 means accepted. */
  readonly code: number;
  readonly name: string;
  readonly sessionPresent: boolean;
  readonly reasonString?: string;
}

type Settle = (err: BenchError | undefined, value?: number) => void;

const NO_SETTLE: Settle = () => undefined;

export class MqttBenchClient {
  readonly #o: Required<Pick<MqttClientOptions, 'host' | 'port' | 'clientId' | 'keepaliveSec' | 'connectTimeoutMs' | 'ackTimeoutMs'>> &
    MqttClientOptions;
  readonly #v5: boolean;
  readonly #parser: Parser;
  #socket: Socket | undefined;
  #window: number;
  #connack: Connack | undefined;
  #onConnack: ((ack: Connack) => void) | undefined;
  #closed = false;
  #closing = false;
  /** QoS 1 and SUBSCRIBE waiters by packet id; sentAt drives the ack-timeout sweep. */
  readonly #pending: Settle[] = new Array<Settle>(65536).fill(NO_SETTLE);
  readonly #sentAt = new Float64Array(65536);
  readonly #inUse = new Set<number>();
  #nextId = 0;
  #inflightPublishes = 0;
  readonly #slotWaiters: Array<() => void> = [];
  readonly #pingWaiters: Array<{ at: number; settle: Settle }> = [];
  #lastSent = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MqttClientOptions) {
    if (options.protocolVersion !== undefined && options.protocolVersion !== 4 && options.protocolVersion !== 5) {
      throw new TypeError(`MqttBenchClient: protocolVersion must be 4 or 5, got ${String(options.protocolVersion)}`);
    }
    this.#o = { keepaliveSec: 60, connectTimeoutMs: 10_000, ackTimeoutMs: 30_000, ...options };
    this.#v5 = options.protocolVersion === 5;
    this.#window = Math.max(1, Math.min(65535, options.maxInflight ?? 64));
    this.#parser = createParser({ protocolVersion: this.#v5 ? 5 : 4 });
    this.#parser.on('packet', (p: Packet) => this.#onPacket(p));
    this.#parser.on('error', (err: unknown) =>
      this.#fail(new BenchError(BenchCodes.MQTT_PROTOCOL, `malformed packet from the server: ${String((err as Error)?.message ?? err)}`)),
    );
  }

  get connected(): boolean {
    return this.#connack?.code === 0 && !this.#closed;
  }

  get connack(): Connack | undefined {
    return this.#connack;
  }

  get inflight(): number {
    return this.#inflightPublishes;
  }

  /** The QoS 1 window in use (after MQTT 5 Receive Maximum). */
  get window(): number {
    return this.#window;
  }

  /**
   * Opens TCP, sends CONNECT, resolves with the CONNACK whatever its code (a refusal is a
   * figure, not an exception). Rejects on socket error, timeout or garbage.
   */
  connect(): Promise<Connack> {
    if (this.#socket !== undefined) throw new TypeError('MqttBenchClient.connect: already called');
    return new Promise<Connack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(new BenchError(BenchCodes.MQTT_TIMEOUT, `no CONNACK within ${this.#o.connectTimeoutMs} ms`));
      }, this.#o.connectTimeoutMs);
      const done = (err: BenchError | undefined, ack?: Connack): void => {
        clearTimeout(timer);
        this.#onConnack = undefined;
        this.#connectFailed = undefined;
        if (err !== undefined || ack === undefined) reject(err);
        else resolve(ack);
      };
      this.#onConnack = (ack) => done(undefined, ack);
      this.#connectFailed = (err) => done(err);
      const socket = netConnect({ host: this.#o.host, port: this.#o.port, noDelay: true });
      this.#socket = socket;
      socket.on('data', (chunk: Buffer) => this.#parser.parse(chunk));
      socket.on('error', (err) => this.#fail(new BenchError(BenchCodes.MQTT_CLOSED, `socket error: ${err.message}`, { cause: err })));
      socket.on('close', () => this.#fail(new BenchError(BenchCodes.MQTT_CLOSED, 'the server closed the connection')));
      socket.once('connect', () => {
        const { username, password } = this.#o;
        this.#write(
          generate(
            {
              cmd: 'connect',
              protocolId: 'MQTT',
              protocolVersion: this.#v5 ? 5 : 4,
              clientId: this.#o.clientId,
              clean: this.#o.clean ?? true,
              keepalive: this.#o.keepaliveSec,
              ...(username === undefined ? {} : { username }),
              ...(password === undefined ? {} : { password: typeof password === 'string' ? Buffer.from(password) : password }),
              ...(this.#v5 ? { properties: { receiveMaximum: Math.min(this.#window, 65535) } } : {}),
            },
            { protocolVersion: this.#v5 ? 5 : 4 },
          ),
        );
      });
    });
  }

  #connectFailed: ((err: BenchError) => void) | undefined;

  /**
   * Publishes to a pre-encoded topic (`Buffer.from(topic)` once per topic). QoS 0 resolves
   * when the socket took the bytes (after `drain` if it pushed back); QoS 1 waits for a free
   * slot in the window, then for the PUBACK.
   */
  publish(topic: Buffer, payload: Buffer, qos: QoS01): Promise<void> {
    if (!this.connected) return Promise.reject(this.#notConnected());
    if (qos === 0) {
      const flushed = this.#write(encodePublish(topic, payload, 0, 0, this.#v5));
      return flushed ? Promise.resolve() : this.#drained();
    }
    if (this.#inflightPublishes >= this.#window) {
      return new Promise<void>((resolve) => this.#slotWaiters.push(resolve)).then(() => this.publish(topic, payload, 1));
    }
    this.#inflightPublishes++;
    return new Promise<void>((resolve, reject) => {
      const id = this.#allocate((err) => {
        this.#inflightPublishes--;
        const next = this.#slotWaiters.shift();
        if (next !== undefined) next();
        if (err === undefined) resolve();
        else reject(err);
      });
      this.#write(encodePublish(topic, payload, 1, id, this.#v5));
    });
  }

  /** Subscribes to one filter; resolves with the granted QoS / reason code. */
  subscribe(filter: string, qos: QoS01): Promise<number> {
    if (!this.connected) return Promise.reject(this.#notConnected());
    return new Promise<number>((resolve, reject) => {
      const id = this.#allocate((err, granted) => (err === undefined ? resolve(granted ?? 0) : reject(err)));
      this.#write(
        generate({ cmd: 'subscribe', messageId: id, subscriptions: [{ topic: filter, qos }] }, { protocolVersion: this.#v5 ? 5 : 4 }),
      );
    });
  }

  /** PINGREQ; resolves with the round trip in milliseconds. */
  ping(): Promise<number> {
    if (!this.connected) return Promise.reject(this.#notConnected());
    return new Promise<number>((resolve, reject) => {
      const at = performance.now();
      this.#pingWaiters.push({ at, settle: (err) => (err === undefined ? resolve(performance.now() - at) : reject(err)) });
      this.#write(PINGREQ);
    });
  }

  /** Sends DISCONNECT and ends the socket; resolves once it is closed. */
  close(): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || this.#closed) {
      this.#closed = true;
      return Promise.resolve();
    }
    this.#closing = true;
    return new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      if (this.connected) socket.end(DISCONNECT);
      else socket.end();
    });
  }

  /** Drops the TCP connection without DISCONNECT (the server sees an abrupt loss, and sends the will). */
  destroy(): void {
    this.#closing = true;
    // Settle everything now, not on the socket's later 'close': a storm reconnects right after.
    this.#fail(new BenchError(BenchCodes.MQTT_CLOSED, 'the connection was dropped by the client'));
  }

  #notConnected(): BenchError {
    return new BenchError(BenchCodes.MQTT_CLOSED, this.#closed ? 'the connection is closed' : 'not connected (no accepted CONNACK)');
  }

  #allocate(settle: Settle): number {
    // Ids are handed out in sequence, skipping those still waiting for their ack (MQTT-2.2.1-3).
    let id = this.#nextId;
    do id = id >= 65535 ? 1 : id + 1;
    while (this.#pending[id] !== NO_SETTLE);
    this.#nextId = id;
    this.#pending[id] = settle;
    this.#sentAt[id] = performance.now();
    this.#inUse.add(id);
    return id;
  }

  #settle(id: number, err: BenchError | undefined, value?: number): void {
    const settle = this.#pending[id];
    if (settle === undefined || settle === NO_SETTLE) return; // an ack for nothing we sent: ignore
    this.#pending[id] = NO_SETTLE;
    this.#inUse.delete(id);
    settle(err, value);
  }

  #write(buf: Buffer): boolean {
    this.#lastSent = performance.now();
    return this.#socket?.write(buf) ?? false;
  }

  #drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = this.#socket;
      if (socket === undefined) return reject(this.#notConnected());
      const onDrain = (): void => {
        socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        socket.off('drain', onDrain);
        reject(this.#notConnected());
      };
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
  }

  #onPacket(p: Packet): void {
    switch (p.cmd) {
      case 'connack': {
        const code = (this.#v5 ? p.reasonCode : p.returnCode) ?? p.returnCode ?? p.reasonCode ?? 0;
        const reasonString = p.properties?.reasonString;
        this.#connack = {
          code,
          name: connackCodeName(code, this.#v5 ? 5 : 4),
          sessionPresent: p.sessionPresent,
          ...(reasonString === undefined ? {} : { reasonString }),
        };
        // MQTT5 3.2.2.3.3: never more QoS 1 publishes in flight than the server's Receive Maximum.
        const receiveMaximum = p.properties?.receiveMaximum;
        if (receiveMaximum !== undefined) this.#window = Math.max(1, Math.min(this.#window, receiveMaximum));
        // MQTT5 3.2.2.3.14: the Server Keep Alive replaces the client's value.
        const keepalive = p.properties?.serverKeepAlive ?? this.#o.keepaliveSec;
        if (code === 0) this.#startTimer(keepalive);
        this.#onConnack?.(this.#connack);
        return;
      }
      case 'puback': {
        const id = p.messageId ?? 0;
        const rc = p.reasonCode ?? 0;
        // MQTT5 3.4.2.1: codes >= 0x80 mean the publish was not accepted (0x10 "no matching subscribers" is success).
        this.#settle(id, rc >= 0x80 ? new BenchError(BenchCodes.MQTT_PUBACK_FAILED, `PUBACK reason code 0x${rc.toString(16)}`) : undefined);
        return;
      }
      case 'suback': {
        const granted = p.granted[0];
        this.#settle(p.messageId ?? 0, undefined, typeof granted === 'number' ? granted : 0x80);
        return;
      }
      case 'pingresp':
        this.#pingWaiters.shift()?.settle(undefined);
        return;
      case 'publish': {
        const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
        if (p.qos === 1 && p.messageId !== undefined) this.#write(encodePuback(p.messageId));
        this.#o.onMessage?.(p.topic, payload);
        return;
      }
      case 'disconnect':
        this.#fail(new BenchError(BenchCodes.MQTT_CLOSED, `the server sent DISCONNECT (reason 0x${(p.reasonCode ?? 0).toString(16)})`));
        return;
      default:
        this.#fail(new BenchError(BenchCodes.MQTT_PROTOCOL, `unexpected ${p.cmd} from the server`));
    }
  }

  #startTimer(keepaliveSec: number): void {
    // One timer, twice per keep-alive period (MQTT-3.1.2-23: something must be sent within it),
    // and no faster than once a second for the ack-timeout sweep.
    const periodMs = keepaliveSec > 0 ? Math.min(1000, (keepaliveSec * 1000) / 2) : 1000;
    this.#timer = setInterval(() => this.#tick(keepaliveSec), periodMs);
    this.#timer.unref();
  }

  #tick(keepaliveSec: number): void {
    const now = performance.now();
    const limit = this.#o.ackTimeoutMs;
    for (const id of this.#inUse) {
      if (now - (this.#sentAt[id] ?? now) > limit) {
        this.#fail(new BenchError(BenchCodes.MQTT_TIMEOUT, `no ack for packet ${id} within ${limit} ms`));
        return;
      }
    }
    const ping = this.#pingWaiters[0];
    if (ping !== undefined && now - ping.at > limit) {
      this.#fail(new BenchError(BenchCodes.MQTT_TIMEOUT, `no PINGRESP within ${limit} ms`));
      return;
    }
    if (keepaliveSec > 0 && now - this.#lastSent >= (keepaliveSec * 1000) / 2 && this.#pingWaiters.length === 0) {
      this.ping().catch(() => undefined);
    }
  }

  /** Ends everything once: rejects every waiter with `err` (or a plain close after `close()`). */
  #fail(err: BenchError): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#socket?.destroy();
    const reported = this.#closing && err.code === BenchCodes.MQTT_CLOSED ? undefined : err;
    const failure = reported ?? new BenchError(BenchCodes.MQTT_CLOSED, 'the connection was closed by the client');
    this.#connectFailed?.(failure);
    for (const id of [...this.#inUse]) this.#settle(id, failure);
    for (const p of this.#pingWaiters.splice(0)) p.settle(failure);
    // Window waiters retry publish, which now rejects as not connected.
    for (const w of this.#slotWaiters.splice(0)) w();
    this.#o.onClose?.(reported);
  }
}
