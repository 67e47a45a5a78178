/**
 * A direct decoder for PUBLISH and a direct encoder for PUBACK, PUBREC, PUBREL and PUBCOMP
 * without properties: nearly every packet of a busy fleet, and the ones where mqtt-packet's
 * parser (with its buffer list) and generator cost the most. Also the plain CONNECT of a device
 * (below), which a reconnect storm is made of. What they do not cover they decline
 * (undefined), and the codec asks mqtt-packet as before.
 *
 * A decoded PUBLISH is the object mqtt-packet would give for the same frame, key for key
 * (`cmd, retain, qos, dup, length, topic, payload`, then `messageId` for QoS 1/2; an MQTT 5
 * PUBLISH whose Property Length is 0 has no `properties`), and its payload is a view of the
 * frame. Where mqtt-packet lets a malformed PUBLISH through, this refuses it: a QoS 1/2
 * PUBLISH without a packet identifier (MQTT 5.0 3.3.2.2), and a topic that is not
 * well-formed UTF-8 or holds U+0000 (MQTT-1.5.4-1, MQTT-1.5.4-2; 3.1.1: MQTT-1.5.3-1/-2).
 * Wildcards in a topic name are left to the channel, as for any parsed PUBLISH.
 */
import { isUtf8 } from 'node:buffer';
import type { IConnectPacket, IPublishPacket, Packet, QoS } from 'mqtt-packet';
import type { ProtocolVersion } from './types.js';

export type FastDecoded =
  | { readonly kind: 'packet'; readonly packet: IPublishPacket | IConnectPacket }
  | { readonly kind: 'malformed'; readonly reason: string };

/** Where the variable header starts, when the fixed header's Remaining Length is a whole
 *  Variable Byte Integer that ends the frame exactly (as the framer cuts it); else -1, and the
 *  frame is left to the parser. */
function variableHeaderAt(frame: Buffer): number {
  let at = 1;
  let length = 0;
  let multiplier = 1;
  for (;;) {
    const b = frame[at++];
    if (b === undefined || at > 5) return -1;
    length += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) break;
    multiplier *= 128;
  }
  return at + length === frame.length ? at : -1;
}

/** Decodes one whole PUBLISH frame (type 3), or returns undefined when the frame is not one
 *  this decoder takes: another type, a Remaining Length that does not match the frame, an
 *  MQTT 5 PUBLISH with properties (or a Property Length that is not the single byte 0).
 *  `version` is the one the parser works in: 4 until a CONNECT says otherwise. */
export function decodePublish(frame: Buffer, version: ProtocolVersion): FastDecoded | undefined {
  const first = frame[0];
  if (first === undefined || first >> 4 !== 3) return undefined;
  let at = variableHeaderAt(frame);
  if (at < 0) return undefined;
  const end = frame.length;
  const length = end - at;

  const qos = (first >> 1) & 3;
  // MQTT-3.3.1-4: both QoS bits set is a malformed packet.
  if (qos === 3) return malformed('PUBLISH with both QoS bits set');
  if (at + 2 > end) return malformed('PUBLISH without a topic length');
  const topicStart = at + 2;
  const topicEnd = topicStart + ((frame[at] as number) << 8) + (frame[at + 1] as number);
  if (topicEnd > end) return malformed('PUBLISH topic runs past the packet');
  at = topicEnd;

  let messageId = 0;
  if (qos > 0) {
    if (at + 2 > end) return malformed('PUBLISH of QoS 1 or 2 without a packet identifier');
    messageId = ((frame[at] as number) << 8) + (frame[at + 1] as number);
    at += 2;
  }
  if (version === 5) {
    // MQTT 5.0 3.3.2.3.1: properties follow; only an empty set (one 0x00 byte) is ours.
    if (frame[at] !== 0) return undefined;
    at += 1;
  }
  const topic = topicOf(frame, topicStart, topicEnd);
  // The reason the codec gives for ill-formed UTF-8 in any packet (utf8.ts).
  if (topic === undefined) return malformed('ill-formed UTF-8 string');
  if (topic === null) return malformed('NUL in topic name');
  const retain = (first & 0x01) !== 0;
  const dup = (first & 0x08) !== 0;
  const payload = frame.subarray(at, end);
  const packet: IPublishPacket =
    qos === 0
      ? { cmd: 'publish', retain, qos, dup, length, topic, payload }
      : { cmd: 'publish', retain, qos: qos as QoS, dup, length, topic, payload, messageId };
  return { kind: 'packet', packet };
}

/** 'MQTT' as its CONNECT protocol name: length 4, then the four letters. */
const MQTT_NAME = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54];

/**
 * Decodes the CONNECT a device sends, or returns undefined for any other (the parser then
 * decides, errors included): protocol name MQTT, level 4 or 5 without the bridge bit, no
 * Will, in MQTT 5 no properties (a Property Length of 0), a password only with a username, a
 * client id and username of printable-or-space ASCII, and fields that end the frame exactly.
 * The packet is the object mqtt-packet gives for the same frame, key for key; the password is
 * a view of the frame. The fixed header's flags must be 0 (MQTT-2.2.2-2) and the reserved
 * connect flag too (MQTT-3.1.2-3): a frame with either set is the parser's to refuse.
 */
