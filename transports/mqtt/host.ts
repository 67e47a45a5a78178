/**
 * The host answers the channel's effects and drives a connection from outside. In production
 * it is the session actor of the client, on some shard; its methods are asynchronous so that
 * the answer may cross a thread. Every call for one connection carries its handle.
 */
import type {
  AuthRequest,
  AuthResult,
  DeliveryOutcome,
  DeliveryRef,
  InboundMessage,
  ListenerKind,
  OutboundMessage,
  SessionInfo,
  Shutdown,
  SubscriptionRequest,
  WillMessage,
} from './types.js';

/** A live connection, as the host sees it. */
export interface ConnectionHandle {
  /** Unique in this process, e.g. `tcp-42`. */
  readonly id: string;
  readonly listener: ListenerKind;
  readonly remoteAddress: string;
  /** Sends a message to the client; the outcome comes back through `delivered` (QoS 0: only a
   *  failure does). */
  deliver(message: OutboundMessage): void;
  /** Ends the session with a DISCONNECT reason code (MQTT 5: sent to the client; 3.1.1: the
   *  connection is closed): 0x87 for a revoked or suspended credential, 0x8B at shutdown. */
  disconnect(reasonCode: number, reason?: string): void;
  /** The same client id connected elsewhere: DISCONNECT 0x8E Session taken over. */
  takeover(): void;
}

export interface ChannelHost {
  /** Decides on a CONNECT. A rejection of the promise refuses the connection with 0x88 Server
   *  unavailable (0x89 Server busy when its error has code ERR_MAILBOX_FULL). */
  authenticate(request: AuthRequest, connection: ConnectionHandle): Promise<AuthResult>;
  /** The CONNACK 0x00 has been written: the session is established. */
  onOpen(info: SessionInfo, connection: ConnectionHandle): void;
  /** A client's PUBLISH. The answer is a PUBACK/PUBREC reason code (MQTT 5 3.4.2.1); for QoS 0
   *  it is ignored. A rejection answers 0x80 (0x97 Quota exceeded for ERR_MAILBOX_FULL). */
  publish(message: InboundMessage, connection: ConnectionHandle): Promise<number>;
  /** A SUBSCRIBE's valid filters: one SUBACK code per filter, in order (granted QoS or failure). */
  subscribe(filters: readonly SubscriptionRequest[], connection: ConnectionHandle): Promise<readonly number[]>;
  /** An UNSUBSCRIBE's valid filters: one UNSUBACK code per filter (0x00, 0x11...). */
  unsubscribe(filters: readonly string[], connection: ConnectionHandle): Promise<readonly number[]>;
  /** What became of a delivered message (see DeliveryOutcome). */
  delivered(ref: DeliveryRef, outcome: DeliveryOutcome, reasonCode: number | undefined, connection: ConnectionHandle): void;
  /** The connection ended without a normal DISCONNECT: publish the will (after its delay). */
  will(message: WillMessage, connection: ConnectionHandle): void;
  /** The connection ended. Called once for every connection whose CONNECT reached
   *  `authenticate`, opened or not. */
  onClose(shutdown: Shutdown, connection: ConnectionHandle): void;
}
