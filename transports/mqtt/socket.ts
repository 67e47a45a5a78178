/**
 * The transport a Connection runs on: bytes in, bytes out, back-pressure, close. Not a Node
 * stream (uWebSockets.js is not one either): `send` says whether the peer keeps up, `drain`
 * says when it caught up again, as nats.js' transport does. TCP, TLS and WebSocket implement it
 * (tcp.ts, tls.ts, ws.ts); the MQTT channel does not know which one it runs on.
 */
import type { ListenerKind, PeerCertificate } from './types.js';

/** What a transport calls on its Connection. */
export interface TransportSink {
  /** Bytes from the peer, in order. The buffer is the sink's to keep. */
  data(bytes: Buffer): void;
  /** Everything written so far has been taken by the network layer. */
  drain(): void;
  /** The connection is gone (closed by either side, or failed). Called once. */
  closed(reason: string): void;
}

export interface CloseReason {
  /** MQTT 5 reason code of the shutdown (also for 3.1.1 connections). */
  readonly reasonCode: number;
  readonly reason: string;
}

export interface Transport {
  readonly kind: ListenerKind;
  readonly remoteAddress: string;
  /** TLS only: the client certificate, when one was presented and verified. */
  readonly peerCertificate: PeerCertificate | undefined;
  /** TLS only: why a presented client certificate failed verification. */
  readonly certificateError: string | undefined;
  /** Bytes written and not yet taken by the peer. */
  readonly bufferedBytes: number;
  /** Starts delivering events to the sink. */
  start(sink: TransportSink): void;
  /** Writes bytes (queued when the peer is slow). False: back-pressure, wait for `drain`. */
  send(bytes: Uint8Array): boolean;
  /** Stops / restarts reading from the peer. A transport that cannot pause (uWebSockets.js)
   *  ignores these, and the Connection bounds what it holds instead. */
  pause(): void;
  resume(): void;
  /** The channel has no deadline of its own once connected (Keep Alive 0): find a peer that
   *  vanished without a FIN by other means (TCP keep-alive). Optional: uWebSockets.js has its
   *  own idle timeout. Called at most once. */
  watchIdlePeer?(): void;
  /** Flushes what was written, then closes. */
  close(reason: CloseReason): void;
  /** Closes at once, dropping unwritten bytes. */
  destroy(): void;
}
