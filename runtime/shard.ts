/**
 * A shard hosts the activations of the actors that hash to it, on one thread.
 *
 * Hot path (a tell to an idle activation): one map lookup, two array pushes, and, at most once
 * per turn, a setImmediate. Handlers run from a run queue drained in turns of `turnBudget`
 * messages so that a flood of actor traffic never starves the sockets on the same thread.
 *
 * Mailboxes are flat arrays of (message, reply) pairs with a moving head, bounded by the
 * kind's capacity: a full mailbox refuses the message (ERR_MAILBOX_FULL) instead of growing.
 */
import type { Actor, ActorKind, ActorRef } from './actor.js';
import { DeactivationReason } from './actor.js';
import { Cell, Status, type CellHost, type KindEntry, type ReplySink } from './cell.js';
import type { Clock, TimerHandle } from './clock.js';
import { RuntimeCodes, RuntimeError, toWireError } from './errors.js';
import type { Logger } from './log.js';
import type { RuntimeSettings } from './messages.js';

export type { ReplySink } from './cell.js';

/** Counters read by the metrics collector at scrape time, never per message through prom-client. */
export interface ShardCounters {
  messages: number;
  activations: number;
  activationFailures: number;
  passivations: number;
  restarts: number;
  rejectedFull: number;
  droppedTells: number;
}



function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** Messages one activation handles before it goes to the back of the run queue (fairness). */
const PER_CELL_SLICE = 64;
/** Activations one idle sweep step visits before it yields the event loop. */
const SWEEP_STEP = 20_000;

export class Shard implements CellHost {
  readonly counters: ShardCounters = {
    messages: 0,
    activations: 0,
    activationFailures: 0,
    passivations: 0,
    restarts: 0,
    rejectedFull: 0,
    droppedTells: 0,
  };
  #kinds = new Map<string, KindEntry>();
  #run: Cell[] = [];
  #runHead = 0;
  #drainScheduled = false;
  #now = 0;
  #active = 0;
  #busyCells = 0;
  #sweepTimer: TimerHandle | null = null;
  #sweepIter: Iterator<Cell> | null = null;
  #sweepKinds: Iterator<KindEntry> | null = null;
  #idleWaiters: Array<() => void> = [];
  #stopped = false;
  /** Set by the router: how actors on this shard reach any actor. */
  ref!: ActorRef;

  constructor(
    readonly shardId: number,
    readonly settings: RuntimeSettings,
    readonly clock: Clock,
    readonly log: Logger,
    readonly deps: Record<string, unknown> = {},
  ) {}

  register(kind: ActorKind): void {
    if (this.#kinds.has(kind.name)) throw new TypeError(`actor kind "${kind.name}" is registered twice`);
    const idleMs = kind.idlePassivationMs ?? this.settings.idlePassivationMs;
    const capacity = kind.mailboxCapacity ?? this.settings.mailboxCapacity;
    if (!(idleMs > 0) || !(capacity > 0)) throw new TypeError(`actor kind "${kind.name}": idle time and capacity must be positive`);
    this.#kinds.set(kind.name, { kind, cells: new Map(), idleMs, capacity });
    this.#armSweep();
  }

  hasKind(name: string): boolean {
    return this.#kinds.has(name);
  }

  /** Delivers a message to (kind, key) on this shard, activating it if needed. Throws a coded
   *  RuntimeError (unknown kind, mailbox full, stopped) without touching `reply`. */
  deliver(kind: string, key: string, message: unknown, reply: ReplySink | null): void {
    const entry = this.#kinds.get(kind);
    if (entry === undefined) throw new RuntimeError(RuntimeCodes.UNKNOWN_KIND, `no actor kind named "${kind}"`);
    if (this.#stopped) throw new RuntimeError(RuntimeCodes.STOPPING, 'the shard is stopped');
    let cell = entry.cells.get(key);
    if (cell === undefined) {
      cell = new Cell(entry, key, this);
      entry.cells.set(key, cell);
      this.#active++;
      this.#push(cell, message, reply);
      this.#activate(cell, false);
      return;
    }
    this.enqueue(cell, message, reply);
  }

  /** @internal */
  cellOf(entry: KindEntry, key: string): Cell | undefined {
    return entry.cells.get(key);
  }

  /** @internal Queues on an existing cell and schedules it if it can run. */
  enqueue(cell: Cell, message: unknown, reply: ReplySink | null): void {
    this.#push(cell, message, reply);
    if (cell.status === Status.Idle) this.#schedule(cell);
  }

  #push(cell: Cell, message: unknown, reply: ReplySink | null): void {
    const q = (cell.q ??= []);
    if ((q.length - cell.head) >> 1 >= cell.entry.capacity) {
      this.counters.rejectedFull++;
      throw new RuntimeError(RuntimeCodes.MAILBOX_FULL, `mailbox of ${cell.entry.kind.name} is full`, {
        data: { kind: cell.entry.kind.name, capacity: cell.entry.capacity },
      });
    }
    q.push(message, reply);
  }

  #schedule(cell: Cell): void {
    cell.status = Status.Scheduled;
    this.#run.push(cell);
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      setImmediate(this.#drain);
    }
  }

