/**
 * MQTT over TLS (node:tls), TLS 1.2 and 1.3 only. Client certificates, when asked for, are
 * verified against the CA bundle but do not fail the handshake (`rejectUnauthorized: false`):
 * a client with an untrusted certificate completes the handshake and is refused at CONNECT
 * with a CONNACK it can read (0x87 / 3.1.1 return code 5), and the host only ever sees a
 * verified certificate. A handshake that never completes is cut after the CONNECT deadline.
 */
import type { PeerCertificate as NodePeerCertificate } from 'node:tls';
import { createServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../../runtime/index.js';
import { SocketTransport, listen, type Listener } from './tcp.js';
import type { Transport } from './socket.js';
import type { PeerCertificate } from './types.js';

export interface TlsListenOptions {
  readonly host: string;
  readonly port: number;
  /** PEM server certificate (chain) and private key. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** PEM CA bundle that client certificates are verified against. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Ask clients for a certificate (X.509 client authentication). Default: false. */
  readonly requestCert?: boolean;
}

export function listenTls(o: TlsListenOptions, handshakeTimeoutMs: number, log: Logger, accept: (t: Transport) => void): Promise<Listener> {
  const server = createServer({
    cert: o.cert,
    key: o.key,
    ...(o.ca === undefined ? {} : { ca: o.ca as string | Buffer | Array<string | Buffer> }),
    requestCert: o.requestCert === true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    handshakeTimeout: handshakeTimeoutMs,
  });
  server.on('secureConnection', (socket: TLSSocket) => accept(new SocketTransport(socket, 'tls', peer(socket))));
  server.on('tlsClientError', (err: Error) => log.debug({ err: err.message }, 'mqtt tls handshake failed'));
  return listen(server, o);
}

function peer(socket: TLSSocket): { certificate: PeerCertificate | undefined; error: string | undefined } {
  const cert = socket.getPeerCertificate(false) as NodePeerCertificate | Record<string, never>;
  if (cert === null || Object.keys(cert).length === 0) return { certificate: undefined, error: undefined };
  if (!socket.authorized) return { certificate: undefined, error: String(socket.authorizationError ?? 'not verified') };
  const c = cert as NodePeerCertificate;
  return {
    certificate: {
      subject: names(c.subject),
      issuer: names(c.issuer),
      serialNumber: c.serialNumber,
      fingerprint256: c.fingerprint256,
      validFrom: c.valid_from,
      validTo: c.valid_to,
      raw: new Uint8Array(c.raw),
    },
    error: undefined,
  };
}

/** A distinguished name's attributes; a repeated attribute is joined with ", ". */
function names(dn: object | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dn ?? {})) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}
