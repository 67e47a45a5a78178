/**
 * The connection side of the front door on one shard: the ChannelHost the MQTT listeners of this
 * thread answer to, which forwards every decision to the client's SessionActor (wherever its key
 * hashes), and the PORT actor through which session actors act on this thread's connections.
 *
 * Fast path: once the session actor has validated an endpoint token it hands back a grant, and
 * the next publishes with that token are relayed from here without a round trip to the actor
 * (which would cost two thread hops per message). Only while no publish of the connection is
 * still with the actor, so that PUBACKs keep the order of the PUBLISHes (MQTT-4.6.0-2); a
 * revocation ends the connection, and with it its grants.
 */
import type { Actor, ActorKind, ActorRef, Logger } from '../../runtime/index.js';
import { hasCode } from '../../runtime/index.js';
import { RC, type AuthResult, type ChannelHost, type ConnectionHandle, type QoS } from '../../transports/mqtt/index.js';
import { KPC_DEPS, type KpcDeps } from './deps.js';
import { PORT, SESSION, type PortMsg, type SessionMsg } from './protocol.js';
import type { KpcConfig } from './kpc-config.js';
import { parseKp1, type Kp1Request } from './kp1.js';
import type { ConnectionTable, ConnRef } from './registry.js';
import { relay, type PublishAnswer, type TokenGrant } from './relay.js';

interface ConnState {
  readonly clientId: string;
  /** Publishes of this connection waiting for the session actor. */
  inflight: number;
  /** Made on the first grant (an empty Map is ~200 B an idle connection would carry). */
  grants: Map<string, TokenGrant> | undefined;
  /** The last topic the fast path relayed: a device publishes to the same few topics. */
  route: FastRoute | undefined;
}

/** A parsed, routable 1/KP topic, valid while the configuration it was decided under is. */
interface FastRoute {
  readonly topic: string;
  readonly config: KpcConfig;
  readonly request: Kp1Request;
  /** `<application>\n<token>`, the grant that covers it; undefined when not endpoint-aware. */
  readonly grantKey: string | undefined;
}

/** The route of `topic` under `config`, or undefined when only the session actor may decide. */
function fastRoute(config: KpcConfig, topic: string): FastRoute | undefined {
  const parsed = parseKp1(topic, (ext) => config.endpointAware(ext));
  if (!parsed.ok) return undefined;
  const request = parsed.request;
  const route = config.route(request.appVersion, request.extension);
  if ('refused' in route) return undefined;
  return { topic, config, request, grantKey: route.endpointAware ? `${route.application}\n${request.token!}` : undefined };
}

export interface HostOptions {
  readonly deps: KpcDeps;
  readonly shard: number;
  readonly actors: ActorRef;
  readonly connections: ConnectionTable;
  /** Connections this thread accepts before answering CONNECT with Server busy. */
  readonly maxConnections: number;
  readonly askTimeoutMs: number;
  readonly log: Logger;
}

/** The reason code a failed ask is answered with: busy when a mailbox is full, else unavailable. */
function unavailable(err: unknown): number {
  return hasCode(err, 'ERR_MAILBOX_FULL') ? RC.SERVER_BUSY : RC.SERVER_UNAVAILABLE;
}

