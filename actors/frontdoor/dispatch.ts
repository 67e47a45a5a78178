/**
 * The front door's bus listeners on one shard. Each shard subscribes for itself (no queue group)
 * and acts only on the sessions indexed here, so an event reaches every session wherever it lives
 * without a hop through another shard:
 *  - 4/ESP ExtensionData: answers (matched by correlation id on this shard's reply subject) and
 *    pushes (on the instance subject, matched by endpoint id);
 *  - fleetgate's session-opened notices from other replicas (take-over across instances);
 *  - 22/CAP client-credentials revoked (basic and certificate) and 16/ECAP endpoint-token revoked:
 *    the sessions concerned are disconnected at once, through their connection's PORT actor
 *    directly (the session actor may be busy with a request), then told to clean up.
 */
import type { ActorRef, Logger, Service } from '../../runtime/index.js';
import {
  anyOriginatorEventPattern,
  decodeClientCredentialsRevokedEvent,
  decodeEndpointTokenRevokedEvent,
  decodeExtensionData,
  espExtensionDataSubject,
  type BusMessage,
  type Subscription,
} from '../../transports/bus/index.js';
import { RC } from '../../transports/mqtt/index.js';
import type { KpcDeps } from './deps.js';
import { revokedTokenKey } from './registry.js';
import { PORT, SESSION, sessionOpenedSubject, type PortMsg, type SessionMsg } from './protocol.js';

