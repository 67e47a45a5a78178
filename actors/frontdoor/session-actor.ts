/**
 * SessionActor: one per connected MQTT client (key = client id), on the shard its key hashes to,
 * whichever thread holds the socket. It authenticates the client (22/CAP basic and certificate,
 * the tenant's policy for the transport), takes over an older connection of the same client id,
 * identifies endpoints by the tokens in 1/KP topics (16/ECAP, cached for the session), relays
 * 1/KP requests to extensions as 4/ESP ClientData and their answers back to the client, keeps
 * the client's subscriptions (response topics only), announces 9/ELCE connectivity, and ends the
 * session when told (revocation, policy). Writes to the socket go through the PORT actor of the
 * connection's shard.
 *
 * One message at a time: a publish that waits for a token validation holds the next one back,
 * which keeps a client's requests in order.
 */
import type { Actor, ActorContext, ActorKind } from '../../runtime/index.js';
import { RC, type OutboundMessage, type ProtocolVersion, type QoS, type SubscriptionRequest } from '../../transports/mqtt/index.js';
import type { AuthResult } from '../../transports/mqtt/index.js';
import { KPC_DEPS, type KpcDeps } from './deps.js';
import { errorPayload, isResponseFilter, matchesFilter, parseKp1, pushTopic, responseTopic } from './kp1.js';
import { admits } from './kpc-config.js';
import { PORT, SESSION, sessionOpenedSubject, type PortMsg, type SessionMsg } from './protocol.js';
import { revokedTokenKey, type ConnRef } from './registry.js';
import { relay, type PublishAnswer, type TokenGrant } from './relay.js';

interface TokenEntry {
  tokenId: string;
  endpointId: string;
  checkedAt: number;
}

interface Subscription {
  filter: string;
  qos: QoS;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export const sessionActorKind: ActorKind = {
  name: SESSION,
  // A session lives as long as its connection; it passivates itself when the connection ends.
  idlePassivationMs: 2 ** 31 - 1,
  create: (ctx) => new SessionActor(ctx),
};

export class SessionActor implements Actor {
  readonly #ctx: ActorContext;
  readonly #d: KpcDeps;
  #conn: ConnRef | undefined;
  #tenantId: string | undefined;
  #version: ProtocolVersion = 4;
  /** `<application>\n<token>` -> what 16/ECAP said. */
  // Made on first use: most sessions of an idle fleet never carry a token (an empty Map is ~200 B).
  #tokens: Map<string, TokenEntry> | undefined;
  /** endpointId -> the app version and token it was last seen with (for pushes and ELCE). */
  #endpoints: Map<string, { appVersion: string; token: string }> | undefined;
  #subs: Subscription[] = [];
  #deliveries = 0;

  constructor(ctx: ActorContext) {
    this.#ctx = ctx;
    this.#d = ctx.deps[KPC_DEPS] as KpcDeps;
  }

  receive(m: SessionMsg): unknown {
    const answer = this.#receive(m);
    // An activation without a connection (a late message after the end) does not linger.
    if (m.t !== 'connect' && this.#conn === undefined) this.#ctx.passivate();
    return answer;
  }

  #receive(m: SessionMsg): unknown {
    switch (m.t) {
      case 'connect':
        return this.#connect(m);
      case 'open':
        return undefined;
      case 'publish':
        return this.#current(m.conn) ? this.#publish(m.topic, m.payload, m.qos, m.will === true) : ({ code: RC.UNSPECIFIED_ERROR } satisfies PublishAnswer);
      case 'subscribe':
        return this.#current(m.conn) ? this.#subscribe(m.filters) : m.filters.map(() => RC.UNSPECIFIED_ERROR);
      case 'unsubscribe':
        return this.#current(m.conn) ? this.#unsubscribe(m.filters) : m.filters.map(() => RC.UNSPECIFIED_ERROR);
      case 'closed':
        if (this.#current(m.conn)) this.#closed();
        return undefined;
      case 'answer':
        this.#answer(m.topic, m.qos, m.statusCode, m.reasonPhrase, m.payload);
        return undefined;
      case 'push':
        this.#push(m);
        return undefined;
      case 'end':
        this.#end(m.reasonCode, m.reason, m.tokenId, false, m.disconnected === true);
        return undefined;
      default:
        return undefined;
    }
  }

  #current(conn: ConnRef): boolean {
    return this.#conn !== undefined && this.#conn.shard === conn.shard && this.#conn.id === conn.id;
  }

