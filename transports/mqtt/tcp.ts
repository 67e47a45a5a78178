/**
 * MQTT over plain TCP (node:net), and the socket transport that TLS shares: a node Socket
 * behind the Transport interface. Reading is paused with the socket's own flow control, so a
 * client that floods us while we wait for the host is slowed down by TCP itself.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { listenShared, type SharedListen } from '../net/index.js';
import type { CloseReason, Transport, TransportSink } from './socket.js';
import type { PeerCertificate } from './types.js';

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting; resolves when every accepted socket is closed. */
  close(): Promise<void>;
}

export class SocketTransport implements Transport {
  readonly kind: 'tcp' | 'tls';
  readonly peerCertificate: PeerCertificate | undefined;
  readonly certificateError: string | undefined;
  readonly #socket: Socket;
  #error: string | undefined;
  #corked = false;

  constructor(socket: Socket, kind: 'tcp' | 'tls', tls?: { certificate: PeerCertificate | undefined; error: string | undefined }) {
    this.#socket = socket;
    this.kind = kind;
    this.peerCertificate = tls?.certificate;
    this.certificateError = tls?.error;
    socket.setNoDelay(true);
  }

  /** Only for a client with Keep Alive 0 (nothing else would find its vanished peer): two
   *  setsockopt calls that every connect of a storm would otherwise pay. */
  watchIdlePeer(): void {
    this.#socket.setKeepAlive(true, 60_000);
  }

  /** Asked of the socket when read (a getpeername call, which Node then keeps). */
  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? '';
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  start(sink: TransportSink): void {
    const s = this.#socket;
    s.on('data', (b: Buffer) => sink.data(b));
    s.on('drain', () => sink.drain());
    s.on('error', (e: Error) => {
      this.#error ??= e.message;
    });
    s.on('close', () => sink.closed(this.#error ?? 'connection closed by the peer'));
  }

  send(bytes: Uint8Array): boolean {
    const s = this.#socket;
    if (s.destroyed || s.writableEnded) return true;
    // Packets written in one pass of the event loop leave in one writev instead of one syscall
    // each: the PUBACKs of a read arrive over several ticks (the fast path, the session actor's
    // answers), so the socket is uncorked after the loop's I/O, not at the end of this tick. On
    // the QoS 1 publish bench that alone took fleetgate from about 20k to 32-51k msgs/s and its
    // p99 from 160-340 ms to 45-90 ms, for at most one loop pass of added latency. (end()
    // flushes corked data itself, so a close is not held back.)
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      setImmediate(() => {
        this.#corked = false;
        s.uncork();
      });
    }
    return s.write(bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  close(_reason: CloseReason): void {
    if (!this.#socket.destroyed) this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

export interface ListenAt {
  readonly host: string;
  readonly port: number;
  /** Listen on a port that other threads of this process listen on too (SO_REUSEPORT). */
  readonly shared?: SharedListen;
}

export function listenTcp(where: ListenAt, accept: (t: Transport) => void): Promise<Listener> {
  const server = createServer((socket) => accept(new SocketTransport(socket, 'tcp')));
  return listen(server, where);
}

/** Listens and resolves with the bound port (`port: 0` picks a free one). */
export function listen(server: Server, where: ListenAt): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const listening = (): void => {
      server.off('error', onError);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : where.port;
      resolve({
        host: where.host,
        port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    };
    if (where.shared === undefined) server.listen(where.port, where.host, listening);
    else listenShared(server, where, where.shared, listening);
  });
}
