/**
 * How the front door asks whether a client or an endpoint token may in: 22/CAP (basic and
 * certificate) and 16/ECAP (endpoint tokens). Two ways to reach the credential services, with one
 * contract:
 *  - `local`: the credential services of this process (their actors, the hashing pool and the
 *    verified-secret cache), without encoding a message; the default when they run here;
 *  - `bus`: the Avro requests over the bus to the configured CCM and CM instances, for a front
 *    door deployed apart from them.
 * A decision that cannot be made (service down, timeout) rejects: callers fail closed.
 */
import { randomUUID } from 'node:crypto';
import { FleetgateError } from '../../runtime/index.js';
import {
  capBasicRequestSubject,
  capCertificateRequestSubject,
  decodeClientBasicAuthenticationResponse,
  decodeClientCertificateAuthenticationResponse,
  decodeEndpointTokenValidationResponse,
  ecapTokenRequestSubject,
  encodeClientBasicAuthenticationRequest,
  encodeClientCertificateAuthenticationRequest,
  encodeEndpointTokenValidationRequest,
  type Bus,
} from '../../transports/bus/index.js';
import type { PeerCertificate } from '../../transports/mqtt/index.js';
import type { CredentialService } from '../credentials/service.js';

export interface BasicDecision {
  readonly statusCode: number;
  readonly reasonPhrase: string;
  readonly credentialsId: string | null;
}

export interface CertificateDecision {
  readonly statusCode: number;
  readonly reasonPhrase: string;
  readonly tenantId: string | null;
  readonly credentialsId: string | null;
}

export interface TokenDecision {
  readonly statusCode: number;
  readonly reasonPhrase: string;
  readonly tokenId: string | null;
  readonly endpointId: string | null;
}

export interface Authenticator {
  basic(tenantId: string, username: string, password: string): Promise<BasicDecision>;
  certificate(cert: PeerCertificate): Promise<CertificateDecision>;
  /** `application` is the application name (tokens are unique per application). */
  token(application: string, token: string): Promise<TokenDecision>;
}

export const AuthenticatorCodes = { UNDECIDED: 'ERR_KPC_AUTH_UNDECIDED' } as const;

export interface BusAuthenticatorOptions {
  readonly ccmInstance: string;
  readonly cmInstance: string;
  readonly timeoutMs: number;
}

const header = (timeoutMs: number) => ({ correlationId: randomUUID(), timestamp: Date.now(), timeout: timeoutMs });

export function busAuthenticator(bus: Bus, o: BusAuthenticatorOptions): Authenticator {
  const ask = async <T>(subject: string, data: Uint8Array, decode: (b: Uint8Array) => T): Promise<T> => {
    const reply = await bus.request(subject, data, { timeoutMs: o.timeoutMs });
    try {
      return decode(reply);
    } catch (err) {
      throw new FleetgateError(AuthenticatorCodes.UNDECIDED, `undecodable answer on ${subject}: ${(err as Error).message}`);
    }
  };
  return {
    async basic(tenantId, username, password) {
      const r = await ask(
        capBasicRequestSubject(o.ccmInstance),
        encodeClientBasicAuthenticationRequest({ ...header(o.timeoutMs), tenantId, username, password }),
        decodeClientBasicAuthenticationResponse,
      );
      return { statusCode: r.statusCode, reasonPhrase: r.reasonPhrase ?? '', credentialsId: r.credentialsId };
    },
    async certificate(cert) {
      const r = await ask(
        capCertificateRequestSubject(o.ccmInstance),
        encodeClientCertificateAuthenticationRequest({ ...header(o.timeoutMs), issuer: distinguishedName(cert.issuer), serialNumber: serialDecimal(cert.serialNumber) }),
        decodeClientCertificateAuthenticationResponse,
      );
      return { statusCode: r.statusCode, reasonPhrase: r.reasonPhrase ?? '', tenantId: r.tenantId, credentialsId: r.credentialsId };
    },
    async token(application, token) {
      const r = await ask(
        ecapTokenRequestSubject(o.cmInstance),
        encodeEndpointTokenValidationRequest({ ...header(o.timeoutMs), appName: application, token }),
        decodeEndpointTokenValidationResponse,
      );
      return { statusCode: r.statusCode, reasonPhrase: r.reasonPhrase ?? '', tokenId: r.tokenId, endpointId: r.endpointId };
    },
  };
}

/** Basic auth and tokens in-process; certificates as configured (subject, or 22/CAP on the bus). */
export function localAuthenticator(service: CredentialService, certificates: Pick<Authenticator, 'certificate'>): Authenticator {
  return {
    basic: (tenantId, username, password) => service.authenticate(tenantId, username, password),
    certificate: (cert) => certificates.certificate(cert),
    token: (application, token) => service.validateToken(application, token),
  };
}

/**
 * Certificates identified by their subject: the TLS layer has verified the chain against the
 * configured CA bundle (the tenants' CAs), the tenant is the subject attribute `tenantAttribute`
 * and the credential id the certificate's SHA-256 fingerprint (what a revocation event names).
 */
export function subjectCertificates(tenantAttribute: string): Pick<Authenticator, 'certificate'> {
  return {
    async certificate(cert) {
      const tenantId = cert.subject[tenantAttribute];
      if (tenantId === undefined || !/^[A-Za-z0-9._~-]{1,128}$/.test(tenantId)) {
        return { statusCode: 401, reasonPhrase: `the certificate subject names no tenant (${tenantAttribute})`, tenantId: null, credentialsId: null };
      }
      return { statusCode: 200, reasonPhrase: 'OK', tenantId, credentialsId: cert.fingerprint256.replace(/:/g, '').toLowerCase() };
    },
  };
}

/** RFC 4514-style text of a DN, most specific attribute last as node reports it. */
export function distinguishedName(dn: Readonly<Record<string, string>>): string {
  return Object.entries(dn)
    .map(([k, v]) => `${k}=${v.replace(/([,+"\\<>;])/g, '\\$1')}`)
    .join(',');
}

/** Node gives the serial number as hex; 22/CAP wants base 10. */
export function serialDecimal(hex: string): string {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  return clean.length === 0 ? '0' : BigInt(`0x${clean}`).toString(10);
}
