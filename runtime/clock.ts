/**
 * Time is injected. Everything in fleetgate that expires, times out or idles reads the
 * clock through this interface, so tests drive it with a `ManualClock` instead of sleeping.
 */

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

let nextId = 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    const h = { id: nextId++, t };
    return h;
  },
  clearTimeout(handle) {
    clearTimeout((handle as unknown as { t: NodeJS.Timeout }).t);
  },
};

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that moves only when told to. Timers fire in deadline order during `advance`. */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Map<number, Pending>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle.id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.#timers.values()) if (p.at <= target && (!next || p.at < next.at)) next = p;
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }

  /** Sets the time (never backwards) without firing anything before it is crossed by `advance`. */
  set(ms: number): void {
    this.advance(Math.max(0, ms - this.#now));
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }
}
