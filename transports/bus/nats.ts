/**
 * The bus over a nats-server, for several replicas and for Kaa-compatible services (3/ISM).
 * Reconnection is the client's (`maxReconnectAttempts: -1`: retry for ever, buffering what is
 * published meanwhile); this class maps nats.js errors to bus codes and tracks whether the
 * connection is up, for health checks.
 */
import { connect, Events, DebugEvents, type Msg, type NatsConnection, type Subscription as NatsSub } from 'nats';
import { logger, type Logger } from '../../runtime/log.js';
import { BusCodes, BusError } from './errors.js';
import { invokeHandler } from './handler.js';
import { assertLiteralSubject, assertPattern, assertQueueName, assertTimeout } from './subject.js';
import type { Bus, BusHandler, BusMessage, Subscription } from './types.js';

export interface NatsBusOptions {
  servers: string[];
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** How long health() waits for the server's PONG (default 2,000 ms). */
  healthTimeoutMs?: number;
  /** How long close() lets the drain run before closing hard (default 5,000 ms): a drain waits
   *  for the server, which may be gone for good. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

/** Server URLs without their user-info, for messages and logs. */
export function redactServers(servers: readonly string[]): string[] {
  return servers.map((s) => s.replace(/\/\/[^@/]*@/, '//[redacted]@'));
}

function errCode(err: unknown): string | undefined {
  const c = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : undefined;
}

/** nats.js error codes (`ErrorCode` in nats-base-client/core) to bus codes. */
export function mapNatsError(err: unknown, what: string): BusError {
  if (err instanceof BusError) return err;
  const code = errCode(err);
  switch (code) {
    case '503':
      return new BusError(BusCodes.NO_RESPONDERS, `no responders: ${what}`, { cause: err });
    case 'TIMEOUT':
      return new BusError(BusCodes.TIMEOUT, `timed out: ${what}`, { cause: err });
    case 'CONNECTION_CLOSED':
    case 'CONNECTION_DRAINING':
      return new BusError(BusCodes.CLOSED, `the bus is closed: ${what}`, { cause: err });
    case 'MAX_PAYLOAD_EXCEEDED':
      return new BusError(BusCodes.PAYLOAD_TOO_LARGE, `payload larger than the server's max_payload: ${what}`, { cause: err });
    default:
      return new BusError(BusCodes.UNAVAILABLE, `NATS failure (${code ?? 'unknown'}): ${what}`, { cause: err });
  }
}

class NatsDelivered implements BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly replyTo: string | undefined;
  readonly #msg: Msg;

  constructor(msg: Msg) {
    this.#msg = msg;
    this.subject = msg.subject;
    this.data = msg.data;
    this.replyTo = msg.reply === undefined || msg.reply === '' ? undefined : msg.reply;
  }

  respond(data: Uint8Array): void {
    if (this.replyTo === undefined) return;
    try {
      this.#msg.respond(data);
    } catch (err) {
      throw mapNatsError(err, `respond to ${this.subject}`);
    }
  }
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  readonly #nc: NatsConnection;
  readonly #log: Logger;
  readonly #healthTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  #connected = true;
  #closing: Promise<void> | undefined;

  private constructor(nc: NatsConnection, opts: NatsBusOptions, log: Logger) {
    this.#nc = nc;
    this.#log = log;
    this.#healthTimeoutMs = opts.healthTimeoutMs ?? 2_000;
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;
    this.#watch().catch((err: unknown) => log.error({ code: errCode(err) }, 'NATS status watch failed'));
  }

