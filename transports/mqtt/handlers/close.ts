/**
 * The ways a channel ends that are not a client's packet: the clock (CONNECT deadline, Keep
 * Alive), the codec (malformed, too large, unknown protocol level), the host (takeover, server
 * disconnect) and the network (connection lost).
 */
import { DISCONNECT_CODES, RC } from '../reason-codes.js';
import { acceptsInput, nextDeadline, type ChannelState } from '../state.js';
import { closeWith, ended, proceed, refuseConnect, type Step } from '../step.js';

export function onTick(s: ChannelState, now: number): Step {
  const deadline = nextDeadline(s);
  if (deadline === undefined || now < deadline) return proceed(s);
  // MQTT-3.1.0-1 wants a CONNECT first; a socket that sends none is cut without a word
  // (MQTT-3.14.0-1), under the timeout's code for the host's records.
  if (s.phase === 'awaiting-connect') return ended(s, { reasonCode: RC.KEEP_ALIVE_TIMEOUT, reason: 'no CONNECT in time' });
  // The host did not answer the authentication in time: the server is not available (3.1.1
  // return code 3, 5.0 0x88).
  if (s.phase === 'authenticating') return refuseConnect(s, RC.SERVER_UNAVAILABLE, 'authentication timed out');
  // While the channel holds input back (its host is slow), the client is not to blame.
  if (!acceptsInput(s)) {
    s.lastPacketAt = now;
    return proceed(s);
  }
  // MQTT-3.1.2-24 (3.1.1), MQTT-3.1.2-22 (5.0): close as if the network had failed, so the
  // will is published. MQTT 5 names the reason 0x8D.
  return closeWith(s, RC.KEEP_ALIVE_TIMEOUT, 'keep alive timeout');
}

/** MQTT 5.0 4.13.1; 3.1.1 MQTT-4.8.0-1: a malformed packet closes the connection. Before the
 *  CONNACK nothing is sent (the client's protocol may not even be known). */
export function onMalformed(s: ChannelState, reason: string): Step {
  return closeWith(s, RC.MALFORMED_PACKET, reason);
}

/** MQTT 5.0 3.2.2.3.6 / 4.13: a packet above our Maximum Packet Size is answered DISCONNECT 0x95,
 *  found from its fixed header before its body is read. */
export function onTooLarge(s: ChannelState, size: number): Step {
  return closeWith(s, RC.PACKET_TOO_LARGE, `packet of ${size} bytes`);
}

/** A CONNECT of a protocol level this server does not speak. It is answered in the 3.1.1 form
 *  (return code 1, MQTT-3.1.2-2), the one every MQTT client can read; MQTT 5.0 MQTT-3.1.2-2
 *  allows the server to answer a non-5 level as it can. */
export function onUnsupportedVersion(s: ChannelState, level: number): Step {
  if (s.phase !== 'awaiting-connect') return closeWith(s, RC.PROTOCOL_ERROR, 'second CONNECT');
  s.version = 4;
  return refuseConnect(s, RC.UNSUPPORTED_PROTOCOL_VERSION, `protocol level ${level}`);
}

/** MQTT-3.1.4-2 (3.1.1), MQTT-3.1.4-3 (5.0): the same client id connected again elsewhere. */
export function onTakeover(s: ChannelState): Step {
  return closeWith(s, RC.SESSION_TAKEN_OVER, 'session taken over');
}

/** The host ends the session, e.g. 0x87 Not authorized when the credential was revoked or
 *  suspended, 0x98 Administrative action, 0x8B Server shutting down. */
export function onServerDisconnect(s: ChannelState, reasonCode: number, reason: string | undefined): Step {
  checkServerDisconnect(reasonCode);
  return closeWith(s, reasonCode, reason ?? 'disconnected by the server');
}

/** 0x04 (with will) is the client's alone; 0x8A Banned is a CONNACK code only. */
export function checkServerDisconnect(reasonCode: number): void {
  if (!DISCONNECT_CODES.has(reasonCode) || reasonCode === RC.DISCONNECT_WITH_WILL) {
    throw new TypeError(`disconnect: 0x${reasonCode.toString(16)} is not a server DISCONNECT reason code`);
  }
}

export function onClosed(s: ChannelState, reason: string): Step {
  return ended(s, { reasonCode: RC.UNSPECIFIED_ERROR, reason });
}
