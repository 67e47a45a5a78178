/**
 * Well-formed UTF-8 in the strings that name things: client identifier, user name, will topic,
 * topic names and filters (MQTT-1.5.3-1 in 3.1.1, MQTT-1.5.4-1 in 5.0: ill-formed UTF-8 makes
 * the packet malformed). mqtt-packet decodes strings leniently (bad sequences become U+FFFD),
 * so the check runs on the raw packet, at the offsets its layout gives (sections 3.1.3, 3.3.2,
 * 3.8.3, 3.10.3). Strings inside MQTT 5 properties are not checked.
 */
import { isUtf8 } from 'node:buffer';
import type { Packet, ProtocolVersion } from './types.js';

/** True when every checked string of the (already parsed) packet is well-formed UTF-8. */
export function namesAreUtf8(frame: Buffer, packet: Packet, version: ProtocolVersion): boolean {
  try {
    const r = new Reader(frame);
    r.skipFixedHeader();
    switch (packet.cmd) {
      case 'publish':
        return r.string();
      case 'subscribe':
      case 'unsubscribe': {
        r.skip(2);
        if (version === 5) r.skipProperties();
        while (r.more()) {
          if (!r.string()) return false;
          if (packet.cmd === 'subscribe') r.skip(1);
        }
        return true;
      }
      case 'connect': {
        r.skipBinary(); // protocol name
        const level = r.byte() & 0x7f;
        const flags = r.byte();
        r.skip(2); // keep alive
        if (level === 5) r.skipProperties();
        if (!r.string()) return false; // client identifier
        if ((flags & 0x04) !== 0) {
          if (level === 5) r.skipProperties();
          if (!r.string()) return false; // will topic
          r.skipBinary(); // will payload
        }
        if ((flags & 0x80) !== 0 && !r.string()) return false; // user name
        return true;
      }
      default:
        return true;
    }
  } catch {
    // The parser accepted the layout; a read past the end here means a layout this walk does
    // not know, which is not a reason to refuse the packet.
    return true;
  }
}

class Reader {
  #at = 0;
  constructor(private readonly buf: Buffer) {}

  more(): boolean {
    return this.#at < this.buf.length;
  }

  byte(): number {
    if (this.#at >= this.buf.length) throw new RangeError('past the end');
    return this.buf[this.#at++] as number;
  }

  skip(n: number): void {
    if (this.#at + n > this.buf.length) throw new RangeError('past the end');
    this.#at += n;
  }

  varint(): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.byte();
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw new RangeError('variable byte integer too long');
  }

  skipFixedHeader(): void {
    this.skip(1);
    this.varint();
  }

  skipProperties(): void {
    this.skip(this.varint());
  }

  skipBinary(): void {
    this.skip(this.length());
  }

  string(): boolean {
    const n = this.length();
    const start = this.#at;
    this.skip(n);
    return isUtf8(this.buf.subarray(start, start + n));
  }

  length(): number {
    return (this.byte() << 8) | this.byte();
  }
}
