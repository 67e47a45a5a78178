/**
 * One activation of an actor: its mailbox, its status in the shard's scheduler, its timers. It is
 * also the actor's context (ActorContext): one object per actor instead of two, since idle
 * activations are counted in bytes.
 */
import type { Actor, ActorContext, ActorKind, ActorRef } from './actor.js';
import type { Clock, TimerHandle } from './clock.js';
import type { WireError } from './errors.js';
import type { Logger } from './log.js';

/** Where the answer to a message goes: nowhere (tell), a local promise, or another thread. */
export interface ReplySink {
  ok(value: unknown): void;
  err(error: WireError): void;
}

export const enum Status {
  Activating,
  Idle,
  Scheduled,
  Running,
  Deactivating,
}

export interface KindEntry {
  kind: ActorKind;
  cells: Map<string, Cell>;
  idleMs: number;
  capacity: number;
}

/** What a cell needs of the shard hosting it. */
export interface CellHost {
  readonly shardId: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly deps: Readonly<Record<string, unknown>>;
  readonly ref: ActorRef;
  cellOf(entry: KindEntry, key: string): Cell | undefined;
  enqueue(cell: Cell, message: unknown, reply: ReplySink | null): void;
}

/** One activation. It is also the actor's context: one object per actor instead of two. */
export class Cell implements ActorContext {
  actor: Actor | null = null;
  /** Pairs of (message, ReplySink | null) from `head` on. */
  q: unknown[] | null = null;
  head = 0;
  status: Status = Status.Activating;
  lastActive = 0;
  timers: Map<string, TimerHandle> | null = null;
  passivateAfter = false;

  constructor(
    readonly entry: KindEntry,
    readonly key: string,
    readonly host: CellHost,
  ) {}

  get kind(): string {
    return this.entry.kind.name;
  }
  get shardId(): number {
    return this.host.shardId;
  }
  get clock(): Clock {
    return this.host.clock;
  }
  get log(): Logger {
    return this.host.log;
  }
  get deps(): Readonly<Record<string, unknown>> {
    return this.host.deps;
  }
  get depth(): number {
    return this.q === null ? 0 : (this.q.length - this.head) >> 1;
  }
  tell(kind: string, key: string, message: unknown): void {
    this.host.ref.tell(kind, key, message);
  }
  ask<R = unknown>(kind: string, key: string, message: unknown, timeoutMs?: number): Promise<R> {
    return this.host.ref.ask<R>(kind, key, message, timeoutMs);
  }
  setTimer(name: string, ms: number, message: unknown): void {
    this.cancelTimer(name);
    const timers = (this.timers ??= new Map());
    timers.set(
      name,
      this.host.clock.setTimeout(() => {
        timers.delete(name);
        // A timer message is a tell to self; a full mailbox drops it (counted), like every tell.
        if (this.host.cellOf(this.entry, this.key) === this) this.host.enqueue(this, message, null);
      }, ms),
    );
  }
  cancelTimer(name: string): void {
    const t = this.timers?.get(name);
    if (t) {
      this.host.clock.clearTimeout(t);
      this.timers!.delete(name);
    }
  }
  passivate(): void {
    this.passivateAfter = true;
  }
}
