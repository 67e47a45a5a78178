/**
 * The message bus: one interface, an in-process and a NATS implementation, and the codecs and
 * subjects of the Kaa inter-service protocols (3/ISM, 4/ESP, 9/ELCE, 16/ECAP, 22/CAP).
 * Everything public is named here; nothing else in transports/bus/ is to be imported directly.
 */
export type { Bus, BusConfig, BusHandler, BusMessage, InProcessBusConfig, NatsBusConfig, Subscription } from './types.js';
export { BusCodes, BusError, type BusCode } from './errors.js';
export { openBus, validateBusConfig } from './open.js';
export { InProcessBus, type InProcessBusOptions } from './inprocess.js';
export { NatsBus, type NatsBusOptions } from './nats.js';
export { ThreadBus, type ThreadBusOptions } from './thread.js';
export { BusHub, type BusHubOptions } from './thread-hub.js';

export type { Codec, KaaHeader } from './kaa/avro.js';
export {
  clientBasicAuthenticationRequest,
  clientBasicAuthenticationResponse,
  clientCertificateAuthenticationRequest,
  clientCertificateAuthenticationResponse,
  clientCredentialsRevokedEvent,
  decodeClientBasicAuthenticationRequest,
  decodeClientBasicAuthenticationResponse,
  decodeClientCertificateAuthenticationRequest,
  decodeClientCertificateAuthenticationResponse,
  decodeClientCredentialsRevokedEvent,
  encodeClientBasicAuthenticationRequest,
  encodeClientBasicAuthenticationResponse,
  encodeClientCertificateAuthenticationRequest,
  encodeClientCertificateAuthenticationResponse,
  encodeClientCredentialsRevokedEvent,
  type ClientBasicAuthenticationRequest,
  type ClientBasicAuthenticationResponse,
  type ClientCertificateAuthenticationRequest,
  type ClientCertificateAuthenticationResponse,
  type ClientCredentialsRevokedEvent,
} from './kaa/cap.js';
export {
  decodeEndpointTokenRevokedEvent,
  decodeEndpointTokenStatusTransitionRequest,
  decodeEndpointTokenStatusTransitionResponse,
  decodeEndpointTokenValidationRequest,
  decodeEndpointTokenValidationResponse,
  encodeEndpointTokenRevokedEvent,
  encodeEndpointTokenStatusTransitionRequest,
  encodeEndpointTokenStatusTransitionResponse,
  encodeEndpointTokenValidationRequest,
  encodeEndpointTokenValidationResponse,
  endpointTokenRevokedEvent,
  endpointTokenStatusTransitionRequest,
  endpointTokenStatusTransitionResponse,
  endpointTokenValidationRequest,
  endpointTokenValidationResponse,
  type EndpointTokenRevokedEvent,
  type EndpointTokenStatusTransitionRequest,
  type EndpointTokenStatusTransitionResponse,
  type EndpointTokenValidationRequest,
  type EndpointTokenValidationResponse,
} from './kaa/ecap.js';
export {
  clientData,
  decodeClientData,
  decodeExtensionData,
  encodeClientData,
  encodeExtensionData,
  extensionData,
  type ClientData,
  type ExtensionData,
} from './kaa/esp.js';
export {
  connectedEvent,
  decodeConnectedEvent,
  decodeDisconnectedEvent,
  decodeRegisteredEvent,
  decodeUnregisteredEvent,
  disconnectedEvent,
  encodeConnectedEvent,
  encodeDisconnectedEvent,
  encodeRegisteredEvent,
  encodeUnregisteredEvent,
  registeredEvent,
  unregisteredEvent,
  type ConnectedEvent,
  type DisconnectedEvent,
  type RegisteredEvent,
  type UnregisteredEvent,
} from './kaa/elce.js';
export {
  anyOriginatorEventPattern,
  capBasicRequestSubject,
  capBasicResponseSubject,
  capCertificateRequestSubject,
  capCertificateResponseSubject,
  clientCredentialsRevokedSubject,
  ecapTokenRequestSubject,
  ecapTokenResponseSubject,
  ecapTokenStatusTransitionRequestSubject,
  ecapTokenStatusTransitionResponseSubject,
  elceConnectedSubject,
  elceDisconnectedSubject,
  elceRegisteredSubject,
  elceUnregisteredSubject,
  endpointTokenRevokedSubject,
  espClientDataReplicaSubject,
  espClientDataSubject,
  espExtensionDataReplicaSubject,
  espExtensionDataSubject,
  eventSubject,
  replicaSubject,
  serviceSubject,
  type ClientCredentialKind,
} from './kaa/subjects.js';
