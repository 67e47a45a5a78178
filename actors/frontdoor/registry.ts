/**
 * What one shard knows of the front door's live state, shard-local and therefore plain maps:
 *  - ConnectionTable: the MQTT connections this thread accepted (a uWS WebSocket lives on the
 *    shard that accepted it, and so does a TCP or TLS one), reached by other shards through the
 *    PORT actor of this shard;
 *  - SessionIndex: the sessions whose actors live on this shard, by credential, token id,
 *    endpoint and tenant, so that a revocation event or an extension's push is matched here
 *    without asking anyone;
 *  - PendingAnswers: 4/ESP requests in flight, by correlation id, bounded and expiring.
 * Each shard subscribes to the events itself, so nothing here is shared between threads.
 */
import type { ConnectionHandle, ListenerKind } from '../../transports/mqtt/index.js';

/** A connection somewhere in this process: the shard that holds it and its id there. */
export interface ConnRef {
  readonly shard: number;
  readonly id: string;
}

export class ConnectionTable {
  readonly #open = new Map<string, ConnectionHandle>();
  /** Client id of each authenticated connection. */
  readonly #clients = new Map<string, string>();

  add(c: ConnectionHandle, clientId: string): void {
    this.#open.set(c.id, c);
    this.#clients.set(c.id, clientId);
  }
  get(id: string): ConnectionHandle | undefined {
    return this.#open.get(id);
  }
  clientOf(id: string): string | undefined {
    return this.#clients.get(id);
  }
  remove(id: string): void {
    this.#open.delete(id);
    this.#clients.delete(id);
  }
  get size(): number {
    return this.#open.size;
  }
}

export interface SessionFacts {
  readonly conn: ConnRef;
  readonly listener: ListenerKind;
  readonly tenantId: string | undefined;
  readonly basic: boolean;
  readonly x509: boolean;
  /** `<tenant>/<credentialsId>` for basic, `cert:<tenant>/<credentialsId>` for X.509. */
  readonly credentialKeys: readonly string[];
  /** X.509 sessions: the CAs their certificate was verified through, for a reload of
   *  auth.x509Issuers (absent otherwise: nothing kept per basic session). */
  readonly caFingerprints?: readonly string[];
}

class MultiMap {
  readonly #m = new Map<string, Set<string>>();
  add(k: string, v: string): void {
    let s = this.#m.get(k);
    if (s === undefined) this.#m.set(k, (s = new Set()));
    s.add(v);
  }
  delete(k: string, v: string): void {
    const s = this.#m.get(k);
    if (s === undefined) return;
    s.delete(v);
    if (s.size === 0) this.#m.delete(k);
  }
  get(k: string): ReadonlySet<string> {
    return this.#m.get(k) ?? EMPTY;
  }
}
const EMPTY: ReadonlySet<string> = new Set();

/** Revocations a shard remembers, to refuse a check answered before its event (oldest go first). */
const MAX_REVOCATIONS = 100_000;

/** The key under which an endpoint token's revocation is remembered (credential keys are
 *  `<tenant>/<id>` and `cert:<tenant>/<id>`; a token id cannot take this form). */
export function revokedTokenKey(tokenId: string): string {
  return `token\n${tokenId}`;
}

export class SessionIndex {
  readonly #sessions = new Map<string, SessionFacts>();
  /** Revoked credential keys and token keys -> the revocation's sequence number on this shard. */
  readonly #revoked = new Map<string, number>();
  #revocations = 0;
  readonly #byCredential = new MultiMap();
  readonly #byToken = new MultiMap();
  readonly #byEndpoint = new MultiMap();
  /** The token ids and endpoints each session registered, to undo on close. */
  readonly #tokens = new Map<string, Set<string>>();
  readonly #endpoints = new Map<string, Set<string>>();

  open(clientId: string, facts: SessionFacts): void {
    this.close(clientId);
    this.#sessions.set(clientId, facts);
    for (const k of facts.credentialKeys) this.#byCredential.add(k, clientId);
  }

