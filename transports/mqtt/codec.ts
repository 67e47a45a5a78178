/**
 * Packets from frames, and bytes from packets, with mqtt-packet's parser and generator. One
 * decoder per connection: the parser learns the protocol version from the CONNECT it parses.
 * The framer hands it exactly one whole packet at a time, which also keeps it clear of the
 * parser's habit of reading past a packet's end into the next one. PUBLISH and a device's
 * CONNECT in, and the acknowledgements out, take a direct path first (fast-codec.ts); the rest
 * goes to mqtt-packet.
 */
import mqttPacket from 'mqtt-packet';
import { decodeConnect, decodePublish, encodeAck, encodeConnack } from './fast-codec.js';
import type { Packet, ProtocolVersion } from './types.js';
import { namesAreUtf8 } from './utf8.js';

export type Decoded =
  | { readonly kind: 'packet'; readonly packet: Packet }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'unsupported-version'; readonly level: number };

export class PacketDecoder {
  #packet: Packet | undefined;
  #error: string | undefined;
  #version: ProtocolVersion = 4;
  /** The version the parser works in: set only by a CONNECT it parsed (4 until then). */
  #parsed: ProtocolVersion = 4;

  /**
   * A parser for one packet, made when a packet needs one and dropped after it. Whole frames
   * leave it no state worth keeping but the protocol version, which it is given; a kept parser
   * would cost an idle connection about 1.6 KB and hold its CONNECT (password included), which
   * mqtt-packet keeps as its settings.
   */
  #parse(frame: Buffer): void {
    const parser = mqttPacket.parser({ protocolVersion: this.#parsed });
    parser.on('packet', (p: Packet) => {
      this.#packet = p;
    });
    parser.on('error', (e: unknown) => {
      this.#error ??= e instanceof Error ? e.message : String(e);
    });
    parser.parse(frame);
  }

  /** Decodes one whole packet, as cut by the Framer. */
  decode(frame: Buffer): Decoded {
    const type = frame.length > 0 ? (frame[0] as number) >> 4 : 0;
    if (type === 3) {
      const fast = decodePublish(frame, this.#parsed);
      if (fast !== undefined) return fast;
    }
    if (type === 1) {
      const fast = decodeConnect(frame);
      if (fast !== undefined) {
        if (fast.kind === 'packet' && fast.packet.cmd === 'connect') this.#version = this.#parsed = fast.packet.protocolVersion as 4 | 5;
        return fast;
      }
      const level = connectLevel(frame);
      if (level !== undefined && level !== 3 && level !== 4 && level !== 5) return { kind: 'unsupported-version', level };
      if (level !== undefined) this.#version = level;
    }
    this.#packet = undefined;
    this.#error = undefined;
    this.#parse(frame);
    const packet = this.#packet as Packet | undefined;
    this.#packet = undefined;
    if (this.#error !== undefined) return { kind: 'malformed', reason: this.#error };
    if (packet === undefined) return { kind: 'malformed', reason: 'incomplete packet' };
    if (packet.cmd === 'connect' && packet.protocolVersion !== undefined) this.#parsed = packet.protocolVersion;
    if (!namesAreUtf8(frame, packet, this.#version)) return { kind: 'malformed', reason: 'ill-formed UTF-8 string' };
    // MQTT-4.7.3-2, as the direct path refuses it (an MQTT 5 PUBLISH with properties gets here).
    if (packet.cmd === 'publish' && packet.topic.includes('\u0000')) return { kind: 'malformed', reason: 'NUL in topic name' };
    return { kind: 'packet', packet };
  }
}

export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  return encodeAck(packet, version) ?? encodeConnack(packet, version) ?? mqttPacket.generate(packet, { protocolVersion: version });
}

/** The protocol level of a CONNECT named MQTT or MQIsdp (undefined for another name: the
 *  parser refuses it as malformed). The bridge bit (0x80) some clients set is ignored. */
function connectLevel(frame: Buffer): number | undefined {
  let at = 1;
  while (at < frame.length && ((frame[at] as number) & 0x80) !== 0) at++;
  at++;
  if (at + 2 > frame.length) return undefined;
  const nameLength = frame.readUInt16BE(at);
  at += 2;
  if (at + nameLength >= frame.length) return undefined;
  const name = frame.toString('latin1', at, at + nameLength);
  if (name !== 'MQTT' && name !== 'MQIsdp') return undefined;
  return (frame[at + nameLength] as number) & 0x7f;
}
