/**
 * One network connection: a transport, a framer and decoder, and a channel, glued. It feeds
 * bytes to the framer and packets to the channel, writes what the channel returns, runs the
 * channel's effects against the host and feeds the answers back, and keeps the one timer the
 * channel asks for on the injected clock. It also does the socket's share of flow control:
 * reading stops while the channel holds input back or the peer does not read our writes, and
 * what is held either way is bounded (beyond it: 0x97 Quota exceeded).
 */
import { hasCode, RuntimeCodes, type Clock, type Logger, type TimerHandle } from '../../runtime/index.js';
import { acceptsInput, createChannel, handle, nextDeadline, type ChannelState } from './channel.js';
import { encode, PacketDecoder } from './codec.js';
import { Framer, type FrameResult } from './framer.js';
import { checkServerDisconnect } from './handlers/close.js';
import { checkOutbound } from './handlers/deliver.js';
import type { ChannelHost, ConnectionHandle } from './host.js';
import type { MqttLimits } from './limits.js';
import { RC } from './reason-codes.js';
import type { Transport, TransportSink } from './socket.js';
import type { Step } from './step.js';
import type { ChannelEvent, Effect, OutboundMessage, Shutdown } from './types.js';

export interface ConnectionOptions {
  readonly id: string;
  readonly host: ChannelHost;
  readonly limits: MqttLimits;
  readonly clock: Clock;
  readonly log: Logger;
  readonly assignClientId: () => string;
  /** Called once when the connection is finished (for the server's bookkeeping). */
  readonly onFinished?: (c: Connection) => void;
}

export class Connection implements TransportSink {
  readonly handle: ConnectionHandle;
  readonly #t: Transport;
  readonly #o: ConnectionOptions;
  readonly #framer: Framer;
  readonly #decoder = new PacketDecoder();
  #state: ChannelState | undefined;
  /** Frames (and at most one framing failure, last) not yet given to the channel. */
  readonly #held: FrameResult[] = [];
  #heldBytes = 0;
  readonly #queue: ChannelEvent[] = [];
  #running = false;
  #timer: TimerHandle | undefined;
  /** The transport was asked to watch for a vanished peer (Keep Alive 0). */
  #idleWatched = false;
  #deadline: number | undefined;
  #grace: TimerHandle | undefined;
  #writeBlocked = false;
  #readPaused = false;
  #authenticating = false;
  #shutdown: Shutdown | undefined;
  #transportClosed = false;
  #firstByteSeen = false;

