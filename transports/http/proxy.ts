/**
 * Proxy awareness. Behind a TLS-terminating proxy the OAuth server must know the scheme and host
 * the client used (its issuer and endpoint URLs are built from them) and the client's address.
 * The X-Forwarded-* headers say so, but any client can send them: they are believed only when
 * the peer that sent them to us is a configured proxy.
 *
 * The server binds each request to its server's trust list (a WeakMap, so the request stays a
 * plain object); a request it did not make trusts nobody.
 */
import { BlockList, isIP } from 'node:net';
import type { HttpRequest } from './types.js';

export interface ForwardedInfo {
  readonly proto: 'http' | 'https';
  /** host[:port] as the client addressed it; '' when what we were given is not a valid host. */
  readonly host: string;
  /** The client's address: the peer, or the first untrusted hop of X-Forwarded-For. */
  readonly for: string;
}

export class ProxyTrust {
  readonly #list = new BlockList();
  readonly #answers = new Map<string, boolean>();
  readonly size: number;

  /** TypeError naming the entry when one is neither an IP address nor a CIDR block. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      const addr = slash === -1 ? entry : entry.slice(0, slash);
      const family = isIP(addr);
      if (family === 0) throw new TypeError(`trustedProxies: ${JSON.stringify(entry)} is not an IP address or a CIDR block`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash === -1) {
        this.#list.addAddress(addr, type);
        continue;
      }
      const bits = entry.slice(slash + 1);
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
        throw new TypeError(`trustedProxies: ${JSON.stringify(entry)} has an invalid prefix length`);
      }
      this.#list.addSubnet(addr, prefix, type);
    }
    this.size = entries.length;
  }

  trusts(address: string): boolean {
    if (this.size === 0) return false;
    // BlockList.check builds a SocketAddress per call: answers are remembered per address
    // (bounded; cleared when full, the list itself never changes).
    const known = this.#answers.get(address);
    if (known !== undefined) return known;
    const family = isIP(address);
    const answer = family !== 0 && this.#list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    if (this.#answers.size >= 10_000) this.#answers.clear();
    this.#answers.set(address, answer);
    return answer;
  }
}

const NOBODY = new ProxyTrust([]);
const trustOf = new WeakMap<HttpRequest, ProxyTrust>();

/** Called by the server for every request it builds. */
export function bindTrust(req: HttpRequest, trust: ProxyTrust): void {
  if (trust.size > 0) trustOf.set(req, trust);
}

/** uri-host [":" port] (RFC 9110 7.2): a reg-name or an IP literal; no userinfo, path or space. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::\d{1,5})?$/;

function validHost(v: string | undefined): string {
  return v !== undefined && HOST.test(v) ? v : '';
}

/** The first element of a comma-separated list header, trimmed. */
function first(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const comma = v.indexOf(',');
  return (comma === -1 ? v : v.slice(0, comma)).trim();
}

/** An X-Forwarded-For element without a port ("1.2.3.4:5678", "[2001:db8::1]:443"); '' if junk. */
function hopAddress(el: string): string {
  let v = el.trim();
  if (isIP(v) !== 0) return v;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    v = end === -1 ? '' : v.slice(1, end);
  } else {
    v = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(v)?.[1] ?? '';
  }
  return isIP(v) === 0 ? '' : v;
}

/** True when the peer is one of the server's trusted proxies: the test for believing any header
 *  a gateway sets on the client's behalf (X-Forwarded-*, an authenticated identity). */
export function fromTrustedProxy(req: HttpRequest): boolean {
  return trustOf.get(req)?.trusts(req.remoteAddress) ?? false;
}

export function forwardedInfo(req: HttpRequest): ForwardedInfo {
  return forwardedWith(trustOf.get(req) ?? NOBODY, req);
}

/** The same, with an explicit trust list (for code that builds requests itself, and tests). */
export function forwardedWith(trust: ProxyTrust, req: Pick<HttpRequest, 'headers' | 'remoteAddress'>): ForwardedInfo {
  const h = req.headers;
  if (!trust.trusts(req.remoteAddress)) {
    return { proto: 'http', host: validHost(h.host), for: req.remoteAddress };
  }
  const proto = first(h['x-forwarded-proto'])?.toLowerCase();
  const fwdHost = validHost(first(h['x-forwarded-host']));
  return {
    proto: proto === 'https' ? 'https' : 'http',
    host: fwdHost !== '' ? fwdHost : validHost(h.host),
    for: clientOf(trust, req.remoteAddress, h['x-forwarded-for']),
  };
}

/**
 * Each proxy appends the address it received from, so the list is read from the right: skip
 * hops that are our own proxies; the first one that is not is the client. Anything left of it
 * was written by the client and proves nothing. All trusted: the leftmost is the client.
 */
function clientOf(trust: ProxyTrust, peer: string, xff: string | undefined): string {
  if (xff === undefined || xff === '') return peer;
  const hops = xff.split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trust.trusts(client)) break;
    const hop = hopAddress(hops[i] as string);
    if (hop === '') break;
    client = hop;
  }
  return client;
}
