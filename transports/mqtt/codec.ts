/**
 * Packets from frames, and bytes from packets, with mqtt-packet's parser and generator. One
 * decoder per connection: the parser learns the protocol version from the CONNECT it parses.
 * The framer hands it exactly one whole packet at a time, which also keeps it clear of the
 * parser's habit of reading past a packet's end into the next one.
 */
import mqttPacket from 'mqtt-packet';
import type { Packet, ProtocolVersion } from './types.js';
import { namesAreUtf8 } from './utf8.js';

export type Decoded =
  | { readonly kind: 'packet'; readonly packet: Packet }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'unsupported-version'; readonly level: number };

export class PacketDecoder {
  readonly #parser = mqttPacket.parser();
  #packet: Packet | undefined;
  #error: string | undefined;
  #version: ProtocolVersion = 4;

  constructor() {
    this.#parser.on('packet', (p: Packet) => {
      this.#packet = p;
    });
    this.#parser.on('error', (e: unknown) => {
      this.#error ??= e instanceof Error ? e.message : String(e);
    });
  }

  /** Decodes one whole packet, as cut by the Framer. */
  decode(frame: Buffer): Decoded {
    if (frame[0] !== undefined && frame[0] >> 4 === 1) {
      const level = connectLevel(frame);
      if (level !== undefined && level !== 3 && level !== 4 && level !== 5) return { kind: 'unsupported-version', level };
      if (level !== undefined) this.#version = level;
    }
    this.#packet = undefined;
    this.#error = undefined;
    this.#parser.parse(frame);
    const packet = this.#packet as Packet | undefined;
    if (this.#error !== undefined) return { kind: 'malformed', reason: this.#error };
    if (packet === undefined) return { kind: 'malformed', reason: 'incomplete packet' };
    if (!namesAreUtf8(frame, packet, this.#version)) return { kind: 'malformed', reason: 'ill-formed UTF-8 string' };
    return { kind: 'packet', packet };
  }
}

export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, { protocolVersion: version });
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