  constructor(transport: Transport, options: ConnectionOptions) {
    this.#t = transport;
    this.#o = options;
    this.#framer = new Framer(options.limits.maxPacketSize);
    this.#state = createChannel(
      {
        limits: options.limits,
        assignClientId: options.assignClientId,
        certificate: transport.peerCertificate,
        certificateError: transport.certificateError,
      },
      options.clock.now(),
    );
    this.handle = {
      id: options.id,
      listener: transport.kind,
      // Read when asked: for a TCP socket it is a getpeername call a connect need not pay.
      get remoteAddress() {
        return transport.remoteAddress;
      },
      deliver: (m) => this.#deliver(m),
      disconnect: (reasonCode, reason) => {
        checkServerDisconnect(reasonCode); // misuse is thrown at the caller
        this.#dispatch({ type: 'disconnect', reasonCode, reason: reason ?? 'disconnected by the server' });
      },
      takeover: () => this.#dispatch({ type: 'takeover' }),
    };
  }

  /** Starts reading and arms the CONNECT deadline. */
  start(): void {
    this.#t.start(this);
    this.#rearm();
  }

  get shutdown(): Shutdown | undefined {
    return this.#shutdown;
  }

  data(bytes: Buffer): void {
    if (this.#state === undefined) return; // MQTT-3.1.4-5: nothing after the end is processed
    if (!this.#firstByteSeen && bytes.length > 0) {
      this.#firstByteSeen = true;
      // MQTT-3.1.0-1: the first packet is a CONNECT, so its first byte is 0x10 (the flags are
      // reserved 0, MQTT-2.2.2-2). Anything else (an HTTP request, TLS to the plain port) is
      // dropped now rather than at the CONNECT deadline.
      if (bytes[0] !== 0x10) {
        this.#dispatch({ type: 'malformed', reason: 'first packet is not CONNECT', now: this.#o.clock.now() });
        return;
      }
    }
    for (const r of this.#framer.push(bytes)) {
      this.#held.push(r);
      if (r.kind === 'frame') this.#heldBytes += r.bytes.length;
    }
    this.#run();
    if (this.#state === undefined) return;
    if (this.#held.length > 0 || this.#framer.bufferedBytes > 0) {
      // Bytes held unread, or a large packet still arriving: the client is alive even though
      // the channel has no packet to look at yet.
      this.#dispatch({ type: 'heard', now: this.#o.clock.now() });
      if (this.#heldBytes + this.#framer.bufferedBytes > this.#o.limits.maxHeldInputBytes) {
        this.#dispatch({ type: 'disconnect', reasonCode: RC.QUOTA_EXCEEDED, reason: 'too much input held unread' });
      }
    }
  }

  drain(): void {
    this.#writeBlocked = false;
    this.#run();
  }

  closed(reason: string): void {
    this.#transportClosed = true;
    if (this.#grace !== undefined) this.#o.clock.clearTimeout(this.#grace);
    this.#dispatch({ type: 'closed', reason });
  }

  #deliver(m: OutboundMessage): void {
    checkOutbound(m); // misuse is thrown at the caller, not at the connection
    // A peer that does not read gets no more QoS 0 (as a broker drops them); QoS 1/2 still go
    // through the window, bounded by the outbound buffer.
    if (this.#writeBlocked && m.qos === 0) {
      this.#o.host.delivered(m.ref, 'back-pressure', undefined, this.handle);
      return;
    }
    this.#dispatch({ type: 'deliver', message: m });
  }

  #dispatch(ev: ChannelEvent): void {
    this.#queue.push(ev);
    this.#run();
  }

  /** Runs queued events, then held frames while the channel takes input. Re-entrant calls
   *  (a host answering synchronously) only queue; the outer loop runs them in order. */
  #run(): void {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const s = this.#state;
        if (s === undefined) {
          this.#queue.length = 0;
          break;
        }
        let ev = this.#queue.shift();
        if (ev === undefined) {
          if (this.#held.length === 0 || this.#writeBlocked || !acceptsInput(s)) break;
          ev = this.#fromHeld();
        }
        this.#turn(s, ev);
      }
    } finally {
      this.#running = false;
    }
    this.#flow();
    this.#rearm();
  }

  #fromHeld(): ChannelEvent {
    const r = this.#held.shift() as FrameResult;
    const now = this.#o.clock.now();
    if (r.kind === 'too-large') return { type: 'too-large', size: r.size, now };
    if (r.kind === 'malformed') return { type: 'malformed', reason: r.reason, now };
    this.#heldBytes -= r.bytes.length;
    const d = this.#decoder.decode(r.bytes);
    if (d.kind === 'packet') return { type: 'packet', packet: d.packet, now };
    if (d.kind === 'malformed') return { type: 'malformed', reason: d.reason, now };
    return { type: 'unsupported-version', level: d.level, now };
  }

  #turn(s: ChannelState, ev: ChannelEvent): void {
    let step: Step;
    try {
      step = handle(s, ev);
    } catch (err) {
      // A host answer the channel cannot take (a wrong reason code): a bug, not bad input.
      this.#o.log.error({ err, connection: this.#o.id, event: ev.type }, 'mqtt channel fault');
      this.#finish({ reasonCode: RC.UNSPECIFIED_ERROR, reason: 'internal error' });
      return;
    }
    this.#state = step.state;
    for (const p of step.out) {
      if (!this.#t.send(encode(p, step.version))) this.#writeBlocked = true;
    }
    for (const e of step.effects) this.#effect(e);
    if (step.shutdown !== undefined) {
      this.#finish(step.shutdown);
    } else if (this.#t.bufferedBytes > this.#o.limits.maxOutboundBufferBytes) {
      this.#queue.push({ type: 'disconnect', reasonCode: RC.QUOTA_EXCEEDED, reason: 'peer does not read' });
    }
  }

  #effect(e: Effect): void {
    const { host } = this.#o;
    const c = this.handle;
    switch (e.type) {
      case 'authenticate':
        this.#authenticating = true;
        this.#ask(
          () => host.authenticate(e.request, c),
          (result) => ({ type: 'authenticated', id: e.id, result }),
          (err) => ({ type: 'authenticated', id: e.id, result: { ok: false, reasonCode: busy(err) ? RC.SERVER_BUSY : RC.SERVER_UNAVAILABLE } }),
        );
        return;
      case 'open':
        this.#call(() => host.onOpen(e.info, c));
        return;
      case 'publish': {
        const id = e.id;
        if (id === undefined) {
          this.#ask(() => host.publish(e.message, c), undefined, undefined);
          return;
        }
        this.#ask(
          () => host.publish(e.message, c),
          (reasonCode) => ({ type: 'published', id, reasonCode }),
          (err) => ({ type: 'published', id, reasonCode: busy(err) ? RC.QUOTA_EXCEEDED : RC.UNSPECIFIED_ERROR }),
        );
        return;
      }
      case 'subscribe':
        this.#ask(
          () => host.subscribe(e.filters, c),
          (codes) => ({ type: 'subscribed', id: e.id, codes }),
          () => ({ type: 'subscribed', id: e.id, codes: e.filters.map(() => RC.UNSPECIFIED_ERROR) }),
        );
        return;
      case 'unsubscribe':
        this.#ask(
          () => host.unsubscribe(e.filters, c),
          (codes) => ({ type: 'unsubscribed', id: e.id, codes }),
          () => ({ type: 'unsubscribed', id: e.id, codes: e.filters.map(() => RC.UNSPECIFIED_ERROR) }),
        );
        return;
      case 'delivery':
        this.#call(() => host.delivered(e.ref, e.outcome, e.reasonCode, c));
        return;
      case 'will':
        this.#call(() => host.will(e.message, c));
        return;
    }
  }

  /** Asks the host; its answer (or failure) comes back as an event, after this turn. */
  #ask<T>(call: () => Promise<T>, ok: ((v: T) => ChannelEvent) | undefined, failed: ((err: unknown) => ChannelEvent) | undefined): void {
    let p: Promise<T>;
    try {
      p = call();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (v) => {
        if (ok !== undefined) this.#dispatch(ok(v));
      },
      (err: unknown) => {
        this.#o.log.warn({ err, connection: this.#o.id }, 'mqtt host call failed');
        if (failed !== undefined) this.#dispatch(failed(err));
      },
    );
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#o.log.error({ err, connection: this.#o.id }, 'mqtt host callback threw');
    }
  }

  #finish(shutdown: Shutdown): void {
    if (this.#shutdown !== undefined) return;
    this.#shutdown = shutdown;
    this.#state = undefined;
    this.#held.length = 0;
    this.#heldBytes = 0;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deadline = undefined;
    if (!this.#transportClosed) this.#t.close(shutdown);
    // A peer that does not take our last packets is cut after the grace period. (A transport
    // may report itself closed from within close(), as uWS does.)
    if (!this.#transportClosed) this.#grace = this.#o.clock.setTimeout(() => this.#t.destroy(), this.#o.limits.closeGraceMs);
    this.#o.log.debug({ connection: this.#o.id, reasonCode: shutdown.reasonCode, reason: shutdown.reason }, 'mqtt connection closed');
    if (this.#authenticating) this.#call(() => this.#o.host.onClose(shutdown, this.handle));
    this.#o.onFinished?.(this);
  }

  /** Reading stops while input is held or the peer does not take our writes. */
  #flow(): void {
    if (this.#state === undefined) return;
    const pause = this.#writeBlocked || this.#held.length > 0;
    if (pause && !this.#readPaused) this.#t.pause();
    if (!pause && this.#readPaused) this.#t.resume();
    this.#readPaused = pause;
  }

  /** Keeps one timer at the channel's deadline. A later deadline (a packet arrived) leaves the
   *  armed timer alone: its tick finds nothing due and re-arms, which is cheaper than one
   *  timer per packet. */
  #rearm(): void {
    const { clock } = this.#o;
    const d = this.#state === undefined ? undefined : nextDeadline(this.#state);
    if (d === undefined && !this.#idleWatched && this.#state?.phase === 'connected') {
      this.#idleWatched = true;
      this.#t.watchIdlePeer?.();
    }
    if (d !== undefined && this.#timer !== undefined && this.#deadline !== undefined && this.#deadline <= d) return;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deadline = d;
    if (d === undefined) return;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#deadline = undefined;
      this.#dispatch({ type: 'tick', now: clock.now() });
    }, Math.max(0, d - clock.now()));
  }
}

function busy(err: unknown): boolean {
  return hasCode(err, RuntimeCodes.MAILBOX_FULL);
}
