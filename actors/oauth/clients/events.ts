/**
 * Cross-replica invalidation of OAuthClientActors. Within one replica a client's actor lives on
 * exactly one shard and every change goes through it (or, for service-account links, is followed
 * by an `invalidate` to it), so its copy is right. Other replicas hold their own activation: after
 * a change is written, `fleetgate.v1.events.oauth.client.changed` tells them to reload it. A lost
 * notice costs at most credentials.stateTtlMs of staleness: actors reload older state anyway.
 */
import type { ActorRef, Logger, Service } from '../../../runtime/index.js';
import type { Bus, Subscription } from '../../../transports/bus/index.js';
import { jsonObject } from '../../credentials/events.js';
import { CLIENT_ID, OAUTH_CLIENT } from './protocol.js';

export const CLIENT_CHANGED_SUBJECT = 'fleetgate.v1.events.oauth.client.changed';

export interface ClientChangeNotice {
  clientId: string;
  originatorReplicaId: string;
}

export interface ClientEvents {
  readonly replicaId: string;
  /** Announces that a client's secrets, settings or service-account link changed. */
  changed(clientId: string): void;
}

export function clientEvents(bus: Bus, replicaId: string): ClientEvents {
  const enc = new TextEncoder();
  return {
    replicaId,
    changed(clientId) {
      const notice: ClientChangeNotice = { clientId, originatorReplicaId: replicaId };
      bus.publish(CLIENT_CHANGED_SUBJECT, enc.encode(JSON.stringify(notice)));
    },
  };
}

/** Parses a notice; null for anything malformed (it came from the network). */
export function parseClientChangeNotice(data: Uint8Array): ClientChangeNotice | null {
  const o = jsonObject(data);
  if (o === null) return null;
  const { clientId, originatorReplicaId } = o;
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return null;
  if (typeof originatorReplicaId !== 'string' || originatorReplicaId.length === 0 || originatorReplicaId.length > 64) return null;
  return { clientId, originatorReplicaId };
}

/** Subscribes once per replica (queue group): the actor of a client is one per replica. */
export function clientChangeListener(bus: Bus, actors: ActorRef, replicaId: string, log: Logger): Service {
  let sub: Subscription | null = null;
  return {
    name: 'oauth-client-changes',
    start() {
      sub = bus.subscribe(
        CLIENT_CHANGED_SUBJECT,
        (m) => {
          const n = parseClientChangeNotice(m.data);
          if (n === null || n.originatorReplicaId === replicaId) return;
          try {
            actors.tell(OAUTH_CLIENT, n.clientId, { t: 'invalidate' });
          } catch (err) {
            // A full mailbox: the actor reloads on its state TTL anyway.
            log.warn({ clientId: n.clientId, code: (err as { code?: string }).code }, 'client change notice dropped');
          }
        },
        { queue: `fleetgate-oauth-replica-${replicaId}` },
      );
    },
    stop() {
      sub?.unsubscribe();
      sub = null;
    },
  };
}
