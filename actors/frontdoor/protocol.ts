/**
 * Messages between the front door's parts, all structured-cloneable (they cross threads):
 *  - to a SessionActor (kind SESSION, key = MQTT client id) from the connection's host, the 4/ESP
 *    dispatcher and the revocation listeners;
 *  - to a shard's PORT actor, which acts on the connections that shard holds.
 */
import { keysPerShard } from '../../runtime/index.js';
import type { ListenerKind, OutboundMessage, PeerCertificate, ProtocolVersion, QoS, SubscriptionRequest } from '../../transports/mqtt/index.js';
import type { ConnRef } from './registry.js';

export const SESSION = 'kpc-session';
export const PORT = 'kpc-port';

export type SessionMsg =
  | {
      readonly t: 'connect';
      readonly conn: ConnRef;
      readonly listener: ListenerKind;
      readonly protocolVersion: ProtocolVersion;
      readonly username: string | undefined;
      readonly password: Uint8Array | undefined;
      readonly certificate: PeerCertificate | undefined;
    }
  | { readonly t: 'open'; readonly conn: ConnRef }
  | { readonly t: 'publish'; readonly conn: ConnRef; readonly topic: string; readonly payload: Uint8Array; readonly qos: QoS; readonly will?: boolean }
  | { readonly t: 'subscribe'; readonly conn: ConnRef; readonly filters: readonly SubscriptionRequest[] }
  | { readonly t: 'unsubscribe'; readonly conn: ConnRef; readonly filters: readonly string[] }
  | { readonly t: 'closed'; readonly conn: ConnRef }
  /** The answer to a request this session published (matched by correlation id). */
  | { readonly t: 'answer'; readonly topic: string; readonly qos: QoS; readonly statusCode: number; readonly reasonPhrase: string | null; readonly payload: Uint8Array | null }
  /** An extension's push for an endpoint this session carries. */
  | {
      readonly t: 'push';
      readonly appVersion: string;
      readonly extension: string;
      readonly endpointId: string;
      readonly resourcePath: string;
      readonly statusCode: number;
      readonly reasonPhrase: string | null;
      readonly payload: Uint8Array | null;
    }
  /** End the session: its credential or a token it uses was revoked, or the policy changed. */
  | {
      readonly t: 'end';
      readonly reasonCode: number;
      readonly reason: string;
      /** Only sessions that use this token id end. */
      readonly tokenId?: string;
      /** The sender already told the connection's PORT actor: only clean up. */
      readonly disconnected?: boolean;
    };

export type PortMsg =
  | { readonly op: 'deliver'; readonly id: string; readonly message: OutboundMessage }
  | { readonly op: 'disconnect'; readonly id: string; readonly reasonCode: number; readonly reason: string }
  | { readonly op: 'takeover'; readonly id: string };

/** fleetgate's own notice, JSON {clientId, replicaId}: a session was accepted on that replica,
 *  so the other replicas take over (end) theirs of the same client id. */
export function sessionOpenedSubject(instanceName: string): string {
  return `fleetgate.kpc.${instanceName}.session-opened`;
}

/** The key of the PORT actor that lives on `shard`: the first `port-<n>` that hashes there. */
export function portKeys(shardCount: number): string[] {
  return keysPerShard(PORT, 'port', shardCount);
}
