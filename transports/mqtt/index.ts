/**
 * The MQTT front door's public surface: the servers, the host interface they answer to, the
 * limits, the reason codes; and the channel itself for those who drive it without a socket
 * (tests, an I/O thread handing bytes to a shard).
 */
export { startMqttServers } from './server.js';
export type { MqttServers, MqttServersOptions } from './server.js';
export type { TlsCredentials } from './tls.js';
export type { ChannelHost, ConnectionHandle } from './host.js';
export { mqttDefaults, resolveLimits } from './limits.js';
export type { MqttLimits } from './limits.js';
export { ConnectReturnCode, RC } from './reason-codes.js';
export { acceptsInput, createChannel, handle, nextDeadline } from './channel.js';
export type { ChannelConfig, ChannelState, Step } from './channel.js';
export { Connection } from './connection.js';
export type { ConnectionOptions } from './connection.js';
export type { CloseReason, Transport, TransportSink } from './socket.js';
export type {
  AuthRequest,
  AuthResult,
  ChannelEvent,
  DeliveryOutcome,
  DeliveryRef,
  Effect,
  InboundMessage,
  ListenerKind,
  MessageProperties,
  OutboundMessage,
  Packet,
  PeerCertificate,
  ProtocolVersion,
  QoS,
  SessionInfo,
  Shutdown,
  SubscriptionRequest,
  WillMessage,
} from './types.js';
export type { UwsApp } from './ws.js';
