/**
 * The channel's state record. One per network connection, owned by whoever drives the channel:
 * `handle(state, event)` returns the state to use next (or a shutdown). The record is updated in
 * place rather than copied, because its maps (inflight packet ids, questions open to the host)
 * change on every QoS 1/2 packet; a caller that always continues with the returned state, as
 * the Connection and the tests do, sees a pure function of (state, event). Nothing in here
 * reads a clock, touches a socket or draws a random number: time arrives in events and client
 * identifiers come from the injected `assignClientId`.
 */
import type { MqttLimits } from './limits.js';
import type { DeliveryRef, PeerCertificate, ProtocolVersion, WillMessage } from './types.js';

export interface ChannelConfig {
  readonly limits: MqttLimits;
  /** A fresh, unique client identifier for an MQTT 5 (or 3.1.1 clean) client that sent none. */
  readonly assignClientId: () => string;
  /** The verified client certificate of a TLS connection. */
  readonly certificate?: PeerCertificate | undefined;
  /** Set when a TLS client presented a certificate that failed verification. */
  readonly certificateError?: string | undefined;
}

export type Phase = 'awaiting-connect' | 'authenticating' | 'connected';

/** An inbound QoS 1/2 packet id: waiting for the host's answer, or (QoS 2) PUBREC sent and
 *  waiting for PUBREL. */
export type InboundStage = 'host' | 'released';

export interface OutboundEntry {
  readonly ref: DeliveryRef;
  readonly qos: 1 | 2;
  /** The packet expected next from the client. */
  stage: 'puback' | 'pubrec' | 'pubcomp';
}

/** A question open to the host, by effect id. `codes` holds the answer being assembled: the
 *  channel's own refusals are filled in, the host's answers go to `slots`. */
export type PendingAnswer =
  | { readonly kind: 'authenticate' }
  | { readonly kind: 'publish'; readonly packetId: number; readonly qos: 1 | 2 }
  | { readonly kind: 'subscribe' | 'unsubscribe'; readonly packetId: number; readonly codes: number[]; readonly slots: readonly number[] };

/** What the CONNACK needs to know of the CONNECT it answers. */
export interface ConnectFacts {
  readonly assigned: boolean;
  /** Keep Alive asked for and granted, seconds. */
  readonly asked: number;
  readonly keepAlive: number;
  readonly sessionExpiry: number;
}

export interface ChannelState {
  readonly config: ChannelConfig;
  phase: Phase;
  readonly openedAt: number;
  /** When the last control packet was received (or heard, while held unread). */
  lastPacketAt: number;
  /** The protocol the client speaks; 4 until its CONNECT says otherwise. */
  version: ProtocolVersion;
  clientId: string;
  username: string | undefined;
  /** Keep Alive in force, milliseconds (0: none). */
  keepAliveMs: number;
  /** The client's Maximum Packet Size (MQTT 5), undefined when it set none. */
  clientMaxPacketSize: number | undefined;
  /** The client's Receive Maximum (MQTT 5; 65,535 when absent, and for 3.1.1). */
  clientReceiveMaximum: number;
  /** Whether the CONNECT asked for a Session Expiry Interval of 0 (MQTT 5 3.14.2.2.2). */
  sessionExpiryZero: boolean;
  will: WillMessage | undefined;
  /** Kept from CONNECT until the CONNACK is written. */
  connect: ConnectFacts | undefined;
  /** Inbound topic aliases (MQTT 5 3.3.2.3.4); never carried to another connection. */
  readonly aliases: Map<number, string>;
  readonly inbound: Map<number, InboundStage>;
  readonly outbound: Map<number, OutboundEntry>;
  readonly pending: Map<number, PendingAnswer>;
  nextEffectId: number;
  nextPacketId: number;
}

export function createChannel(config: ChannelConfig, now: number): ChannelState {
  return {
    config,
    phase: 'awaiting-connect',
    openedAt: now,
    lastPacketAt: now,
    version: 4,
    clientId: '',
    username: undefined,
    keepAliveMs: 0,
    clientMaxPacketSize: undefined,
    clientReceiveMaximum: 65_535,
    sessionExpiryZero: true,
    will: undefined,
    connect: undefined,
    aliases: new Map(),
    inbound: new Map(),
    outbound: new Map(),
    pending: new Map(),
    nextEffectId: 1,
    nextPacketId: 1,
  };
}

/** Whether the channel takes the next packet now. It does not while the CONNECT is being
 *  authenticated (MQTT-3.1.4-5 / MQTT-3.1.4-6: nothing after a refused CONNECT may be
 *  processed) nor while as many questions as the Receive Maximum are open to the host; the
 *  Connection holds the bytes meanwhile and stops reading the socket. */
export function acceptsInput(s: ChannelState): boolean {
  return s.phase !== 'authenticating' && s.pending.size < s.config.limits.receiveMaximum;
}

/** When the channel wants a `tick`: the CONNECT deadline until CONNACK, then one and a half
 *  times the Keep Alive after the last packet (MQTT-3.1.2-24 in 3.1.1, MQTT-3.1.2-22 in 5.0). */
export function nextDeadline(s: ChannelState): number | undefined {
  if (s.phase !== 'connected') return s.openedAt + s.config.limits.connectTimeoutMs;
  if (s.keepAliveMs === 0) return undefined;
  return s.lastPacketAt + Math.ceil(s.keepAliveMs * 1.5);
}

export function nextEffectId(s: ChannelState): number {
  const id = s.nextEffectId;
  s.nextEffectId = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
  return id;
}