  /** Connects; a server that cannot be reached at start-up is ERR_BUS_UNAVAILABLE. */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const log = opts.logger ?? logger('bus', { kind: 'nats' });
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers,
        name: opts.name ?? 'fleetgate',
        maxReconnectAttempts: -1,
        ...(opts.user !== undefined ? { user: opts.user } : {}),
        ...(opts.pass !== undefined ? { pass: opts.pass } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
      });
    } catch (err) {
      throw new BusError(BusCodes.UNAVAILABLE, `cannot connect to NATS at ${redactServers(opts.servers).join(', ')} (${errCode(err) ?? 'error'})`, {
        cause: err,
      });
    }
    log.info({ server: nc.getServer() }, 'connected to NATS');
    return new NatsBus(nc, opts, log);
  }

  async #watch(): Promise<void> {
    for await (const s of this.#nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
        case DebugEvents.Reconnecting:
          if (this.#connected) this.#log.warn({ server: String(s.data) }, 'NATS connection lost, reconnecting');
          this.#connected = false;
          break;
        case Events.Reconnect:
          this.#connected = true;
          this.#log.info({ server: String(s.data) }, 'NATS connection restored');
          break;
        case Events.Error:
          this.#log.error({ detail: String(s.data) }, 'NATS asynchronous error');
          break;
        default:
          break;
      }
    }
  }

  publish(subject: string, data: Uint8Array, opts?: { replyTo?: string }): void {
    assertLiteralSubject(subject);
    const replyTo = opts?.replyTo;
    if (replyTo !== undefined) assertLiteralSubject(replyTo, 'replyTo');
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
    try {
      this.#nc.publish(subject, data, replyTo === undefined ? undefined : { reply: replyTo });
    } catch (err) {
      throw mapNatsError(err, `publish to ${subject}`);
    }
  }

  subscribe(subject: string, handler: BusHandler, opts?: { queue?: string }): Subscription {
    assertPattern(subject);
    const queue = opts?.queue;
    if (queue !== undefined) assertQueueName(queue);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    let sub: NatsSub;
    try {
      sub = this.#nc.subscribe(subject, {
        ...(queue !== undefined ? { queue } : {}),
        callback: (err, msg) => {
          if (err !== null) {
            this.#log.error({ subject, code: errCode(err) }, 'NATS subscription error');
            return;
          }
          invokeHandler(handler, new NatsDelivered(msg), this.#log);
        },
      });
    } catch (err) {
      throw mapNatsError(err, `subscribe to ${subject}`);
    }
    return {
      subject,
      unsubscribe: () => {
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    // Misuse throws at the call, as InProcessBus does; failures of the exchange reject.
    assertTimeout(opts?.timeoutMs);
    assertLiteralSubject(subject);
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
    return this.#request(subject, data, opts.timeoutMs);
  }

  async #request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      const reply = await this.#nc.request(subject, data, { timeout: timeoutMs });
      return reply.data;
    } catch (err) {
      throw mapNatsError(err, `request on ${subject}`);
    }
  }

  async flush(): Promise<void> {
    try {
      await this.#nc.flush();
    } catch (err) {
      throw mapNatsError(err, 'flush');
    }
  }

  async health(): Promise<void> {
    if (this.#nc.isClosed() || this.#nc.isDraining() || this.#closing !== undefined) {
      throw new BusError(BusCodes.UNAVAILABLE, 'the NATS connection is closed', { data: { state: 'closed' } });
    }
    if (!this.#connected) {
      throw new BusError(BusCodes.UNAVAILABLE, 'the NATS connection is down, reconnecting', { data: { state: 'reconnecting' } });
    }
    // The status events lag a dead peer; a PING/PONG round trip is the real proof.
    const pong = this.#nc.flush();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#healthTimeoutMs);
    });
    try {
      const r = await Promise.race([pong.then(() => 'ok' as const), late]);
      if (r === 'late') {
        pong.catch(() => undefined);
        throw new BusError(BusCodes.UNAVAILABLE, `NATS did not answer a ping within ${this.#healthTimeoutMs} ms`, {
          data: { state: 'unresponsive' },
        });
      }
    } catch (err) {
      throw err instanceof BusError ? err : new BusError(BusCodes.UNAVAILABLE, 'NATS ping failed', { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#drainThenClose();
    return this.#closing;
  }

  async #drainThenClose(): Promise<void> {
    if (this.#nc.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeTimeoutMs);
    });
    try {
      await Promise.race([this.#nc.drain().catch((err: unknown) => this.#log.warn({ code: errCode(err) }, 'NATS drain failed')), late]);
    } finally {
      clearTimeout(timer);
    }
    if (!this.#nc.isClosed()) await this.#nc.close();
    await this.#nc.closed();
  }
}
