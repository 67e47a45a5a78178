/**
 * MQTT over WebSocket on uWebSockets.js (MQTT 5.0 section 6): subprotocol `mqtt` (MQTT-6.0.0-3,
 * -4; the older `mqttv3.1` is accepted too), binary frames only (MQTT-6.0.0-1), and no
 * alignment of packets to frames (MQTT-6.0.0-2: the framer takes the bytes as a stream).
 * uWS cannot pause reading a WebSocket, so the Connection bounds what it holds instead; a
 * frame larger than twice the Maximum Packet Size is refused by uWS itself.
 */
import type { Logger } from '../../runtime/index.js';
import { uws } from '../uws.js';
import { RC } from './reason-codes.js';
import type { CloseReason, Transport, TransportSink } from './socket.js';
import type { MqttLimits } from './limits.js';

export type UwsApp = ReturnType<typeof uws.App>;
type UwsSocket = Parameters<NonNullable<Parameters<UwsApp['ws']>[1]['open']>>[0];

interface UserData {
  readonly remoteAddress: string;
  transport?: WsTransport;
}

export interface WsAttachment {
  readonly path: string;
  /** Refuses new upgrades from now on (the app and its listen socket are the caller's). */
  stop(): void;
}

export function attachWs(app: UwsApp, path: string, limits: MqttLimits, log: Logger, accept: (t: Transport) => void): WsAttachment {
  let stopped = false;
  app.ws<UserData>(path, {
    compression: uws.DISABLED,
    maxPayloadLength: Math.min(2 * limits.maxPacketSize, 0x7fffffff),
    // Keep Alive and the CONNECT deadline are the channel's; uWS' own idle timer is off.
    idleTimeout: 0,
    sendPingsAutomatically: false,
    maxBackpressure: limits.maxOutboundBufferBytes + limits.maxPacketSize,
    closeOnBackpressureLimit: 0,
    upgrade: (res, req, context) => {
      const protocol = subprotocol(req.getHeader('sec-websocket-protocol'));
      if (stopped || protocol === undefined) {
        res.writeStatus(stopped ? '503 Service Unavailable' : '400 Bad Request');
        res.end(stopped ? 'shutting down' : 'MQTT over WebSocket needs the "mqtt" subprotocol');
        return;
      }
      const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
      res.upgrade<UserData>(
        { remoteAddress },
        req.getHeader('sec-websocket-key'),
        protocol,
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      const t = new WsTransport(ws as UwsSocket, data.remoteAddress);
      data.transport = t;
      accept(t);
    },
    message: (ws, message, isBinary) => ws.getUserData().transport?.received(message, isBinary),
    drain: (ws) => ws.getUserData().transport?.drained(),
    close: (ws, code) => ws.getUserData().transport?.ended(code),
  });
  log.debug({ path }, 'mqtt over websocket attached');
  return {
    path,
    stop: () => {
      stopped = true;
    },
  };
}

/** The subprotocol to answer: `mqtt` when offered (MQTT-6.0.0-4), else `mqttv3.1`; '' when the
 *  client offered none (some embedded clients do not); undefined when it offered only others. */
export function subprotocol(offered: string): string | undefined {
  const list = offered.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  if (list.length === 0) return '';
  if (list.includes('mqtt')) return 'mqtt';
  if (list.includes('mqttv3.1')) return 'mqttv3.1';
  return undefined;
}

class WsTransport implements Transport {
  readonly kind = 'ws' as const;
  readonly remoteAddress: string;
  readonly peerCertificate = undefined;
  readonly certificateError = undefined;
  readonly #ws: UwsSocket;
  #sink: TransportSink | undefined;
  #open = true;
  #why: string | undefined;

  constructor(ws: UwsSocket, remoteAddress: string) {
    this.#ws = ws;
    this.remoteAddress = remoteAddress;
  }

  get bufferedBytes(): number {
    return this.#open ? this.#ws.getBufferedAmount() : 0;
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
  }

  received(message: ArrayBuffer, isBinary: boolean): void {
    if (!isBinary) {
      // MQTT-6.0.0-1, a frame that is not binary closes the connection.
      this.#why = 'text frame';
      this.#ws.end(1003, 'MQTT needs binary frames');
      return;
    }
    // uWS neuters the ArrayBuffer when this callback returns: copy it.
    this.#sink?.data(Buffer.from(new Uint8Array(message)));
  }

  drained(): void {
    this.#sink?.drain();
  }

  ended(code: number): void {
    this.#open = false;
    this.#sink?.closed(this.#why ?? `websocket closed (${code})`);
  }

  send(bytes: Uint8Array): boolean {
    if (!this.#open) return true;
    const status = this.#ws.send(bytes, true, false);
    if (status === 2) {
      // Dropped over uWS' own limit: the byte stream is broken, nothing more can be sent.
      this.#why = 'outbound buffer overflow';
      this.#ws.close();
      return false;
    }
    return status === 1;
  }

  pause(): void {}

  resume(): void {}

  close(reason: CloseReason): void {
    if (!this.#open) return;
    this.#why ??= reason.reason;
    this.#ws.end(closeCode(reason.reasonCode), reason.reason.slice(0, 120));
  }

  destroy(): void {
    if (this.#open) this.#ws.close();
  }
}

/** RFC 6455 7.4.1: 1002 protocol error, 1009 too big, 1008 policy, else 1000. */
function closeCode(reasonCode: number): number {
  if (reasonCode === RC.MALFORMED_PACKET || reasonCode === RC.PROTOCOL_ERROR) return 1002;
  if (reasonCode === RC.PACKET_TOO_LARGE) return 1009;
  if (reasonCode === RC.NOT_AUTHORIZED || reasonCode === RC.BAD_USER_NAME_OR_PASSWORD) return 1008;
  return 1000;
}