  #port(conn: ConnRef, msg: PortMsg): void {
    try {
      this.#ctx.tell(PORT, this.#d.portKeys[conn.shard]!, msg);
    } catch (err) {
      // The socket's shard is down (its connections went with it) or its port is full.
      this.#ctx.log.warn({ err: String(err), op: msg.op }, 'port message not delivered');
    }
  }

  async #connect(m: Extract<SessionMsg, { t: 'connect' }>): Promise<AuthResult> {
    const d = this.#d;
    const refuse = (reasonCode: number, result: string): AuthResult => {
      d.metrics.connects.inc({ result });
      if (this.#conn === undefined) this.#ctx.passivate();
      return { ok: false, reasonCode };
    };
    let tenantId: string | undefined;
    let username: string | undefined;
    if (m.username !== undefined && m.username.length > 0) {
      const at = m.username.lastIndexOf('@');
      if (at > 0 && at < m.username.length - 1) {
        username = m.username.slice(0, at);
        tenantId = m.username.slice(at + 1);
      } else if (m.password !== undefined) return refuse(RC.BAD_USER_NAME_OR_PASSWORD, 'no-tenant');
    }
    const config = d.config();
    let policy = config.policy(tenantId, m.listener);
    const credentialKeys: string[] = [];
    const mark = d.index.revocationMark();
    let basic = false;
    let x509 = false;
    let caFingerprints: readonly string[] | undefined;

    if (m.certificate !== undefined && m.listener === 'tls' && policy.x509 !== 'off') {
      const r = await d.authenticator.certificate(m.certificate).catch(() => undefined);
      if (r === undefined || r.statusCode >= 500) return refuse(RC.SERVER_UNAVAILABLE, 'undecided');
      if (r.statusCode !== 200 || r.tenantId === null) return refuse(r.statusCode === 403 ? RC.BANNED : RC.NOT_AUTHORIZED, 'certificate-refused');
      if (tenantId !== undefined && tenantId !== r.tenantId) return refuse(RC.NOT_AUTHORIZED, 'tenant-mismatch');
      // Only the tenant's own CAs vouch for it (kpc-config.ts, auth.x509Issuers).
      if (!config.issuerAllowed(r.tenantId, m.certificate.caFingerprints)) return refuse(RC.NOT_AUTHORIZED, 'certificate-issuer');
      tenantId = r.tenantId;
      caFingerprints = m.certificate.caFingerprints;
      policy = config.policy(tenantId, m.listener);
      x509 = true;
      if (r.credentialsId !== null) credentialKeys.push(`cert:${tenantId}/${r.credentialsId}`);
    }
    if (m.password !== undefined && username !== undefined && tenantId !== undefined && policy.basic !== 'off') {
      let password: string;
      try {
        password = UTF8.decode(m.password);
      } catch {
        return refuse(RC.BAD_USER_NAME_OR_PASSWORD, 'bad-password');
      }
      const r = await d.authenticator.basic(tenantId, username, password).catch(() => undefined);
      if (r === undefined || r.statusCode >= 500) return refuse(RC.SERVER_UNAVAILABLE, 'undecided');
      if (r.statusCode === 403) return refuse(RC.NOT_AUTHORIZED, 'credential-inactive');
      if (r.statusCode !== 200) return refuse(RC.BAD_USER_NAME_OR_PASSWORD, 'bad-credentials');
      basic = true;
      if (r.credentialsId !== null) credentialKeys.push(`${tenantId}/${r.credentialsId}`);
    }
    // Revoked while the check was on its way back: the event found no session to end.
    if (credentialKeys.some((k) => d.index.revokedSince(k, mark))) return refuse(RC.NOT_AUTHORIZED, 'credential-inactive');
    // The configuration may have been reloaded while the credentials were checked.
    const now = d.config();
    if (!admits(now.policy(tenantId, m.listener), { basic, x509 })) return refuse(RC.NOT_AUTHORIZED, 'policy');
    if (caFingerprints !== undefined && tenantId !== undefined && !now.issuerAllowed(tenantId, caFingerprints)) return refuse(RC.NOT_AUTHORIZED, 'certificate-issuer');
    // Sessions of clients that name no tenant share a key space: never across tenants.
    if (this.#conn !== undefined && !this.#current(m.conn) && this.#tenantId !== tenantId) return refuse(RC.CLIENT_IDENTIFIER_NOT_VALID, 'client-id-in-use');

    // Accepted: an older connection of this client id is taken over (MQTT-3.1.4-3).
    if (this.#conn !== undefined && !this.#current(m.conn)) {
      this.#port(this.#conn, { op: 'takeover', id: this.#conn.id });
      this.#closed(false);
    }
    this.#conn = m.conn;
    this.#tenantId = tenantId;
    this.#version = m.protocolVersion;
    d.index.open(this.#ctx.key, { conn: m.conn, listener: m.listener, tenantId, basic, x509, credentialKeys, ...(caFingerprints === undefined ? {} : { caFingerprints }) });
    // Other replicas end their session of this client id (MQTT-3.1.4-3 across instances); the
    // in-process bus has no other replicas, and within one the actor itself took over above.
    if (d.bus.kind !== 'inprocess') {
      try {
        d.bus.publish(sessionOpenedSubject(d.instanceName), new TextEncoder().encode(JSON.stringify({ clientId: this.#ctx.key, replicaId: d.replicaId })));
      } catch (err) {
        this.#ctx.log.warn({ err: String(err) }, 'session-opened notice not published');
      }
    }
    d.metrics.connects.inc({ result: 'accepted' });
    return { ok: true };
  }

  /** Answers a PUBLISH with its PUBACK reason code, and the token grant the connection side may
   *  reuse for the next publishes with the same token. */
  async #publish(topic: string, payload: Uint8Array, qos: QoS, will: boolean): Promise<PublishAnswer> {
    let grant: TokenGrant | undefined;
    const code = await this.#route(topic, payload, qos, will, (g) => (grant = g));
    return grant === undefined ? { code } : { code, grant };
  }

  async #route(topic: string, payload: Uint8Array, qos: QoS, will: boolean, granted: (g: TokenGrant) => void): Promise<number> {
    const d = this.#d;
    const config = d.config();
    const parsed = parseKp1(topic, (ext) => config.endpointAware(ext));
    if (!parsed.ok) {
      d.metrics.published.inc({ result: parsed.problem });
      if (parsed.problem === 'not-kp1') {
        // Not a broker: nothing listens outside kp1/. MQTT 5 says so in the PUBACK; 3.1.1 has no
        // way to refuse a publish, so the connection is closed rather than the data lost silently.
        if (this.#version < 5 || qos === 0) this.#end(RC.TOPIC_NAME_INVALID, 'publish outside kp1/', undefined, true);
        return RC.TOPIC_NAME_INVALID;
      }
      this.#error(topic, qos, 400, parsed.detail);
      return RC.TOPIC_NAME_INVALID;
    }
    const req = parsed.request;
    const route = config.route(req.appVersion, req.extension);
    if ('refused' in route) {
      d.metrics.published.inc({ result: 'unknown-extension' });
      this.#error(topic, qos, 404, route.refused);
      return RC.TOPIC_NAME_INVALID;
    }
    let endpointId: string | null = null;
    if (route.endpointAware) {
      const token = req.token!;
      const key = `${route.application}\n${token}`;
      let entry = this.#tokens?.get(key);
      const now = this.#ctx.clock.now();
      if (entry === undefined || now - entry.checkedAt >= d.tokenRecheckMs) {
        if (entry === undefined && (this.#tokens?.size ?? 0) >= d.maxTokensPerSession) {
          d.metrics.published.inc({ result: 'too-many-tokens' });
          this.#error(topic, qos, 429, `a session may carry at most ${d.maxTokensPerSession} endpoint tokens`);
          return RC.QUOTA_EXCEEDED;
        }
        const mark = d.index.revocationMark();
        const r = await d.authenticator.token(route.application, token).catch(() => undefined);
        if (r === undefined || r.statusCode >= 500) {
          d.metrics.published.inc({ result: 'undecided' });
          this.#error(topic, qos, 503, 'endpoint token could not be checked');
          return RC.UNSPECIFIED_ERROR;
        }
        if (r.statusCode !== 200 || r.tokenId === null || r.endpointId === null) {
          if (entry !== undefined) this.#forgetToken(key, entry);
          d.metrics.published.inc({ result: 'token-refused' });
          this.#error(topic, qos, r.statusCode === 403 ? 403 : 401, r.statusCode === 403 ? 'endpoint token is not active' : 'unknown endpoint token');
          return RC.NOT_AUTHORIZED;
        }
        if (d.index.revokedSince(revokedTokenKey(r.tokenId), mark)) {
          // Revoked while the check was on its way back: end the session as the event would have.
          d.metrics.published.inc({ result: 'token-refused' });
          this.#end(RC.NOT_AUTHORIZED, 'endpoint token revoked', undefined);
          return RC.NOT_AUTHORIZED;
        }
        entry = { tokenId: r.tokenId, endpointId: r.endpointId, checkedAt: now };
        (this.#tokens ??= new Map()).set(key, entry);
        d.index.addToken(this.#ctx.key, entry.tokenId, entry.endpointId);
        if (this.#endpoints?.has(entry.endpointId) !== true) {
          (this.#endpoints ??= new Map()).set(entry.endpointId, { appVersion: req.appVersion, token });
          this.#announce(true, { [entry.endpointId]: req.appVersion });
        }
      }
      endpointId = entry.endpointId;
      (this.#endpoints ??= new Map()).set(endpointId, { appVersion: req.appVersion, token });
      granted({ key, endpointId, validUntil: entry.checkedAt + d.tokenRecheckMs });
    }
    try {
      relay(d, req, endpointId, payload, will ? undefined : { clientId: this.#ctx.key, topic, qos });
    } catch {
      d.metrics.published.inc({ result: 'bus-unavailable' });
      this.#error(topic, qos, 503, 'the extension cannot be reached now');
      return RC.UNSPECIFIED_ERROR;
    }
    d.metrics.published.inc({ result: 'routed' });
    return RC.SUCCESS;
  }

  #forgetToken(key: string, entry: TokenEntry): void {
    this.#tokens?.delete(key);
    this.#d.index.removeToken(this.#ctx.key, entry.tokenId);
    // No pushes for an endpoint the session no longer holds a valid token of.
    if (![...(this.#tokens?.values() ?? [])].some((e) => e.endpointId === entry.endpointId)) {
      this.#endpoints?.delete(entry.endpointId);
      this.#d.index.removeEndpoint(this.#ctx.key, entry.endpointId);
    }
  }

  #subscribe(filters: readonly SubscriptionRequest[]): number[] {
    return filters.map((f) => {
      if (!isResponseFilter(f.topicFilter)) return this.#version >= 5 ? RC.NOT_AUTHORIZED : RC.UNSPECIFIED_ERROR;
      const qos = Math.min(f.qos, 1) as QoS;
      this.#subs = this.#subs.filter((s) => s.filter !== f.topicFilter);
      if (this.#subs.length >= 1000) return RC.QUOTA_EXCEEDED;
      this.#subs.push({ filter: f.topicFilter, qos });
      return qos;
    });
  }

  #unsubscribe(filters: readonly string[]): number[] {
    return filters.map((f) => {
      const before = this.#subs.length;
      this.#subs = this.#subs.filter((s) => s.filter !== f);
      return this.#subs.length < before ? RC.SUCCESS : RC.NO_SUBSCRIPTION_EXISTED;
    });
  }

  /** Sends to the client when one of its subscriptions matches (QoS: the lower of both). */
  #deliver(topic: string, payload: Uint8Array | string, qos: QoS, kind: string): void {
    const conn = this.#conn;
    if (conn === undefined) return;
    let granted = -1;
    for (const s of this.#subs) if (s.qos > granted && matchesFilter(s.filter, topic)) granted = s.qos;
    if (granted < 0) return;
    const message: OutboundMessage = { ref: ++this.#deliveries, topic, payload, qos: Math.min(granted, qos) as QoS };
    this.#d.metrics.delivered.inc({ kind });
    this.#port(conn, { op: 'deliver', id: conn.id, message });
  }

  #error(requestTopic: string, qos: QoS, statusCode: number, reason: string): void {
    this.#deliver(responseTopic(requestTopic, true), errorPayload(statusCode, reason), qos, 'error');
  }

  #answer(topic: string, qos: QoS, statusCode: number, reasonPhrase: string | null, payload: Uint8Array | null): void {
    if (statusCode >= 400) this.#error(topic, qos, statusCode, reasonPhrase ?? '');
    else this.#deliver(responseTopic(topic, false), payload ?? new Uint8Array(0), qos, 'answer');
  }

  #push(m: Extract<SessionMsg, { t: 'push' }>): void {
    const ep = this.#endpoints?.get(m.endpointId);
    if (ep === undefined || ep.appVersion !== m.appVersion) return;
    const topic = pushTopic(m.appVersion, m.extension, ep.token, m.resourcePath);
    if (m.statusCode >= 400) this.#deliver(topic.replace(/\/status$/, '/error'), errorPayload(m.statusCode, m.reasonPhrase ?? ''), 1, 'error');
    else this.#deliver(topic, m.payload ?? new Uint8Array(0), 1, 'push');
  }

  #end(reasonCode: number, reason: string, tokenId: string | undefined, fromPublish = false, disconnected = false): void {
    const conn = this.#conn;
    if (conn === undefined) return;
    if (tokenId !== undefined && ![...(this.#tokens?.values() ?? [])].some((e) => e.tokenId === tokenId)) return;
    this.#d.metrics.ended.inc({ reason: fromPublish ? 'protocol' : reason.split(' ')[0] ?? 'other' });
    if (!disconnected) this.#port(conn, { op: 'disconnect', id: conn.id, reasonCode, reason });
    this.#closed();
  }

  #announce(connected: boolean, endpoints: Record<string, string>): void {
    this.#d.connectivity.announce({ connected, endpoints, at: Date.now() });
  }

  /** The connection ended (or is being ended): announce, unindex, and go away. */
  #closed(passivate = true): void {
    if (this.#conn === undefined) return;
    if (this.#endpoints !== undefined && this.#endpoints.size > 0) {
      const endpoints: Record<string, string> = {};
      for (const [id, e] of this.#endpoints) endpoints[id] = e.appVersion;
      this.#announce(false, endpoints);
    }
    this.#d.index.close(this.#ctx.key);
    this.#conn = undefined;
    this.#tenantId = undefined;
    this.#tokens = undefined;
    this.#endpoints = undefined;
    this.#subs = [];
    if (passivate) this.#ctx.passivate();
  }
}
