/**
 * Starts the MQTT listeners (TCP, TLS, WebSocket on a given uWS app) with one set of limits,
 * one clock and one host, and keeps track of their connections so that `close()` can end them
 * with DISCONNECT 0x8B Server shutting down.
 */
import { randomUUID } from 'node:crypto';
import { logger, systemClock, type Clock, type Logger } from '../../runtime/index.js';
import { Connection } from './connection.js';
import type { ChannelHost } from './host.js';
import { resolveLimits, type MqttLimits } from './limits.js';
import { RC } from './reason-codes.js';
import type { Transport } from './socket.js';
import type { SharedListen } from '../net/index.js';
import { listenTcp, type Listener } from './tcp.js';
import { listenTls, type TlsCredentials, type TlsListenOptions } from './tls.js';
import { attachWs, type UwsApp } from './ws.js';

export interface MqttServersOptions {
  readonly tcp?: { readonly host?: string; readonly port: number; readonly shared?: SharedListen };
  readonly tls?: Omit<TlsListenOptions, 'host'> & { readonly host?: string };
  /** MQTT over WebSocket on a uWS app that the caller owns and listens with. */
  readonly ws?: { readonly app: UwsApp; readonly path?: string };
  readonly limits?: Partial<MqttLimits>;
  readonly clock?: Clock;
  readonly host: ChannelHost;
  readonly log?: Logger;
  /** Client identifiers for clients that send none; default `auto-<uuid>`. */
  readonly assignClientId?: () => string;
}

export interface MqttServers {
  readonly tcp: { readonly host: string; readonly port: number } | undefined;
  readonly tls: { readonly host: string; readonly port: number } | undefined;
  readonly ws: { readonly path: string } | undefined;
  readonly limits: MqttLimits;
  /** Connections open now, on every listener. */
  readonly connections: number;
  /** Replaces the TLS listener's certificate, key and client CA bundle for new handshakes
   *  (TlsListener.setCredentials); TypeError when there is no TLS listener. */
  setTlsCredentials(c: TlsCredentials): void;
  /** Stops accepting, ends every connection (MQTT 5: DISCONNECT 0x8B) and resolves when the
   *  TCP and TLS sockets are closed. */
  close(): Promise<void>;
}

/** TypeError for bad options (misuse); a listen failure (address in use) rejects. */
export async function startMqttServers(o: MqttServersOptions): Promise<MqttServers> {
  if (o === null || typeof o !== 'object') throw new TypeError('startMqttServers: options object required');
  if (o.tcp === undefined && o.tls === undefined && o.ws === undefined) {
    throw new TypeError('startMqttServers: at least one of tcp, tls, ws is required');
  }
  if (o.host === undefined) throw new TypeError('startMqttServers: host (a ChannelHost) is required');
  checkPort('tcp.port', o.tcp?.port);
  checkPort('tls.port', o.tls?.port);
  if (o.tls !== undefined && (o.tls.cert === undefined || o.tls.key === undefined)) {
    throw new TypeError('startMqttServers: tls.cert and tls.key are required');
  }
  const limits = resolveLimits(o.limits);
  const clock = o.clock ?? systemClock;
  const log = o.log ?? logger('mqtt');
  const assignClientId = o.assignClientId ?? (() => `auto-${randomUUID()}`);
  const open = new Set<Connection>();
  let seq = 0;

  const accept = (t: Transport): void => {
    const c = new Connection(t, {
      id: `${t.kind}-${++seq}`,
      host: o.host,
      limits,
      clock,
      log,
      assignClientId,
      onFinished: (done) => open.delete(done),
    });
    open.add(c);
    c.start();
  };

  const listeners: Listener[] = [];
  try {
    const tcp = o.tcp === undefined ? undefined : await listenTcp({ ...o.tcp, host: o.tcp.host ?? '0.0.0.0' }, accept);
    if (tcp !== undefined) listeners.push(tcp);
    const tls = o.tls === undefined ? undefined : await listenTls({ ...o.tls, host: o.tls.host ?? '0.0.0.0' }, limits.connectTimeoutMs, log, accept);
    if (tls !== undefined) listeners.push(tls);
    const ws = o.ws === undefined ? undefined : attachWs(o.ws.app, o.ws.path ?? '/mqtt', limits, log, accept);
    log.info({ tcp: tcp?.port, tls: tls?.port, ws: ws?.path }, 'mqtt listening');
    return {
      tcp: tcp && { host: tcp.host, port: tcp.port },
      tls: tls && { host: tls.host, port: tls.port },
      ws: ws && { path: ws.path },
      limits,
      get connections() {
        return open.size;
      },
      setTlsCredentials(c) {
        if (tls === undefined) throw new TypeError('setTlsCredentials: these servers have no TLS listener');
        tls.setCredentials(c);
      },
      async close() {
        ws?.stop();
        const closing = listeners.map((l) => l.close());
        for (const c of [...open]) c.handle.disconnect(RC.SERVER_SHUTTING_DOWN, 'server shutting down');
        await Promise.all(closing);
      },
    };
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
}

function checkPort(key: string, port: number | undefined): void {
  if (port === undefined) return;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`startMqttServers: ${key}=${String(port)} must be an integer from 0 to 65535`);
  }
}
