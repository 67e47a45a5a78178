import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Actor, ActorKind } from '../../runtime/index.js';
import { FleetgateError, ManualClock, RuntimeCodes } from '../../runtime/index.js';
import { rootLogger } from '../../runtime/log.js';
import type { RuntimeSettings } from '../../runtime/messages.js';
import { Router } from '../../runtime/router.js';
import { Shard } from '../../runtime/shard.js';

rootLogger().level = 'silent';

const settings = (over: Partial<RuntimeSettings> = {}): RuntimeSettings => ({
  mailboxCapacity: 16,
  idlePassivationMs: 60_000,
  askTimeoutMs: 1000,
  maxBatch: 64,
  turnBudget: 1000,
  drainTimeoutMs: 1000,
  ...over,
});

function system(kinds: ActorKind[], over: Partial<RuntimeSettings> = {}, deps: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const s = settings(over);
  const shard = new Shard(0, s, clock, rootLogger(), deps);
  const router = new Router(0, 1, shard, clock, s.askTimeoutMs, s.maxBatch);
  for (const k of kinds) shard.register(k);
  return { clock, shard, router };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Durable stand-in for storage; counts activations and deactivations with reasons. */
function storedCounter(db: Map<string, number>, log: string[]): ActorKind {
  return {
    name: 'c',
    create(ctx): Actor {
      let n = 0;
      return {
        activate() {
          log.push(`activate ${ctx.key}`);
          n = db.get(ctx.key) ?? 0;
        },
        receive(m) {
          if (m === 'inc') {
            n++;
            db.set(ctx.key, n);
            return n;
          }
          if (m === 'get') return n;
          if (m === 'throw') throw new FleetgateError('ERR_TEST', 'thrown on purpose');
          if (m === 'bye') {
            ctx.passivate();
            return 'bye';
          }
          if (m === 'timer') {
            ctx.setTimer('t', 5000, 'inc');
            return 'armed';
          }
          return null;
        },
        deactivate(reason) {
          log.push(`deactivate ${ctx.key} ${reason}`);
        },
      };
    },
  };
}

describe('shard: one message at a time, in order', () => {
  it('delivers tells from one sender in send order, and asks see every earlier tell', async () => {
    const seen: number[] = [];
    const { router } = system([{ name: 'r', create: () => ({ receive: (m) => (m === 'dump' ? seen.slice() : void seen.push(m as number)) }) }], {
      mailboxCapacity: 10_000,
    });
    for (let i = 0; i < 5000; i++) router.tell('r', 'a', i);
    const dump = await router.ask<number[]>('r', 'a', 'dump');
    assert.deepEqual(dump, Array.from({ length: 5000 }, (_, i) => i));
  });

  it('never runs a handler while a previous async one is outstanding', async () => {
    let inside = 0;
    let maxInside = 0;
    const { router } = system([
      {
        name: 'a',
        create: () => ({
          async receive() {
            inside++;
            maxInside = Math.max(maxInside, inside);
            await tick();
            await tick();
            inside--;
            return inside;
          },
        }),
      },
    ]);
    const replies = await Promise.all(Array.from({ length: 10 }, () => router.ask('a', 'k', 'x')));
    assert.equal(maxInside, 1);
    assert.deepEqual(replies, new Array(10).fill(0));
  });
});

describe('shard: bounded mailbox', () => {
  it('refuses with ERR_MAILBOX_FULL once capacity messages wait, and serves again after', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { router, shard } = system([{ name: 'b', create: () => ({ receive: (m) => (m === 'block' ? gate : m) }) }], { mailboxCapacity: 4 });
    const blocked = router.ask('b', 'k', 'block');
    await tick(); // the first message is now being handled; the mailbox is empty
    const queued = [1, 2, 3, 4].map((i) => router.ask('b', 'k', i));
    assert.throws(() => router.tell('b', 'k', 5), (e: unknown) => (e as { code: string }).code === RuntimeCodes.MAILBOX_FULL);
    await assert.rejects(router.ask('b', 'k', 6), { code: RuntimeCodes.MAILBOX_FULL });
    assert.equal(shard.counters.rejectedFull, 2);
    release();
    await blocked;
    assert.deepEqual(await Promise.all(queued), [1, 2, 3, 4]);
    assert.equal(await router.ask('b', 'k', 7), 7);
  });
});

describe('shard: ask deadline', () => {
  it('rejects with ERR_ASK_TIMEOUT when the deadline passes, and drops the late reply', async () => {
    let release!: (v: string) => void;
    const { router, clock } = system([{ name: 's', create: () => ({ receive: () => new Promise<string>((r) => (release = r)) }) }]);
    const p = router.ask('s', 'k', 'x', 250);
    await tick();
    clock.advance(249);
    let settled = false;
    p.catch(() => undefined).finally(() => (settled = true));
    await tick();
    assert.equal(settled, false);
    clock.advance(1);
    await assert.rejects(p, { code: RuntimeCodes.ASK_TIMEOUT });
    release('late');
    await tick();
    assert.equal(router.pendingAsks, 0);
  });
});

