/**
 * An in-memory transport for a whole Connection: the test plays the client by pushing bytes
 * (any split) and reads back the packets the server wrote, decoded by a client-side
 * mqtt-packet parser. Back-pressure is switched on and off by the test.
 */
import mqttPacket from 'mqtt-packet';
import type { CloseReason, Packet, Transport, TransportSink } from '../../transports/mqtt/index.js';

export class FakeTransport implements Transport {
  readonly kind = 'tcp' as const;
  readonly remoteAddress = '192.0.2.1';
  readonly peerCertificate = undefined;
  readonly certificateError = undefined;
  sink: TransportSink | undefined;
  /** Raw bytes written by the server. */
  written: Buffer[] = [];
  /** When false, `send` reports back-pressure and bytes pile up in `bufferedBytes`. */
  writable = true;
  bufferedBytes = 0;
  paused = false;
  closedWith: CloseReason | undefined;
  /** Times the connection asked the transport to watch for a vanished peer. */
  idleWatches = 0;
  destroyed = false;
  readonly #parser = mqttPacket.parser();
  readonly #received: Packet[] = [];

  constructor(version: 3 | 4 | 5 = 4) {
    // The client side's parser must know the version to read MQTT 5 acks and properties.
    (this.#parser as unknown as { settings: { protocolVersion: number } }).settings = { protocolVersion: version };
    this.#parser.on('packet', (p: Packet) => this.#received.push(p));
  }

  start(sink: TransportSink): void {
    this.sink = sink;
  }

  send(bytes: Uint8Array): boolean {
    const b = Buffer.from(bytes);
    this.written.push(b);
    this.#parser.parse(b);
    if (!this.writable) this.bufferedBytes += b.length;
    return this.writable;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  watchIdlePeer(): void {
    this.idleWatches++;
  }

  close(reason: CloseReason): void {
    this.closedWith = reason;
  }

  destroy(): void {
    this.destroyed = true;
  }

  /** The client side: bytes to the server, one at a time unless told otherwise. */
  push(bytes: Buffer, chunk = 1): void {
    for (let i = 0; i < bytes.length; i += chunk) this.sink?.data(bytes.subarray(i, i + chunk));
  }

  /** Packets written by the server since the last call, without the `length` field. */
  take(): Packet[] {
    const out = this.#received.splice(0).map((p) => {
      const { length: _length, ...rest } = p as Packet & { length?: number };
      return { ...rest } as Packet;
    });
    return out;
  }

  /** The peer took everything. */
  drain(): void {
    this.writable = true;
    this.bufferedBytes = 0;
    this.sink?.drain();
  }
}
