/**
 * The bus seen by the rest of fleetgate: NATS core semantics (subjects, wildcards, queue groups,
 * request/reply), whether the messages stay in this process or go through a nats-server.
 */

export interface BusMessage {
  readonly subject: string;
  /** The payload. Delivery is zero-copy on both implementations: it may be a view into a larger
   *  buffer (NATS) or the publisher's own array (in-process). Copy it to keep it past the handler. */
  readonly data: Uint8Array;
  readonly replyTo?: string;
  /** Publishes `data` to `replyTo`; does nothing when the message carries no `replyTo`
   *  (as nats.js `Msg.respond`, which returns false then). */
  respond(data: Uint8Array): void;
}

export interface Subscription {
  unsubscribe(): void;
  readonly subject: string;
}

export type BusHandler = (m: BusMessage) => void;

export interface Bus {
  /** Fire and forget. The bus owns `data` from here on: do not mutate it after publishing.
   *  Throws TypeError for an invalid subject, BusError ERR_BUS_CLOSED / ERR_BUS_OVERLOADED. */
  publish(subject: string, data: Uint8Array, opts?: { replyTo?: string }): void;
  /** `subject` may use the NATS wildcards `*` (one token) and `>` (one or more trailing tokens).
   *  With `queue`, one member of the group gets each message; plain subscribers all get it. */
  subscribe(subject: string, handler: BusHandler, opts?: { queue?: string }): Subscription;
  /** Rejects with ERR_BUS_TIMEOUT or ERR_NO_RESPONDERS (or ERR_BUS_CLOSED). */
  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array>;
  /** Resolves when everything published so far has reached the server (NATS) or has been
   *  dispatched to the handlers (in-process). */
  flush(): Promise<void>;
  /** Throws ERR_BUS_UNAVAILABLE when not connected (or closed). */
  health(): Promise<void>;
  /** Drains: what was published before is delivered, then the bus closes. Idempotent. */
  close(): Promise<void>;
  readonly kind: 'inprocess' | 'nats';
}

export interface InProcessBusConfig {
  kind: 'inprocess';
  /** Most messages waiting for dispatch; publishing beyond it throws ERR_BUS_OVERLOADED. */
  maxPending?: number;
}

export interface NatsBusConfig {
  kind: 'nats';
  servers: string[];
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
}

export type BusConfig = InProcessBusConfig | NatsBusConfig;