  close(clientId: string): void {
    const f = this.#sessions.get(clientId);
    if (f === undefined) return;
    this.#sessions.delete(clientId);
    for (const k of f.credentialKeys) this.#byCredential.delete(k, clientId);
    for (const t of this.#tokens.get(clientId) ?? EMPTY) this.#byToken.delete(t, clientId);
    for (const e of this.#endpoints.get(clientId) ?? EMPTY) this.#byEndpoint.delete(e, clientId);
    this.#tokens.delete(clientId);
    this.#endpoints.delete(clientId);
  }

  addToken(clientId: string, tokenId: string, endpointId: string): void {
    if (!this.#sessions.has(clientId)) return;
    this.#byToken.add(tokenId, clientId);
    this.#byEndpoint.add(endpointId, clientId);
    let t = this.#tokens.get(clientId);
    if (t === undefined) this.#tokens.set(clientId, (t = new Set()));
    t.add(tokenId);
    let e = this.#endpoints.get(clientId);
    if (e === undefined) this.#endpoints.set(clientId, (e = new Set()));
    e.add(endpointId);
  }

  removeToken(clientId: string, tokenId: string): void {
    this.#byToken.delete(tokenId, clientId);
    this.#tokens.get(clientId)?.delete(tokenId);
  }

  removeEndpoint(clientId: string, endpointId: string): void {
    this.#byEndpoint.delete(endpointId, clientId);
    this.#endpoints.get(clientId)?.delete(endpointId);
  }

  /**
   * A check of a credential or token (CONNECT, a 1/KP token, an HTTP request's token) awaits an
   * answer; a revocation event processed on this shard meanwhile finds no session to end yet.
   * The check takes a mark before it asks, and after the answer asks whether one of its keys was
   * revoked since: the session is then refused as if it had been there for the event.
   */
  revocationMark(): number {
    return this.#revocations;
  }

  noteRevoked(key: string): void {
    this.#revoked.delete(key);
    this.#revoked.set(key, ++this.#revocations);
    if (this.#revoked.size > MAX_REVOCATIONS) this.#revoked.delete(this.#revoked.keys().next().value as string);
  }

  revokedSince(key: string, mark: number): boolean {
    const at = this.#revoked.get(key);
    return at !== undefined && at > mark;
  }

  facts(clientId: string): SessionFacts | undefined {
    return this.#sessions.get(clientId);
  }
  byCredential(key: string): ReadonlySet<string> {
    return this.#byCredential.get(key);
  }
  byToken(tokenId: string): ReadonlySet<string> {
    return this.#byToken.get(tokenId);
  }
  byEndpoint(endpointId: string): ReadonlySet<string> {
    return this.#byEndpoint.get(endpointId);
  }
  all(): IterableIterator<[string, SessionFacts]> {
    return this.#sessions.entries();
  }
  get size(): number {
    return this.#sessions.size;
  }
}

export type Pending =
  | { readonly kind: 'mqtt'; readonly clientId: string; readonly topic: string; readonly qos: 0 | 1 | 2 }
  | { readonly kind: 'http'; readonly resolve: (answer: EspAnswer) => void };

export interface EspAnswer {
  readonly statusCode: number;
  readonly reasonPhrase: string | null;
  readonly payload: Uint8Array | null;
}

/** Bounded: beyond `max` the oldest request is forgotten (its answer, if any, is then dropped). */
export class PendingAnswers {
  readonly #m = new Map<string, { p: Pending; at: number }>();
  constructor(
    readonly max: number,
    readonly ttlMs: number,
  ) {}

  add(correlationId: string, p: Pending, now: number): void {
    if (this.#m.size >= this.max) {
      const oldest = this.#m.keys().next().value;
      if (oldest !== undefined) this.#m.delete(oldest);
    }
    this.#m.set(correlationId, { p, at: now });
  }

  take(correlationId: string): Pending | undefined {
    const e = this.#m.get(correlationId);
    if (e === undefined) return undefined;
    this.#m.delete(correlationId);
    return e.p;
  }

  /** Drops the entries older than the TTL (insertion order is age order). */
  expire(now: number): number {
    let n = 0;
    for (const [k, e] of this.#m) {
      if (now - e.at < this.ttlMs) break;
      this.#m.delete(k);
      n++;
    }
    return n;
  }

  get size(): number {
    return this.#m.size;
  }
}
