/**
 * The actor model as application code sees it.
 *
 * Actors are *virtual* (as in Orleans): an actor exists conceptually forever, addressed by
 * (kind, key); the runtime activates it on its first message, passivates it after it has been
 * idle for a while, and re-activates it on the next message. `activate` (re)loads state, so an
 * actor's durable state lives in storage and its in-memory state is a cache of it.
 *
 * One message at a time per activation: `receive` is never re-entered while a previous call
 * (or the promise it returned) is outstanding, so an actor needs no locks over its own state.
 */
import type { Clock } from './clock.js';
import type { Logger } from './log.js';

/** Why an activation ended (Orleans' DeactivationReason, reduced to what fleetgate uses). */
export const DeactivationReason = {
  /** No message arrived for the idle time. */
  IDLE: 'idle',
  /** The actor asked for it (`ctx.passivate()`). */
  REQUESTED: 'requested',
  /** A handler threw; the activation is replaced by a fresh one that reloads its state. */
  HANDLER_FAILED: 'handler-failed',
  /** The runtime is shutting down. */
  SHUTDOWN: 'shutdown',
} as const;
export type DeactivationReason = (typeof DeactivationReason)[keyof typeof DeactivationReason];

/** Addressing and messaging available to actors and to services running on a shard. */
export interface ActorRef {
  /** Fire and forget. Throws ERR_MAILBOX_FULL at once when the target is on this shard and its
   *  mailbox is full, ERR_SHARD_UNAVAILABLE when its shard is down. */
  tell(kind: string, key: string, message: unknown): void;
  /** Request/response with a deadline (default: the runtime's askTimeoutMs). Rejects with the
   *  handler's coded error, ERR_MAILBOX_FULL, ERR_ASK_TIMEOUT or ERR_SHARD_UNAVAILABLE. */
  ask<R = unknown>(kind: string, key: string, message: unknown, timeoutMs?: number): Promise<R>;
}

export interface ActorContext extends ActorRef {
  readonly kind: string;
  readonly key: string;
  readonly shardId: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Per-shard dependencies (storage, bus, hashing...) provided by name by the modules at
   *  start-up (ShardHost.provide). Each module reads its own entries with its own types. */
  readonly deps: Readonly<Record<string, unknown>>;
  /** Delivers `message` to this actor after `ms`, replacing a timer of the same name.
   *  Timers die with the activation. */
  setTimer(name: string, ms: number, message: unknown): void;
  cancelTimer(name: string): void;
  /** Deactivate after the current message (reason REQUESTED). */
  passivate(): void;
}

export interface Actor {
  /** Called once per activation before the first message; load state here. A throw fails the
   *  messages waiting for this activation and the next message tries again. */
  activate?(): Promise<void> | void;
  /** Handles one message. The return value (or what its promise resolves to) is the reply to
   *  an ask; for a tell it is dropped. */
  receive(message: unknown): unknown;
  /** Called when the activation ends, except after a handler failure (state may be broken). */
  deactivate?(reason: DeactivationReason): Promise<void> | void;
}

export interface ActorKind {
  readonly name: string;
  /** Builds a fresh activation. Keep it cheap and small: idle activations are counted in bytes. */
  create(ctx: ActorContext): Actor;
  /** Overrides the runtime's idle time for this kind. */
  readonly idlePassivationMs?: number;
  /** Overrides the runtime's mailbox capacity for this kind. */
  readonly mailboxCapacity?: number;
}
