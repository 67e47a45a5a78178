import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ManualClock } from '../../runtime/clock.js';
import { BusCodes, InProcessBus, openBus, type BusConfig } from '../../transports/bus/index.js';
import { barrier, dec, enc, record, runBusContract } from './contract.js';
import { setLogLevel } from '../../runtime/log.js';

// Handler failures and reconnects are logged by design; keep the test output readable.
setLogLevel('silent');

runBusContract('inprocess', async () => openBus({ kind: 'inprocess' }));

describe('InProcessBus', () => {
  it('never delivers inside publish (no re-entrancy)', async () => {
    const bus = new InProcessBus();
    let calls = 0;
    bus.subscribe('a', () => {
      calls++;
      bus.publish('b', enc('from handler'));
      assert.equal(calls, 1, 'the nested publish did not call back into this handler');
    });
    const b = record(bus, 'b');
    bus.publish('a', enc('1'));
    assert.equal(calls, 0);
    await bus.flush();
    assert.equal(calls, 1);
    assert.deepEqual(b, ['b:from handler']);
    await bus.close();
  });

  it('flush resolves once every publication has been dispatched', async () => {
    const bus = new InProcessBus({ batchSize: 3 });
    const got = record(bus, 'x');
    for (let i = 0; i < 10; i++) bus.publish('x', enc(String(i)));
    assert.equal(bus.pending, 10);
    await bus.flush();
    assert.equal(got.length, 10, 'batches beyond batchSize continue on the next turn');
    assert.equal(bus.pending, 0);
    await bus.close();
  });

  it('keeps order across batches while the queue never runs empty', async () => {
    const bus = new InProcessBus({ batchSize: 1_000 });
    const got: number[] = [];
    bus.subscribe('s', (m) => got.push(m.data[0] as number));
    const n = 40_000;
    for (let i = 0; i < n; i++) bus.publish('s', new Uint8Array([i % 251]));
    await bus.flush();
    assert.equal(got.length, n);
    assert.ok(got.every((v, i) => v === i % 251));
    await bus.close();
  });

  it('refuses to queue beyond maxPending with ERR_BUS_OVERLOADED', async () => {
    const bus = new InProcessBus({ maxPending: 4 });
    for (let i = 0; i < 4; i++) bus.publish('x', enc('1'));
    assert.throws(() => bus.publish('x', enc('1')), { name: 'BusError', code: BusCodes.OVERLOADED });
    await bus.flush();
    bus.publish('x', enc('1'));
    await bus.close();
  });

  it('a subscription sees only what is published after it', async () => {
    const bus = new InProcessBus();
    bus.publish('late', enc('before'));
    const got = record(bus, 'late');
    bus.publish('late', enc('after'));
    await barrier(bus);
    assert.deepEqual(got, ['late:after']);
    await bus.close();
  });

  it('an unsubscribe takes effect for messages already queued', async () => {
    const bus = new InProcessBus();
    const got: string[] = [];
    const sub = bus.subscribe('q', (m) => got.push(dec(m.data)));
    bus.publish('q', enc('1'));
    sub.unsubscribe();
    await bus.flush();
    assert.deepEqual(got, []);
    await bus.close();
  });

  it('spreads a queue group evenly (round robin)', async () => {
    const bus = new InProcessBus();
    const members = [record(bus, 'w', { queue: 'g' }), record(bus, 'w', { queue: 'g' }), record(bus, 'w', { queue: 'g' })];
    for (let i = 0; i < 30; i++) bus.publish('w', enc(String(i)));
    await bus.flush();
    assert.deepEqual(members.map((m) => m.length), [10, 10, 10]);
    await bus.close();
  });

  it('sees a new wildcard subscription on a subject already in the match cache', async () => {
    const bus = new InProcessBus();
    const first = record(bus, 'c.d');
    bus.publish('c.d', enc('1'));
    await bus.flush();
    const second = record(bus, 'c.*');
    bus.publish('c.d', enc('2'));
    await bus.flush();
    assert.deepEqual(first, ['c.d:1', 'c.d:2']);
    assert.deepEqual(second, ['c.d:2']);
    await bus.close();
  });

  it('removing one subscription leaves the patterns that share its path intact', async () => {
    const bus = new InProcessBus();
    const subs = ['a.b.c', 'a.*.c', 'a.>', 'a.b.>', '*.b.c', 'a.b.c'].map((pattern) => {
      const got: string[] = [];
      return { pattern, got, sub: bus.subscribe(pattern, (m) => got.push(m.subject)) };
    });
    for (const i of [0, 2, 4]) subs[i]?.sub.unsubscribe();
    bus.publish('a.b.c', enc('1'));
    await bus.flush();
    assert.deepEqual(
      subs.map((s) => `${s.pattern}=${s.got.length}`),
      ['a.b.c=0', 'a.*.c=1', 'a.>=0', 'a.b.>=1', '*.b.c=0', 'a.b.c=1'],
    );
    for (const s of subs) s.sub.unsubscribe();
    bus.publish('a.b.c', enc('2'));
    await bus.flush();
    assert.equal(subs.reduce((n, s) => n + s.got.length, 0), 3);
    await bus.close();
  });

  it('delivers replies to ">" subscribers as well, as nats-server does', async () => {
    const bus = new InProcessBus();
    bus.subscribe('svc', (m) => m.respond(enc('r')));
    const all: string[] = [];
    bus.subscribe('>', (m) => all.push(m.subject.startsWith('_INBOX.') ? 'inbox' : m.subject));
    assert.equal(dec(await bus.request('svc', enc('q'), { timeoutMs: 1_000 })), 'r');
    await bus.flush();
    assert.deepEqual(all, ['svc', 'inbox']);
    await bus.close();
  });

  it('times requests out on the injected clock', async () => {
    const clock = new ManualClock();
    const bus = new InProcessBus({ clock });
    bus.subscribe('mute', () => undefined);
    let outcome = 'pending';
    const p = bus.request('mute', enc('?'), { timeoutMs: 1_000 });
    p.then(
      () => (outcome = 'resolved'),
      () => (outcome = 'rejected'),
    );
    await bus.flush();
    clock.advance(999);
    await nextTurn();
    assert.equal(outcome, 'pending');
    clock.advance(1);
    await assert.rejects(p, { code: BusCodes.TIMEOUT, data: { subject: 'mute', timeoutMs: 1_000 } });
    assert.equal(clock.pendingTimers, 0);
    await bus.close();
  });

  it('a reply clears its timer; close rejects the requests still waiting', async () => {
    const clock = new ManualClock();
    const bus = new InProcessBus({ clock });
    bus.subscribe('echo', (m) => m.respond(m.data));
    assert.equal(dec(await bus.request('echo', enc('x'), { timeoutMs: 1_000 })), 'x');
    assert.equal(clock.pendingTimers, 0);
    bus.subscribe('mute', () => undefined);
    const waiting = bus.request('mute', enc('?'), { timeoutMs: 1_000 });
    await bus.close();
    await assert.rejects(waiting, { code: BusCodes.CLOSED });
    assert.equal(clock.pendingTimers, 0);
  });

  it('subscribe after close is ERR_BUS_CLOSED', async () => {
    const bus = new InProcessBus();
    await bus.close();
    assert.throws(() => bus.subscribe('a', () => undefined), { code: BusCodes.CLOSED });
  });

  it('refuses bad options as misuse', () => {
    assert.throws(() => new InProcessBus({ maxPending: 0 }), TypeError);
    assert.throws(() => new InProcessBus({ batchSize: 1.5 }), TypeError);
  });
});

describe('openBus', () => {
  it('validates the configuration, naming the key', async () => {
    await assert.rejects(openBus({ kind: 'kafka' } as unknown as BusConfig), /bus\.kind/);
    await assert.rejects(openBus({ kind: 'inprocess', servers: ['x'] } as unknown as BusConfig), /bus\.servers is not a setting/);
    await assert.rejects(openBus({ kind: 'nats', servers: [] }), /bus\.servers must be/);
    await assert.rejects(openBus({ kind: 'nats', servers: ['nats://h:4222'], user: 'u', token: 't' }), /exclusive/);
    await assert.rejects(openBus({ kind: 'inprocess', maxPending: -1 }), TypeError);
    const bus = await openBus({ kind: 'inprocess', maxPending: 10 });
    assert.equal(bus.kind, 'inprocess');
    await bus.close();
  });
});