export function sessionHost(o: HostOptions): ChannelHost {
  const d = o.deps;
  const ref = (c: ConnectionHandle): ConnRef => ({ shard: o.shard, id: c.id });
  /** Per connection, from CONNECT on (also for connections not yet accepted). */
  const conns = new Map<string, ConnState>();
  const ask = <R>(c: ConnectionHandle, msg: SessionMsg): Promise<R> => {
    const clientId = conns.get(c.id)?.clientId;
    if (clientId === undefined) return Promise.reject(new Error('no session for this connection'));
    return o.actors.ask<R>(SESSION, clientId, msg, o.askTimeoutMs);
  };
  /** Relays from here when a grant covers the topic; undefined sends the publish to the actor. */
  const fast = (st: ConnState, topic: string, payload: Uint8Array, qos: QoS): number | undefined => {
    const config = d.config();
    let r = st.route;
    if (r === undefined || r.config !== config || r.topic !== topic) {
      r = fastRoute(config, topic);
      if (r === undefined) return undefined;
      st.route = r;
    }
    let endpointId: string | null = null;
    if (r.grantKey !== undefined) {
      const grant = st.grants?.get(r.grantKey);
      if (grant === undefined || Date.now() >= grant.validUntil) return undefined;
      endpointId = grant.endpointId;
    }
    try {
      relay(d, r.request, endpointId, payload, { clientId: st.clientId, topic, qos });
    } catch {
      return undefined;
    }
    d.metrics.routed();
    return RC.SUCCESS;
  };
  const tell = (c: ConnectionHandle, msg: SessionMsg): void => {
    const clientId = conns.get(c.id)?.clientId;
    if (clientId === undefined) return;
    try {
      o.actors.tell(SESSION, clientId, msg);
    } catch (err) {
      o.log.warn({ err: String(err), conn: c.id }, 'session message dropped');
    }
  };

  return {
    async authenticate(request, c): Promise<AuthResult> {
      if (o.connections.size >= o.maxConnections) return { ok: false, reasonCode: RC.SERVER_BUSY };
      const key = sessionKey(request.username, request.clientId);
      conns.set(c.id, { clientId: key, inflight: 0, grants: undefined, route: undefined });
      try {
        const result = await o.actors.ask<AuthResult>(
          SESSION,
          key,
          {
            t: 'connect',
            conn: ref(c),
            listener: c.listener,
            protocolVersion: request.protocolVersion,
            username: request.username,
            password: request.password,
            certificate: request.certificate,
          } satisfies SessionMsg,
          o.askTimeoutMs,
        );
        // The connection may have ended while the decision was made (onClose ran already).
        if (result.ok && conns.has(c.id)) o.connections.add(c, key);
        return result;
      } catch (err) {
        return { ok: false, reasonCode: unavailable(err) };
      }
    },
    onOpen(_info, c) {
      tell(c, { t: 'open', conn: ref(c) });
    },
    async publish(message, c) {
      const st = conns.get(c.id);
      if (st === undefined) return RC.UNSPECIFIED_ERROR;
      // QoS 0 is not bounded by Receive Maximum: bound what one connection may have with its
      // session actor, so that it cannot fill the mailbox its own close notice must reach.
      if (st.inflight >= MAX_INFLIGHT_ASKS) return RC.QUOTA_EXCEEDED;
      if (st.inflight === 0) {
        const code = fast(st, message.topic, message.payload, message.qos);
        if (code !== undefined) return code;
      }
      st.inflight++;
      try {
        const a = await ask<PublishAnswer>(c, { t: 'publish', conn: ref(c), topic: message.topic, payload: message.payload, qos: message.qos });
        if (a.grant !== undefined) {
          const grants = (st.grants ??= new Map());
          if (grants.size < d.maxTokensPerSession || grants.has(a.grant.key)) grants.set(a.grant.key, a.grant);
        }
        return a.code;
      } catch (err) {
        return hasCode(err, 'ERR_MAILBOX_FULL') ? RC.QUOTA_EXCEEDED : RC.UNSPECIFIED_ERROR;
      } finally {
        st.inflight--;
      }
    },
    async subscribe(filters, c) {
      try {
        return await ask<number[]>(c, { t: 'subscribe', conn: ref(c), filters });
      } catch {
        return filters.map(() => RC.UNSPECIFIED_ERROR);
      }
    },
    async unsubscribe(filters, c) {
      try {
        return await ask<number[]>(c, { t: 'unsubscribe', conn: ref(c), filters });
      } catch {
        return filters.map(() => RC.UNSPECIFIED_ERROR);
      }
    },
    delivered() {
      // Answers are at most once from the server's side: no session is kept for redelivery.
    },
    will(message, c) {
      // A will is a 1/KP request like any other (a device may report its own loss).
      tell(c, { t: 'publish', conn: ref(c), topic: message.topic, payload: message.payload, qos: message.qos, will: true });
    },
    onClose(_shutdown, c) {
      const clientId = conns.get(c.id)?.clientId;
      conns.delete(c.id);
      o.connections.remove(c.id);
      if (clientId !== undefined) deliverClosed(o, clientId, { t: 'closed', conn: ref(c) }, 0);
    },
  };
}

/** Asks one connection may have waiting for its session actor (QoS 0 included). */
const MAX_INFLIGHT_ASKS = 256;

/**
 * The session actor's key: the client id within the tenant the username names, so that a client
 * of one tenant cannot take over (or receive the answers of) another tenant's client id. Clients
 * that name no tenant (certificate-only, anonymous) share the '-' namespace, where the session
 * actor refuses a take-over across tenants.
 */
export function sessionKey(username: string | undefined, clientId: string): string {
  const at = username === undefined ? -1 : username.lastIndexOf('@');
  const tenant = at > 0 && at < username!.length - 1 ? username!.slice(at + 1) : '-';
  return `${tenant}/${clientId}`;
}

/** The close notice must reach the session (it unindexes it and announces the disconnect): a
 *  full mailbox is retried with a growing delay rather than dropped. */
function deliverClosed(o: HostOptions, clientId: string, msg: SessionMsg, attempt: number): void {
  try {
    o.actors.tell(SESSION, clientId, msg);
  } catch (err) {
    if (attempt >= 20) {
      o.log.error({ err: String(err), clientId }, 'session close notice dropped after retries');
      return;
    }
    setTimeout(() => deliverClosed(o, clientId, msg, attempt + 1), Math.min(1000, 10 * 2 ** attempt)).unref();
  }
}

export const portActorKind: ActorKind = {
  name: PORT,
  idlePassivationMs: 2 ** 31 - 1,
  // A revocation storm sends one message per session to the shard that holds the sockets.
  mailboxCapacity: 1_000_000,
  create: (ctx) => new PortActor((ctx.deps[KPC_DEPS] as KpcDeps).connections),
};

class PortActor implements Actor {
  constructor(private readonly connections: ConnectionTable) {}

  receive(m: PortMsg): undefined {
    const c = this.connections.get(m.id);
    if (c === undefined) return undefined;
    switch (m.op) {
      case 'deliver':
        c.deliver(m.message);
        break;
      case 'disconnect':
        c.disconnect(m.reasonCode, m.reason);
        break;
      case 'takeover':
        c.takeover();
        break;
    }
    return undefined;
  }
}
