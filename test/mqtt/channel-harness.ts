/**
 * Drives the pure channel without any socket: feed events, read what came out. Time is a
 * number the test moves; client identifiers are assigned deterministically.
 */
import { createChannel, handle, nextDeadline, resolveLimits, type ChannelState, type Effect, type MqttLimits, type Packet, type PeerCertificate, type Shutdown } from '../../transports/mqtt/index.js';
import type { ChannelEvent } from '../../transports/mqtt/index.js';

export const T0 = Date.UTC(2026, 0, 1);

/** What an MQTT 5 CONNACK advertises under the default limits. */
export const ADVERTISED = {
  receiveMaximum: 32,
  retainAvailable: false,
  maximumPacketSize: 1024 * 1024,
  topicAliasMaximum: 16,
  subscriptionIdentifiersAvailable: false,
  sharedSubscriptionAvailable: false,
};

export interface HarnessOptions {
  limits?: Partial<MqttLimits>;
  certificate?: PeerCertificate;
  certificateError?: string;
}

export class ChannelHarness {
  now = T0;
  state: ChannelState | undefined;
  out: Packet[] = [];
  effects: Effect[] = [];
  shutdown: Shutdown | undefined;
  version: number | undefined;
  #assigned = 0;

  constructor(o: HarnessOptions = {}) {
    this.state = createChannel(
      {
        limits: resolveLimits(o.limits),
        assignClientId: () => `auto-${++this.#assigned}`,
        certificate: o.certificate,
        certificateError: o.certificateError,
      },
      this.now,
    );
  }

  feed(ev: ChannelEvent): this {
    if (this.state === undefined) throw new Error('channel already shut down');
    const step = handle(this.state, ev);
    this.version = step.version;
    this.out.push(...step.out);
    this.effects.push(...step.effects);
    this.state = step.state;
    this.shutdown = step.shutdown;
    return this;
  }

  packet(p: Packet): this {
    return this.feed({ type: 'packet', packet: p, now: this.now });
  }

  /** Moves time and ticks, as the Connection's timer would. */
  advance(ms: number): this {
    this.now += ms;
    return this.feed({ type: 'tick', now: this.now });
  }

  deadline(): number | undefined {
    return this.state === undefined ? undefined : nextDeadline(this.state);
  }

  /** Returns and forgets what came out so far. */
  take(): { out: Packet[]; effects: Effect[] } {
    const r = { out: this.out, effects: this.effects };
    this.out = [];
    this.effects = [];
    return r;
  }

  /** The id of the last effect of that type (to answer it). */
  lastId(type: 'authenticate' | 'publish' | 'subscribe' | 'unsubscribe'): number {
    for (let i = this.effects.length - 1; i >= 0; i--) {
      const e = this.effects[i] as Effect;
      if (e.type === type && 'id' in e && e.id !== undefined) return e.id;
    }
    throw new Error(`no ${type} effect`);
  }

  /** CONNECT then an accepting host; leaves the outputs cleared. */
  connect(version: 4 | 5, extra: Partial<Extract<Packet, { cmd: 'connect' }>> = {}): this {
    this.packet(connectPacket(version, extra));
    this.feed({ type: 'authenticated', id: this.lastId('authenticate'), result: { ok: true } });
    if (this.state?.phase !== 'connected') throw new Error(`not connected: ${JSON.stringify(this.shutdown)}`);
    this.take();
    return this;
  }
}

export function connectPacket(version: 3 | 4 | 5, extra: Partial<Extract<Packet, { cmd: 'connect' }>> = {}): Packet {
  return {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: true,
    clientId: 'device-1',
    keepalive: 60,
    ...extra,
  } as Packet;
}
