/**
 * NATS subjects of the Kaa inter-service protocols, after 3/ISM (kaa-rfcs `0003/README.md`):
 *  - targeted, instance-wide:    kaa.v1.service.{service-instance-name}.{protocol}.{message-type}
 *  - targeted, replica-specific: kaa.v1.replica.{replica-id}.{protocol}.{message-type}
 *  - broadcast:                  kaa.v1.events.{originator-instance}.{entity}.{event-group}.{event-type}
 * Every name is one subject token. A name with a dot, a space or a wildcard would silently
 * address other subscribers, so it is refused as misuse (TypeError): callers validate
 * device-supplied names before they get here.
 */

const NAME = /^[^\s.*>\u0000-\u001f\u007f]+$/;

function token(what: string, v: string): string {
  if (typeof v !== 'string' || !NAME.test(v)) {
    throw new TypeError(`${what} must be one NATS subject token (no dot, space or wildcard), got ${JSON.stringify(v)}`);
  }
  return v;
}

export function serviceSubject(instance: string, protocol: string, messageType: string): string {
  return `kaa.v1.service.${token('service instance', instance)}.${token('protocol', protocol)}.${token('message type', messageType)}`;
}

export function replicaSubject(replicaId: string, protocol: string, messageType: string): string {
  return `kaa.v1.replica.${token('replica id', replicaId)}.${token('protocol', protocol)}.${token('message type', messageType)}`;
}

export function eventSubject(originator: string, entity: string, group: string, type: string): string {
  return `kaa.v1.events.${token('originator', originator)}.${token('entity', entity)}.${token('event group', group)}.${token('event type', type)}`;
}

/** The broadcast from any originator, for subscribing (3/ISM: listeners may use wildcards). */
export function anyOriginatorEventPattern(entity: string, group: string, type: string): string {
  return `kaa.v1.events.*.${token('entity', entity)}.${token('event group', group)}.${token('event type', type)}`;
}

// 22/CAP. Requests go to the provider instance; the recommended replyTo is the consumer replica.
export function capBasicRequestSubject(provider: string): string {
  return serviceSubject(provider, 'cap', 'basic-request');
}
export function capBasicResponseSubject(consumerReplicaId: string): string {
  return replicaSubject(consumerReplicaId, 'cap', 'basic-response');
}
export function capCertificateRequestSubject(provider: string): string {
  return serviceSubject(provider, 'cap', 'certificate-request');
}
export function capCertificateResponseSubject(consumerReplicaId: string): string {
  return replicaSubject(consumerReplicaId, 'cap', 'certificate-response');
}

// 16/ECAP, endpoint tokens.
export function ecapTokenRequestSubject(provider: string): string {
  return serviceSubject(provider, 'ecap', 'ep-token-request');
}
export function ecapTokenResponseSubject(consumerReplicaId: string): string {
  return replicaSubject(consumerReplicaId, 'ecap', 'ep-token-response');
}
export function ecapTokenStatusTransitionRequestSubject(provider: string): string {
  return serviceSubject(provider, 'ecap', 'ep-token-status-transition-request');
}
export function ecapTokenStatusTransitionResponseSubject(consumerReplicaId: string): string {
  return replicaSubject(consumerReplicaId, 'ecap', 'ep-token-status-transition-response');
}

// 4/ESP. ClientData goes to the extension instance named in the 1/KP topic; ExtensionData to the
// communication service instance, or to the replica subject it gave as replyTo (session affinity).
export function espClientDataSubject(extensionInstance: string): string {
  return serviceSubject(extensionInstance, 'esp', 'ClientData');
}
export function espExtensionDataSubject(communicationInstance: string): string {
  return serviceSubject(communicationInstance, 'esp', 'ExtensionData');
}
export function espClientDataReplicaSubject(extensionReplicaId: string): string {
  return replicaSubject(extensionReplicaId, 'esp', 'ClientData');
}
export function espExtensionDataReplicaSubject(communicationReplicaId: string): string {
  return replicaSubject(communicationReplicaId, 'esp', 'ExtensionData');
}

// 9/ELCE.
export function elceConnectedSubject(originator: string): string {
  return eventSubject(originator, 'endpoint', 'connectivity', 'connected');
}
export function elceDisconnectedSubject(originator: string): string {
  return eventSubject(originator, 'endpoint', 'connectivity', 'disconnected');
}
export function elceRegisteredSubject(originator: string): string {
  return eventSubject(originator, 'endpoint', 'lifecycle', 'registered');
}
export function elceUnregisteredSubject(originator: string): string {
  return eventSubject(originator, 'endpoint', 'lifecycle', 'unregistered');
}

// Revocations: 16/ECAP endpoint tokens, 22/CAP client credentials (event group = credential kind).
export function endpointTokenRevokedSubject(originator: string): string {
  return eventSubject(originator, 'endpoint', 'token', 'revoked');
}
export type ClientCredentialKind = 'basic' | 'certificate';
export function clientCredentialsRevokedSubject(originator: string, kind: ClientCredentialKind): string {
  if (kind !== 'basic' && kind !== 'certificate') throw new TypeError(`credential kind must be "basic" or "certificate", got ${JSON.stringify(kind)}`);
  return eventSubject(originator, 'client-credentials', kind, 'revoked');
}