export function decodeConnect(frame: Buffer): FastDecoded | undefined {
  if (frame[0] !== 0x10) return undefined;
  let at = variableHeaderAt(frame);
  const end = frame.length;
  if (at < 0 || at + 10 > end) return undefined;
  const length = end - at;
  for (let i = 0; i < MQTT_NAME.length; i++) if (frame[at + i] !== MQTT_NAME[i]) return undefined;
  at += MQTT_NAME.length;
  const level = frame[at++] as number;
  if (level !== 4 && level !== 5) return undefined;
  const flags = frame[at++] as number;
  // Will flag, Will QoS, Will Retain and the reserved bit all 0; password only with username.
  if ((flags & 0x3d) !== 0 || (flags & 0xc0) === 0x40) return undefined;
  const keepalive = ((frame[at] as number) << 8) + (frame[at + 1] as number);
  at += 2;
  if (level === 5) {
    if (frame[at] !== 0) return undefined;
    at += 1;
  }
  const clientId = asciiField(frame, at, end);
  if (clientId === undefined) return undefined;
  at += 2 + clientId.length;
  let username: string | undefined;
  let password: Buffer | undefined;
  if ((flags & 0x80) !== 0) {
    username = asciiField(frame, at, end);
    if (username === undefined) return undefined;
    at += 2 + username.length;
  }
  if ((flags & 0x40) !== 0) {
    if (at + 2 > end) return undefined;
    const passwordEnd = at + 2 + ((frame[at] as number) << 8) + (frame[at + 1] as number);
    if (passwordEnd > end) return undefined;
    password = frame.subarray(at + 2, passwordEnd);
    at = passwordEnd;
  }
  if (at !== end) return undefined;
  const packet: IConnectPacket = {
    cmd: 'connect',
    retain: false,
    qos: 0,
    dup: false,
    length,
    topic: null,
    payload: null,
    protocolId: 'MQTT',
    protocolVersion: level,
    clean: (flags & 0x02) !== 0,
    keepalive,
    clientId,
  } as IConnectPacket;
  if (username !== undefined) packet.username = username;
  if (password !== undefined) packet.password = password;
  return { kind: 'packet', packet };
}

/** A length-prefixed string of bytes 0x20 to 0x7e at `at`, or undefined (another byte, or
 *  running past `end`): what a device's client id and username are, and all that is decoded
 *  here without a UTF-8 check. */
function asciiField(frame: Buffer, at: number, end: number): string | undefined {
  if (at + 2 > end) return undefined;
  const start = at + 2;
  const stop = start + ((frame[at] as number) << 8) + (frame[at + 1] as number);
  if (stop > end) return undefined;
  for (let i = start; i < stop; i++) {
    const b = frame[i] as number;
    if (b < 0x20 || b > 0x7e) return undefined;
  }
  return frame.toString('latin1', start, stop);
}

/** The topic as a string; undefined when the bytes are not well-formed UTF-8, null when
 *  they hold U+0000. ASCII, the common case, is checked here byte by byte; only a byte of
 *  0x80 or more costs a full UTF-8 validation (which refuses overlong forms, surrogates and
 *  code points past U+10FFFF). U+0000 is the byte 0 in any well-formed UTF-8. */
function topicOf(frame: Buffer, start: number, end: number): string | null | undefined {
  let ascii = true;
  for (let i = start; i < end; i++) {
    const b = frame[i] as number;
    if (b === 0) return null;
    if (b >= 0x80) ascii = false;
  }
  if (ascii) return frame.toString('latin1', start, end);
  if (!isUtf8(frame.subarray(start, end))) return undefined;
  return frame.toString('utf8', start, end);
}

function malformed(reason: string): FastDecoded {
  return { kind: 'malformed', reason };
}

/**
 * Encodes an MQTT 3.1/3.1.1 CONNACK (type, 2, Session Present, return code), or returns
 * undefined for anything else (MQTT 5, whose CONNACK carries properties, goes to mqtt-packet).
 */
export function encodeConnack(packet: Packet, version: ProtocolVersion): Buffer | undefined {
  if (packet.cmd !== 'connack' || version === 5) return undefined;
  const code = packet.returnCode;
  if (code === undefined || !Number.isInteger(code) || code < 0 || code > 0xff) return undefined;
  return Buffer.from([0x20, 2, packet.sessionPresent ? 1 : 0, code]);
}

/** First byte of each acknowledgement; PUBREL has the fixed flags 0b0010 (MQTT-3.6.1-1). */
const ACK_TYPE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

/**
 * Encodes a PUBACK, PUBREC, PUBREL or PUBCOMP that has no properties, or returns undefined
 * for anything else (another packet, properties, a DUP flag, an id or reason code that is
 * not a whole number in range) so that mqtt-packet encodes it as before.
 * 3.1/3.1.1: type, 2, packet id. 5.0: the same four bytes for reason code 0 (or none), which
 * MQTT 5.0 3.4.2.1 allows to omit with the Property Length when there are no properties;
 * for another reason code, type, 3, packet id, code, the Property Length omitted (3.4.2.2.1:
 * a Remaining Length under 4 means no properties).
 */
export function encodeAck(packet: Packet, version: ProtocolVersion): Buffer | undefined {
  const { cmd } = packet;
  if (cmd !== 'puback' && cmd !== 'pubrec' && cmd !== 'pubrel' && cmd !== 'pubcomp') return undefined;
  if (packet.properties !== undefined || (packet as { dup?: unknown }).dup) return undefined;
  const id = packet.messageId;
  if (id === undefined || !Number.isInteger(id) || id < 0 || id > 0xffff) return undefined;
  const code = version === 5 ? (packet.reasonCode ?? 0) : 0;
  if (!Number.isInteger(code) || code < 0 || code > 0xff) return undefined;
  const out = Buffer.allocUnsafe(code === 0 ? 4 : 5);
  out[0] = ACK_TYPE[cmd];
  out[1] = code === 0 ? 2 : 3;
  out[2] = id >> 8;
  out[3] = id & 0xff;
  if (code !== 0) out[4] = code;
  return out;
}