describe('shard: supervision', () => {
  it('fails the ask with the handler error, restarts the actor, which reloads its state', async () => {
    const db = new Map<string, number>();
    const log: string[] = [];
    const { router, shard } = system([storedCounter(db, log)]);
    assert.equal(await router.ask('c', 'x', 'inc'), 1);
    assert.equal(await router.ask('c', 'x', 'inc'), 2);
    await assert.rejects(router.ask('c', 'x', 'throw'), { code: 'ERR_TEST', message: 'thrown on purpose' });
    assert.equal(await router.ask('c', 'x', 'get'), 2);
    assert.equal(shard.counters.restarts, 1);
    assert.deepEqual(log, ['activate x', 'activate x']);
  });

  it('hides the message of a non-coded error behind ERR_HANDLER_FAILED', async () => {
    const { router } = system([{ name: 'e', create: () => ({ receive: () => { throw new Error('password=hunter2'); } }) }]);
    await assert.rejects(router.ask('e', 'k', 1), (e: unknown) => {
      assert.equal((e as FleetgateError).code, RuntimeCodes.HANDLER_FAILED);
      assert.doesNotMatch((e as Error).message, /hunter2/);
      return true;
    });
  });

  it('fails waiting messages when activation fails, and retries activation on the next one', async () => {
    let fail = true;
    const { router, shard } = system([
      {
        name: 'f',
        create: () => ({
          async activate() {
            if (fail) throw new FleetgateError('ERR_STORAGE_UNAVAILABLE', 'db down');
          },
          receive: (m) => m,
        }),
      },
    ]);
    await assert.rejects(router.ask('f', 'k', 1), { code: 'ERR_STORAGE_UNAVAILABLE' });
    assert.equal(shard.activeActors, 0);
    fail = false;
    assert.equal(await router.ask('f', 'k', 2), 2);
    assert.equal(shard.counters.activationFailures, 1);
  });
});

describe('shard: virtual actors', () => {
  it('passivates an idle actor, then re-activates it with its stored state', async () => {
    const db = new Map<string, number>();
    const log: string[] = [];
    const { router, shard, clock } = system([storedCounter(db, log)], { idlePassivationMs: 10_000 });
    await router.ask('c', 'p', 'inc');
    await router.ask('c', 'q', 'inc');
    clock.advance(5_000);
    await router.ask('c', 'q', 'inc'); // q stays busy
    clock.advance(5_000);
    shard.sweepNow();
    await tick();
    assert.equal(shard.activeActors, 1);
    assert.ok(log.includes('deactivate p idle'));
    assert.ok(!log.some((l) => l.startsWith('deactivate q')));
    assert.equal(await router.ask('c', 'p', 'get'), 1);
    assert.equal(log.filter((l) => l === 'activate p').length, 2);
  });

  it('passivates on request after the current message', async () => {
    const log: string[] = [];
    const { router, shard } = system([
      { name: 'p', create: (ctx) => ({ receive: () => (ctx.passivate(), 'bye'), deactivate: (r) => void log.push(r) }) },
    ]);
    assert.equal(await router.ask('p', 'k', 1), 'bye');
    await tick();
    assert.deepEqual(log, ['requested']);
    assert.equal(shard.activeActors, 0);
  });

  it('fires timers while active and cancels them on passivation', async () => {
    const db = new Map<string, number>();
    const { router, shard, clock } = system([storedCounter(db, [])], { idlePassivationMs: 60_000 });
    await router.ask('c', 't', 'timer');
    clock.advance(5000);
    await tick();
    await tick();
    assert.equal(await router.ask('c', 't', 'get'), 1);
    await router.ask('c', 't', 'timer');
    await router.ask('c', 't', 'bye');
    await tick();
    assert.equal(shard.activeActors, 0);
    clock.advance(10_000);
    await tick();
    assert.equal(db.get('t'), 1, 'a cancelled timer delivered nothing');
  });

  it('refuses an unknown kind with a coded error', async () => {
    const { router } = system([]);
    await assert.rejects(router.ask('nope', 'k', 1), { code: RuntimeCodes.UNKNOWN_KIND });
  });

  it('drains then passivates everything on passivateAll', async () => {
    const log: string[] = [];
    const { router, shard } = system([storedCounter(new Map(), log)]);
    for (let i = 0; i < 10; i++) router.tell('c', `k${i}`, 'inc');
    await shard.whenQuiet();
    await shard.passivateAll();
    assert.equal(log.filter((l) => l.endsWith('shutdown')).length, 10);
    assert.throws(() => router.tell('c', 'k0', 'inc'), { code: RuntimeCodes.STOPPING });
  });
});
