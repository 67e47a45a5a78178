/**
 * What one turn of the channel returns, and the few ways a turn can end: carry on, close the
 * connection with a reason (MQTT 5 DISCONNECT when the protocol allows one), or refuse a CONNECT
 * with a CONNACK.
 */
import mqttPacket from 'mqtt-packet';
import { RC, toConnectReturnCode } from './reason-codes.js';
import type { ChannelState } from './state.js';
import type { Effect, Packet, ProtocolVersion, Shutdown } from './types.js';

export interface Step {
  /** The protocol version the `out` packets are written in. */
  readonly version: ProtocolVersion;
  readonly out: readonly Packet[];
  readonly effects: readonly Effect[];
  /** The state to continue with; undefined once the channel has shut down. */
  readonly state: ChannelState | undefined;
  readonly shutdown: Shutdown | undefined;
}

const NONE: readonly never[] = Object.freeze([]);

export function proceed(s: ChannelState, out: readonly Packet[] = NONE, effects: readonly Effect[] = NONE): Step {
  return { version: s.version, out, effects, state: s, shutdown: undefined };
}

/**
 * Ends the channel. A connected MQTT 5 client is told why with a DISCONNECT (MQTT 5.0 4.13.1:
 * SHOULD send one before closing); nothing is sent before a successful CONNACK (MQTT-3.14.0-1)
 * nor to an MQTT 3.1.1 client, whose DISCONNECT goes from client to server only.
 */
export function closeWith(s: ChannelState, reasonCode: number, reason: string, out: readonly Packet[] = NONE, effects: readonly Effect[] = NONE): Step {
  const tell = s.phase === 'connected' && s.version === 5;
  const packets = tell ? [...out, disconnectPacket(s, reasonCode, reason)] : out;
  return ended(s, { reasonCode, reason }, packets, effects);
}

/** Refuses a CONNECT: CONNACK with the code, Session Present 0 (MQTT-3.2.2-4 in 3.1.1,
 *  MQTT-3.2.2-6 in 5.0), then close (MQTT-3.2.2-5, MQTT-3.2.2-7). */
export function refuseConnect(s: ChannelState, reasonCode: number, reason: string): Step {
  if (s.version === 5) {
    return ended(s, { reasonCode, reason }, [{ cmd: 'connack', sessionPresent: false, reasonCode }], NONE);
  }
  const returnCode = toConnectReturnCode(reasonCode);
  return ended(s, { reasonCode, reason, returnCode }, [{ cmd: 'connack', sessionPresent: false, returnCode }], NONE);
}

/** A violation: MQTT 5 DISCONNECT 0x82 when connected; otherwise a plain close (MQTT-4.8.0-1). */
export function protocolError(s: ChannelState, reason: string): Step {
  return closeWith(s, RC.PROTOCOL_ERROR, reason);
}

export function malformed(s: ChannelState, reason: string): Step {
  return closeWith(s, RC.MALFORMED_PACKET, reason);
}

/**
 * The last effects of a channel: the will, unless the client's normal DISCONNECT deleted it
 * (the caller clears `s.will` then), only for an accepted connection (MQTT-3.1.2-8); and every
 * outbound message still unacknowledged is reported aborted, since no session survives.
 */
export function ended(s: ChannelState, shutdown: Shutdown, out: readonly Packet[] = NONE, effects: readonly Effect[] = NONE): Step {
  const last: Effect[] = [...effects];
  if (s.phase === 'connected') {
    if (s.will !== undefined) last.push({ type: 'will', message: s.will });
    for (const entry of s.outbound.values()) last.push({ type: 'delivery', ref: entry.ref, outcome: 'aborted' });
  }
  s.will = undefined;
  s.outbound.clear();
  return { version: s.version, out, effects: last, state: undefined, shutdown };
}

/** The server's DISCONNECT, with a Reason String unless that would make it larger than the
 *  client's Maximum Packet Size (MQTT-3.14.2-4). */
function disconnectPacket(s: ChannelState, reasonCode: number, reason: string): Packet {
  const withReason: Packet = { cmd: 'disconnect', reasonCode, properties: { reasonString: reason } };
  if (s.clientMaxPacketSize === undefined || encodedSize(withReason, 5) <= s.clientMaxPacketSize) return withReason;
  return { cmd: 'disconnect', reasonCode };
}

export function encodedSize(p: Packet, version: ProtocolVersion): number {
  return mqttPacket.generate(p, { protocolVersion: version }).length;
}
