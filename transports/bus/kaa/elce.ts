/**
 * 9/ELCE, Endpoint Lifecycle and Connectivity Events (kaa-rfcs `0009/README.md`,
 * `0009/0009-ep-connected.avsc`, `0009-ep-disconnected.avsc`; the registered/unregistered
 * schemas as the README gives them).
 */
import { HEADER_FIELDS, recordCodec, type AvroField, type KaaHeader } from './avro.js';

const CONNECTIVITY = 'org.kaaproject.ipc.event.gen.v1.endpoint.connectivity';
const LIFECYCLE = 'org.kaaproject.ipc.event.gen.v1.endpoint.lifecycle';

/** `kaa.v1.events.{originator}.endpoint.connectivity.connected` (and `.disconnected`). */
export interface ConnectedEvent extends KaaHeader {
  /** endpointId -> appVersionName. One event for all the endpoints of a client session
   *  (9/ELCE: a disconnect SHOULD carry every endpoint id at once). */
  endpoints: Record<string, string>;
  originatorReplicaId: string;
}

export type DisconnectedEvent = ConnectedEvent;

/** `kaa.v1.events.{originator}.endpoint.lifecycle.registered` (and `.unregistered`). */
export interface RegisteredEvent extends KaaHeader {
  appVersionName: string;
  endpointId: string;
  originatorReplicaId: string;
}

export type UnregisteredEvent = RegisteredEvent;

const CONNECTIVITY_FIELDS: readonly AvroField[] = [
  ...HEADER_FIELDS,
  { name: 'endpoints', type: { type: 'map', values: 'string' } },
  { name: 'originatorReplicaId', type: 'string' },
];

const LIFECYCLE_FIELDS: readonly AvroField[] = [
  ...HEADER_FIELDS,
  { name: 'appVersionName', type: 'string' },
  { name: 'endpointId', type: 'string' },
  { name: 'originatorReplicaId', type: 'string' },
];

const record = (name: string, namespace: string, fields: readonly AvroField[]) => ({ type: 'record' as const, name, namespace, fields });

export const connectedEvent = recordCodec<ConnectedEvent>(record('ConnectedEvent', CONNECTIVITY, CONNECTIVITY_FIELDS));
export const disconnectedEvent = recordCodec<DisconnectedEvent>(record('DisconnectedEvent', CONNECTIVITY, CONNECTIVITY_FIELDS));
export const registeredEvent = recordCodec<RegisteredEvent>(record('RegisteredEvent', LIFECYCLE, LIFECYCLE_FIELDS));
export const unregisteredEvent = recordCodec<UnregisteredEvent>(record('UnregisteredEvent', LIFECYCLE, LIFECYCLE_FIELDS));

export const encodeConnectedEvent = connectedEvent.encode;
export const decodeConnectedEvent = connectedEvent.decode;
export const encodeDisconnectedEvent = disconnectedEvent.encode;
export const decodeDisconnectedEvent = disconnectedEvent.decode;
export const encodeRegisteredEvent = registeredEvent.encode;
export const decodeRegisteredEvent = registeredEvent.decode;
export const encodeUnregisteredEvent = unregisteredEvent.encode;
export const decodeUnregisteredEvent = unregisteredEvent.decode;
