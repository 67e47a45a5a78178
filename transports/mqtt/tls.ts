/**
 * MQTT over TLS (node:tls), TLS 1.2 and 1.3 only. Client certificates, when asked for, are
 * verified against the CA bundle but do not fail the handshake (`rejectUnauthorized: false`):
 * a client with an untrusted certificate completes the handshake and is refused at CONNECT
 * with a CONNACK it can read (0x87 / 3.1.1 return code 5), and the host only ever sees a
 * verified certificate. A handshake that never completes is cut after the CONNECT deadline.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';
import { createServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../../runtime/index.js';
import { SocketTransport, listen, type ListenAt, type Listener } from './tcp.js';
import type { Transport } from './socket.js';
import type { PeerCertificate } from './types.js';

export interface TlsListenOptions extends ListenAt {
  /** PEM server certificate (chain) and private key. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** PEM CA bundle that client certificates are verified against. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Ask clients for a certificate (X.509 client authentication). Default: false. */
  readonly requestCert?: boolean;
}

/** The certificate, key and client CA bundle of a TLS listener, replaceable in service. */
export interface TlsCredentials {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
}

export interface TlsListener extends Listener {
  /** New handshakes use these from now on; connections already up keep theirs. Throws what
   *  OpenSSL says of a bad certificate or a key that does not match it, and then the
   *  listener keeps its previous credentials. */
  setCredentials(c: TlsCredentials): void;
}

function contextOptions(c: TlsCredentials): { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer | Array<string | Buffer>; minVersion: 'TLSv1.2'; maxVersion: 'TLSv1.3' } {
  return {
    cert: c.cert,
    key: c.key,
    ...(c.ca === undefined ? {} : { ca: c.ca as string | Buffer | Array<string | Buffer> }),
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
  };
}

export async function listenTls(o: TlsListenOptions, handshakeTimeoutMs: number, log: Logger, accept: (t: Transport) => void): Promise<TlsListener> {
  const server = createServer({
    ...contextOptions(o),
    requestCert: o.requestCert === true,
    rejectUnauthorized: false,
    handshakeTimeout: handshakeTimeoutMs,
  });
  server.on('secureConnection', (socket: TLSSocket) => accept(new SocketTransport(socket, 'tls', peer(socket))));
  server.on('tlsClientError', (err: Error) => log.debug({ err: err.message }, 'mqtt tls handshake failed'));
  const listener = await listen(server, o);
  return Object.assign(listener, {
    // setSecureContext builds the whole context before it swaps it in: a failure changes nothing.
    setCredentials: (c: TlsCredentials) => server.setSecureContext(contextOptions(c)),
  });
}

function peer(socket: TLSSocket): { certificate: PeerCertificate | undefined; error: string | undefined } {
  // Detailed: each certificate links its issuer's, up to the anchor the chain was verified to.
  const cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  if (cert === null || Object.keys(cert).length === 0) return { certificate: undefined, error: undefined };
  if (!socket.authorized) return { certificate: undefined, error: String(socket.authorizationError ?? 'not verified') };
  const c = cert as DetailedPeerCertificate;
  return {
    certificate: {
      subject: names(c.subject),
      issuer: names(c.issuer),
      serialNumber: c.serialNumber,
      fingerprint256: c.fingerprint256,
      validFrom: c.valid_from,
      validTo: c.valid_to,
      raw: new Uint8Array(c.raw),
      caFingerprints: issuers(c),
    },
    error: undefined,
  };
}

/**
 * Normalised fingerprints of the issuers above `leaf`, each one only if the certificate below
 * it verifies under its key. node links the detailed chain by names (the certificates the
 * client sent first, then the CA store), not by signatures, and not along the path OpenSSL
 * verified: a client could send, beside a chain that really ends at its own CA, a certificate
 * whose names point at another tenant's CA. A link that does not verify ends the list there,
 * so a CA is named only if it (through verified links) signed the client's certificate.
 */
function issuers(leaf: DetailedPeerCertificate): string[] {
  const out: string[] = [];
  let at = leaf;
  let atCert: X509Certificate;
  try {
    atCert = new X509Certificate(leaf.raw);
  } catch {
    return out;
  }
  // A chain is a handful of certificates; the bound only guards against a malformed link.
  for (let i = 0; i < 16; i++) {
    const up = at.issuerCertificate as DetailedPeerCertificate | undefined;
    // A self-signed anchor links to itself.
    if (up === undefined || up === null || up === at || up.fingerprint256 === at.fingerprint256 || !Buffer.isBuffer(up.raw)) break;
    let upCert: X509Certificate;
    try {
      upCert = new X509Certificate(up.raw);
      if (!atCert.verify(upCert.publicKey)) break;
    } catch {
      break;
    }
    out.push(normalFingerprint(up.fingerprint256));
    at = up;
    atCert = upCert;
  }
  return out;
}

function normalFingerprint(f: string): string {
  return f.replace(/:/g, '').toLowerCase();
}

/** A distinguished name's attributes; a repeated attribute is joined with ", ". */
function names(dn: object | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dn ?? {})) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}
