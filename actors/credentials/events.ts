/**
 * What the credential services announce on the bus, always AFTER the storage write resolved:
 *  - 22/CAP `kaa.v1.events.{ccm}.client-credentials.basic.revoked` when a client credential leaves
 *    Active or is deleted, and 16/ECAP `kaa.v1.events.{cm}.endpoint.token.revoked` for tokens:
 *    front doors (ours and Kaa's) close the sessions that used them;
 *  - `fleetgate.v1.events.{instance}.credential.changed`: a fleetgate-internal broadcast telling the
 *    other replicas to reload an actor whose state changed here (their copy would be stale).
 * Revocations are flushed to the bus before the caller gets its answer, so that an operator's
 * "revoked" means the event has left this process.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../runtime/index.js';
import {
  clientCredentialsRevokedSubject,
  encodeClientCredentialsRevokedEvent,
  encodeEndpointTokenRevokedEvent,
  endpointTokenRevokedSubject,
  type Bus,
} from '../../transports/bus/index.js';

/** Which actor to reload: a client credential or an endpoint token, by its actor key parts. */
export type ChangeSubject = { kind: 'credential'; tenantId: string; username: string } | { kind: 'token'; appName: string; lookupHash: string };
export type ChangeNotice = ChangeSubject & { originatorReplicaId: string };

export const changedSubject = (instance: string): string => `fleetgate.v1.events.${instance}.credential.changed`;
export const CHANGED_PATTERN = 'fleetgate.v1.events.*.credential.changed';

export interface CredentialEvents {
  readonly replicaId: string;
  clientCredentialRevoked(tenantId: string, credentialsId: string): Promise<void>;
  endpointTokenRevoked(appName: string, endpointId: string, tokenIds: string[]): Promise<void>;
  changed(subject: ChangeSubject): void;
}

export interface EventNames {
  ccmInstance: string;
  cmInstance: string;
  replicaId: string;
}

export function credentialEvents(bus: Bus, names: EventNames, clock: Clock): CredentialEvents {
  const header = () => ({ correlationId: randomUUID(), timestamp: clock.now(), timeout: 0 });
  const enc = new TextEncoder();
  return {
    replicaId: names.replicaId,
    async clientCredentialRevoked(tenantId, credentialsId) {
      const data = encodeClientCredentialsRevokedEvent({ ...header(), tenantId, credentialsId, originatorReplicaId: names.replicaId });
      bus.publish(clientCredentialsRevokedSubject(names.ccmInstance, 'basic'), data);
      await bus.flush();
    },
    async endpointTokenRevoked(appName, endpointId, tokenIds) {
      const data = encodeEndpointTokenRevokedEvent({ ...header(), appName, endpointId, tokenIds, originatorReplicaId: names.replicaId });
      bus.publish(endpointTokenRevokedSubject(names.cmInstance), data);
      await bus.flush();
    },
    changed(subject) {
      const instance = subject.kind === 'credential' ? names.ccmInstance : names.cmInstance;
      bus.publish(changedSubject(instance), enc.encode(JSON.stringify({ ...subject, originatorReplicaId: names.replicaId })));
    },
  };
}

/** A JSON object from a bus message, or null for anything else (it came from the network). */
export function jsonObject(data: Uint8Array): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Parses a change notice; null for anything malformed (it came from the network). */
export function parseChangeNotice(data: Uint8Array): ChangeNotice | null {
  const o = jsonObject(data);
  if (o === null) return null;
  const str = (k: string): boolean => typeof o[k] === 'string' && (o[k] as string).length > 0 && (o[k] as string).length <= 512;
  if (!str('originatorReplicaId')) return null;
  if (o['kind'] === 'credential' && str('tenantId') && str('username')) return o as unknown as ChangeNotice;
  if (o['kind'] === 'token' && str('appName') && str('lookupHash')) return o as unknown as ChangeNotice;
  return null;
}