  #drain = (): void => {
    this.#drainScheduled = false;
    this.#now = this.clock.now();
    let budget = this.settings.turnBudget;
    while (budget > 0 && this.#runHead < this.#run.length) {
      const cell = this.#run[this.#runHead]!;
      this.#run[this.#runHead++] = undefined as unknown as Cell;
      budget -= this.#runCell(cell, budget < PER_CELL_SLICE ? budget : PER_CELL_SLICE);
    }
    if (this.#runHead >= this.#run.length) {
      this.#run.length = 0;
      this.#runHead = 0;
      this.#checkIdle();
    } else {
      if (this.#runHead > 4096) {
        this.#run = this.#run.slice(this.#runHead);
        this.#runHead = 0;
      }
      this.#drainScheduled = true;
      setImmediate(this.#drain);
    }
  };

  /** Runs up to `max` messages of one activation; returns how many it took. */
  #runCell(cell: Cell, max: number): number {
    const q = cell.q!;
    const actor = cell.actor!;
    cell.status = Status.Running;
    cell.lastActive = this.#now;
    let n = 0;
    while (n < max && cell.head < q.length) {
      const message = q[cell.head];
      const reply = q[cell.head + 1] as ReplySink | null;
      q[cell.head] = undefined;
      q[cell.head + 1] = undefined;
      cell.head += 2;
      n++;
      this.counters.messages++;
      let result: unknown;
      try {
        result = actor.receive(message);
      } catch (err) {
        this.#failed(cell, reply, err);
        return n;
      }
      if (isThenable(result)) {
        this.#busyCells++;
        result.then(
          (value) => {
            this.#busyCells--;
            if (reply !== null) reply.ok(value);
            this.#afterMessage(cell);
          },
          (err: unknown) => {
            this.#busyCells--;
            this.#failed(cell, reply, err);
          },
        );
        return n;
      }
      if (reply !== null) reply.ok(result);
      if (cell.passivateAfter) break;
    }
    this.#afterMessage(cell);
    return n;
  }

  #afterMessage(cell: Cell): void {
    const q = cell.q!;
    if (cell.head >= q.length) {
      // A drained mailbox is released: idle activations hold no array (they are most of them),
      // at the price of one small allocation when a message next arrives.
      cell.q = null;
      cell.head = 0;
    } else if (cell.head > 1024 && cell.head * 2 > q.length) {
      cell.q = q.slice(cell.head);
      cell.head = 0;
    }
    if (cell.passivateAfter) {
      cell.passivateAfter = false;
      void this.#deactivate(cell, DeactivationReason.REQUESTED);
      return;
    }
    cell.lastActive = this.clock.now();
    if (cell.q !== null && cell.head < cell.q.length) this.#schedule(cell);
    else {
      cell.status = Status.Idle;
      this.#checkIdle();
    }
  }

  /** A handler threw: answer the message with the error, replace the activation (reload). */
  #failed(cell: Cell, reply: ReplySink | null, err: unknown): void {
    const wire = toWireError(err);
    if (reply !== null) reply.err(wire);
    if (wire.code === RuntimeCodes.HANDLER_FAILED) {
      this.log.error({ kind: cell.kind, err: errSummary(err) }, 'actor handler failed');
    }
    this.counters.restarts++;
    this.#clearTimers(cell);
    cell.passivateAfter = false;
    this.#activate(cell, true);
  }

  #activate(cell: Cell, restart: boolean): void {
    cell.status = Status.Activating;
    let actor: Actor;
    let pending: unknown;
    try {
      actor = cell.entry.kind.create(cell);
      cell.actor = actor;
      pending = actor.activate?.();
    } catch (err) {
      this.#activationFailed(cell, err);
      return;
    }
    if (!restart) this.counters.activations++;
    const ready = (): void => {
      cell.lastActive = this.clock.now();
      if (cell.q !== null && cell.head < cell.q.length) this.#schedule(cell);
      else {
        cell.status = Status.Idle;
        this.#checkIdle();
      }
    };
    if (isThenable(pending)) {
      this.#busyCells++;
      pending.then(
        () => {
          this.#busyCells--;
          ready();
        },
        (err: unknown) => {
          this.#busyCells--;
          this.#activationFailed(cell, err);
        },
      );
    } else ready();
  }

  /** Activation failed: every waiting message gets the error, the cell goes away, and the next
   *  message for that key starts a fresh activation. */
  #activationFailed(cell: Cell, err: unknown): void {
    this.counters.activationFailures++;
    const wire = toWireError(err);
    if (wire.code === RuntimeCodes.HANDLER_FAILED) {
      this.log.error({ kind: cell.kind, err: errSummary(err) }, 'actor activation failed');
    }
    this.#remove(cell);
    const q = cell.q;
    if (q !== null) {
      for (let i = cell.head; i < q.length; i += 2) (q[i + 1] as ReplySink | null)?.err(wire);
      cell.q = null;
    }
    this.#checkIdle();
  }

  async #deactivate(cell: Cell, reason: DeactivationReason): Promise<void> {
    cell.status = Status.Deactivating;
    this.#clearTimers(cell);
    try {
      const r = cell.actor?.deactivate?.(reason);
      if (isThenable(r)) {
        this.#busyCells++;
        try {
          await r;
        } finally {
          this.#busyCells--;
        }
      }
    } catch (err) {
      this.log.warn({ kind: cell.kind, reason, err: errSummary(err) }, 'actor deactivation failed');
    }
    this.counters.passivations++;
    cell.actor = null;
    // Messages that arrived while it was deactivating start a new activation of the same cell.
    if (cell.q !== null && cell.head < cell.q.length && !this.#stopped) {
      this.#activate(cell, false);
      return;
    }
    this.#remove(cell);
    this.#checkIdle();
  }

  #remove(cell: Cell): void {
    if (cell.entry.cells.get(cell.key) === cell) {
      cell.entry.cells.delete(cell.key);
      this.#active--;
    }
    this.#clearTimers(cell);
  }

  #clearTimers(cell: Cell): void {
    if (cell.timers !== null) {
      for (const t of cell.timers.values()) this.clock.clearTimeout(t);
      cell.timers = null;
    }
  }

  // ---- idle passivation: an incremental sweep, never one timer per actor ----

  #armSweep(): void {
    if (this.#sweepTimer !== null || this.#stopped) return;
    let min = Infinity;
    for (const e of this.#kinds.values()) min = Math.min(min, e.idleMs);
    if (min === Infinity) return;
    this.#sweepTimer = this.clock.setTimeout(() => {
      this.#sweepTimer = null;
      this.#sweepKinds = this.#kinds.values();
      this.#sweepIter = null;
      this.#sweepStep();
    }, Math.max(1, Math.floor(min / 2)));
  }

  #sweepStep = (): void => {
    const now = this.clock.now();
    let visited = 0;
    for (;;) {
      if (this.#sweepIter === null) {
        const next = this.#sweepKinds?.next();
        if (next === undefined || next.done) break;
        this.#sweepIter = next.value.cells.values();
      }
      const r = this.#sweepIter.next();
      if (r.done) {
        this.#sweepIter = null;
        continue;
      }
      this.#sweepCell(r.value, now);
      if (++visited >= SWEEP_STEP) {
        setImmediate(this.#sweepStep);
        return;
      }
    }
    this.#sweepKinds = null;
    this.#armSweep();
  };

  /** Runs one full idle sweep now (tests drive passivation with a manual clock through this). */
  sweepNow(): void {
    if (this.#sweepTimer !== null) {
      this.clock.clearTimeout(this.#sweepTimer);
      this.#sweepTimer = null;
    }
    const now = this.clock.now();
    for (const entry of this.#kinds.values()) for (const cell of entry.cells.values()) this.#sweepCell(cell, now);
    this.#armSweep();
  }

  /** Passivates the activation if it has been idle for its kind's idle time. */
  #sweepCell(cell: Cell, now: number): void {
    if (cell.status === Status.Idle && now - cell.lastActive >= cell.entry.idleMs) void this.#deactivate(cell, DeactivationReason.IDLE);
  }

  // ---- observation and shutdown ----

  get activeActors(): number {
    return this.#active;
  }

  get mailboxDepth(): number {
    let d = 0;
    for (const e of this.#kinds.values()) for (const c of e.cells.values()) d += c.depth;
    return d;
  }

  /** True when no message is queued or being handled and no (de)activation is in flight. */
  get quiet(): boolean {
    return this.#busyCells === 0 && this.#runHead >= this.#run.length && !this.#drainScheduled;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length > 0 && this.quiet) {
      const ws = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of ws) w();
    }
  }

  /** Resolves when the shard is quiet (see `quiet`). */
  whenQuiet(): Promise<void> {
    if (this.quiet) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Deactivates every activation (reason SHUTDOWN) and refuses further messages. */
  async passivateAll(): Promise<void> {
    const all: Cell[] = [];
    for (const e of this.#kinds.values()) for (const c of e.cells.values()) all.push(c);
    this.#stopped = true;
    if (this.#sweepTimer !== null) {
      this.clock.clearTimeout(this.#sweepTimer);
      this.#sweepTimer = null;
    }
    await Promise.all(
      all.map((c) => {
        if (c.status === Status.Idle || c.status === Status.Scheduled) return this.#deactivate(c, DeactivationReason.SHUTDOWN);
        this.#remove(c);
        return undefined;
      }),
    );
    // Anything still queued can no longer be served: answer it rather than leave it hanging.
    for (const c of all) {
      const q = c.q;
      if (q === null) continue;
      for (let i = c.head; i < q.length; i += 2) {
        (q[i + 1] as ReplySink | null)?.err({ code: RuntimeCodes.STOPPING, message: 'the shard stopped' });
      }
      c.q = null;
    }
  }
}

/** What of an unknown error is safe to log: its class and code, never its data. */
export function errSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return { type: err.name, code: (err as { code?: unknown }).code, message: err.message, stack: err.stack };
  }
  return { type: typeof err };
}