export function dispatchService(d: KpcDeps, actors: ActorRef, log: Logger): Service {
  const subs: Subscription[] = [];
  let sweeper: NodeJS.Timeout | undefined;

  const tellSession = (clientId: string, msg: SessionMsg): void => {
    try {
      actors.tell(SESSION, clientId, msg);
    } catch (err) {
      log.warn({ err: String(err) }, 'session message dropped');
    }
  };
  const end = (clientIds: ReadonlySet<string>, reasonCode: number, reason: string, tokenId?: string): number => {
    const ids = [...clientIds];
    for (const clientId of ids) {
      const f = d.index.facts(clientId);
      let disconnected = false;
      if (f !== undefined) {
        const msg: PortMsg = { op: 'disconnect', id: f.conn.id, reasonCode, reason };
        try {
          actors.tell(PORT, d.portKeys[f.conn.shard]!, msg);
          disconnected = true;
        } catch (err) {
          // The session's own end retries through its port; the loop goes on for the others.
          log.warn({ err: String(err) }, 'revocation disconnect not delivered to the port');
        }
      }
      tellSession(clientId, tokenId === undefined ? { t: 'end', reasonCode, reason, disconnected } : { t: 'end', reasonCode, reason, tokenId, disconnected });
    }
    return ids.length;
  };

  const onExtensionData = (m: BusMessage): void => {
    let x;
    try {
      x = decodeExtensionData(m.data);
    } catch (err) {
      log.warn({ subject: m.subject, err: String(err) }, 'undecodable ExtensionData dropped');
      return;
    }
    const pending = d.pending.take(x.correlationId);
    if (pending !== undefined) {
      const answer = { statusCode: x.statusCode, reasonPhrase: x.reasonPhrase, payload: x.payload === null ? null : Uint8Array.from(x.payload) };
      if (pending.kind === 'http') pending.resolve(answer);
      else tellSession(pending.clientId, { t: 'answer', topic: pending.topic, qos: pending.qos, ...answer });
      return;
    }
    if (x.requestId !== null) return; // the answer to a request nobody waits for any more
    if (x.endpointId === null || x.appVersionName === null || x.extensionInstanceName === null) return;
    const targets = d.index.byEndpoint(x.endpointId);
    if (targets.size === 0) return;
    const payload = x.payload === null ? null : Uint8Array.from(x.payload);
    for (const clientId of targets) {
      tellSession(clientId, {
        t: 'push',
        appVersion: x.appVersionName,
        extension: x.extensionInstanceName,
        endpointId: x.endpointId,
        resourcePath: x.resourcePath,
        statusCode: x.statusCode,
        reasonPhrase: x.reasonPhrase,
        payload,
      });
    }
  };

  const onCredentialRevoked = (kind: 'basic' | 'certificate') => (m: BusMessage): void => {
    let e;
    try {
      e = decodeClientCredentialsRevokedEvent(m.data);
    } catch (err) {
      log.warn({ subject: m.subject, err: String(err) }, 'undecodable revocation event dropped');
      return;
    }
    const key = kind === 'basic' ? `${e.tenantId}/${e.credentialsId}` : `cert:${e.tenantId}/${e.credentialsId}`;
    d.index.noteRevoked(key);
    // 0x87 for both kinds: 0x8A Banned exists on CONNACK only (MQTT 5.0 3.14.2.1), and a
    // DISCONNECT with it is refused by the connection, which would leave the session open.
    const n = end(d.index.byCredential(key), RC.NOT_AUTHORIZED, `client credentials ${kind === 'basic' ? 'revoked' : 'certificate revoked'}`);
    if (n > 0) log.info({ tenantId: e.tenantId, credentialsId: e.credentialsId, sessions: n }, 'sessions ended: client credentials revoked');
  };

  const onTokenRevoked = (m: BusMessage): void => {
    let e;
    try {
      e = decodeEndpointTokenRevokedEvent(m.data);
    } catch (err) {
      log.warn({ subject: m.subject, err: String(err) }, 'undecodable revocation event dropped');
      return;
    }
    let n = 0;
    for (const tokenId of e.tokenIds) {
      d.httpTokens.revoke(tokenId);
      d.index.noteRevoked(revokedTokenKey(tokenId));
    }
    for (const tokenId of e.tokenIds) n += end(d.index.byToken(tokenId), RC.NOT_AUTHORIZED, 'endpoint token revoked', tokenId);
    if (n > 0) log.info({ endpointId: e.endpointId, sessions: n }, 'sessions ended: endpoint token revoked');
  };

  const onSessionOpened = (m: BusMessage): void => {
    let notice: { clientId?: unknown; replicaId?: unknown };
    try {
      notice = JSON.parse(new TextDecoder().decode(m.data)) as typeof notice;
    } catch {
      return;
    }
    if (notice.replicaId === d.replicaId || typeof notice.clientId !== 'string') return;
    const f = d.index.facts(notice.clientId);
    if (f === undefined) return;
    try {
      actors.tell(PORT, d.portKeys[f.conn.shard]!, { op: 'takeover', id: f.conn.id } satisfies PortMsg);
    } catch (err) {
      log.warn({ err: String(err) }, 'take-over not delivered to the port');
    }
    tellSession(notice.clientId, { t: 'end', reasonCode: RC.SESSION_TAKEN_OVER, reason: 'session taken over on another instance', disconnected: true });
  };

  return {
    name: 'kpc-dispatch',
    start() {
      subs.push(d.bus.subscribe(d.replySubject, onExtensionData));
      subs.push(d.bus.subscribe(espExtensionDataSubject(d.instanceName), onExtensionData));
      subs.push(d.bus.subscribe(anyOriginatorEventPattern('client-credentials', 'basic', 'revoked'), onCredentialRevoked('basic')));
      subs.push(d.bus.subscribe(anyOriginatorEventPattern('client-credentials', 'certificate', 'revoked'), onCredentialRevoked('certificate')));
      subs.push(d.bus.subscribe(anyOriginatorEventPattern('endpoint', 'token', 'revoked'), onTokenRevoked));
      if (d.bus.kind !== 'inprocess') subs.push(d.bus.subscribe(sessionOpenedSubject(d.instanceName), onSessionOpened));
      sweeper = setInterval(() => d.pending.expire(Date.now()), 1000);
      sweeper.unref();
    },
    stop() {
      for (const s of subs.splice(0)) s.unsubscribe();
      if (sweeper !== undefined) clearInterval(sweeper);
    },
  };
}
