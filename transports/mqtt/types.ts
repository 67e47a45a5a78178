/**
 * The channel's vocabulary: what goes in (events), what comes out (packets, effects, a
 * shutdown), and the messages and requests that cross to the host. Packets are mqtt-packet's
 * objects; everything else is plain data that can be cloned to another thread.
 */
import type { Packet, QoS, UserProperties } from 'mqtt-packet';

export type { Packet, QoS };

/** 3 = MQTT 3.1 (protocol name MQIsdp), 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

export type ListenerKind = 'tcp' | 'tls' | 'ws';

/** A client certificate that passed TLS verification against the configured CA bundle. */
export interface PeerCertificate {
  readonly subject: Readonly<Record<string, string>>;
  readonly issuer: Readonly<Record<string, string>>;
  readonly serialNumber: string;
  /** SHA-256 of the DER, as colon-separated upper-case hex (node's `fingerprint256`). */
  readonly fingerprint256: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly raw: Uint8Array;
  /** The CA certificates the chain was verified through, nearest first, up to the trust
   *  anchor: their SHA-256 fingerprints as lower-case hex without colons. Which of the bundle's
   *  CAs vouched for the client is what ties a certificate to a tenant. */
  readonly caFingerprints: readonly string[];
}

/** The MQTT 5 properties of an application message that a server passes on unaltered. */
export interface MessageProperties {
  readonly payloadFormatIndicator?: boolean;
  readonly messageExpiryInterval?: number;
  readonly contentType?: string;
  readonly responseTopic?: string;
  readonly correlationData?: Uint8Array;
  readonly userProperties?: UserProperties;
}

/** A message published by the client (or its will), as handed to the host. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties?: MessageProperties;
}

/** A will message, kept by the channel until the connection ends. */
export interface WillMessage extends InboundMessage {
  /** MQTT 5 Will Delay Interval, seconds (0 for MQTT 3.1.1). Delaying is the host's business. */
  readonly delayInterval: number;
}

/** The host's token for an outbound message; it comes back in the delivery effect. */
export type DeliveryRef = string | number;

/** A message the host sends to the client. `qos` is already the one to use (the minimum of the
 *  message's and the subscription's). */
export interface OutboundMessage {
  readonly ref: DeliveryRef;
  readonly topic: string;
  readonly payload: Uint8Array | string;
  readonly qos: QoS;
  readonly retain?: boolean;
  readonly properties?: MessageProperties;
}

export type DeliveryOutcome =
  /** QoS 0 written, or QoS 1/2 acknowledged by the client (see reasonCode for a PUBACK/PUBREC
   *  refusal). */
  | 'acknowledged'
  /** Not sent: the outbound window (Receive Maximum) is full; deliver again after an ack. */
  | 'window-full'
  /** Not sent: the channel is not connected (before CONNACK, or closing). */
  | 'not-connected'
  /** Not sent: larger than the client's Maximum Packet Size; by MQTT-3.1.2-25 it counts as
   *  delivered. */
  | 'too-large'
  /** Not sent: the peer does not read what we write (QoS 0 only; the Connection decides). */
  | 'back-pressure'
  /** Sent but never acknowledged: the connection ended first. Sessions are not kept (clean
   *  sessions only), so nothing is retransmitted on reconnect. */
  | 'aborted';

export interface SubscriptionRequest {
  readonly topicFilter: string;
  readonly qos: QoS;
  /** MQTT 5 No Local, Retain As Published, Retain Handling (absent for 3.1.1). */
  readonly noLocal?: boolean;
  readonly retainAsPublished?: boolean;
  readonly retainHandling?: number;
}

export interface AuthRequest {
  readonly clientId: string;
  /** True when the client sent an empty id and the server assigned `clientId`. */
  readonly clientIdAssigned: boolean;
  readonly username: string | undefined;
  readonly password: Uint8Array | undefined;
  readonly protocolVersion: ProtocolVersion;
  readonly cleanStart: boolean;
  /** The Keep Alive in force, in seconds, after any Server Keep Alive cap. */
  readonly keepAlive: number;
  /** A client certificate verified by TLS, when one was presented on a TLS listener. */
  readonly certificate: PeerCertificate | undefined;
  readonly will: WillMessage | undefined;
}

export type AuthResult =
  | { readonly ok: true }
  /** An MQTT 5 CONNACK reason code of 0x80 or more (0x86, 0x87, 0x88, 0x89, 0x8A...). It is
   *  turned into the 3.1.1 return code for 3.1.1 clients (0x86 -> 4, 0x87 -> 5...). */
  | { readonly ok: false; readonly reasonCode: number };

/** What the host learns when a session is established (CONNACK 0x00 written). */
export interface SessionInfo {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly protocolVersion: ProtocolVersion;
  readonly keepAlive: number;
}

/** Work the channel asks of its host; answers come back as events with the same `id`. */
export type Effect =
  | { readonly type: 'authenticate'; readonly id: number; readonly request: AuthRequest }
  | { readonly type: 'open'; readonly info: SessionInfo }
  /** `id` is undefined for QoS 0: no answer is expected. */
  | { readonly type: 'publish'; readonly id: number | undefined; readonly message: InboundMessage }
  | { readonly type: 'subscribe'; readonly id: number; readonly filters: readonly SubscriptionRequest[] }
  | { readonly type: 'unsubscribe'; readonly id: number; readonly filters: readonly string[] }
  | { readonly type: 'delivery'; readonly ref: DeliveryRef; readonly outcome: DeliveryOutcome; readonly reasonCode?: number }
  | { readonly type: 'will'; readonly message: WillMessage };

export type ChannelEvent =
  | { readonly type: 'packet'; readonly packet: Packet; readonly now: number }
  /** The codec could not parse a packet (MQTT 5.0 4.13: a Malformed Packet). */
  | { readonly type: 'malformed'; readonly reason: string; readonly now: number }
  /** A fixed header announced a packet larger than the server's Maximum Packet Size. */
  | { readonly type: 'too-large'; readonly size: number; readonly now: number }
  /** A CONNECT named MQTT but a protocol level this server does not speak. */
  | { readonly type: 'unsupported-version'; readonly level: number; readonly now: number }
  /** Bytes arrived that are not a whole packet yet, or are held unread while the channel does
   *  not take input: the client is alive (Keep Alive counts them). */
  | { readonly type: 'heard'; readonly now: number }
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'authenticated'; readonly id: number; readonly result: AuthResult }
  | { readonly type: 'published'; readonly id: number; readonly reasonCode: number }
  | { readonly type: 'subscribed'; readonly id: number; readonly codes: readonly number[] }
  | { readonly type: 'unsubscribed'; readonly id: number; readonly codes: readonly number[] }
  | { readonly type: 'deliver'; readonly message: OutboundMessage }
  /** The same client id connected elsewhere (MQTT-3.1.4-2, MQTT-3.1.4-3). */
  | { readonly type: 'takeover' }
  /** The server ends the session (revoked credential, shutdown...): a DISCONNECT reason code. */
  | { readonly type: 'disconnect'; readonly reasonCode: number; readonly reason?: string }
  /** The network connection ended under the channel. */
  | { readonly type: 'closed'; readonly reason: string };

/** Why a channel ended. `reasonCode` is in MQTT 5's vocabulary for every protocol version;
 *  `returnCode` is the MQTT 3.1.1 CONNACK return code when a 3.1.1 CONNECT was refused. */
export interface Shutdown {
  readonly reasonCode: number;
  readonly reason: string;
  readonly returnCode?: number;
}
