/**
 * The bus contract: what the rest of fleetgate may rely on, whichever implementation runs.
 * Run for InProcessBus (inprocess.test.ts) and NatsBus against a real nats-server (nats.test.ts).
 * Deliveries are awaited through a barrier message (per-publisher order makes it arrive last),
 * never through sleeps.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BusCodes, type Bus, type BusMessage } from '../../transports/bus/index.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (u: Uint8Array): string => new TextDecoder().decode(u);

/** A fresh subject prefix per test: servers are shared by the tests of a file. */
export const uniq = (): string => `t${randomBytes(6).toString('hex')}`;

/** Subscribes and records `subject:payload` for each delivery. */
export function record(bus: Bus, pattern: string, opts?: { queue?: string }): string[] {
  const got: string[] = [];
  bus.subscribe(pattern, (m) => got.push(`${m.subject}:${dec(m.data)}`), opts);
  return got;
}

/** Resolves once a message published now has come back: everything published before it by
 *  this bus has been delivered to this bus's subscribers. */
export function barrier(bus: Bus): Promise<void> {
  const subject = `barrier.${uniq()}`;
  return new Promise((resolve) => {
    const sub = bus.subscribe(subject, () => {
      sub.unsubscribe();
      resolve();
    });
    bus.publish(subject, new Uint8Array(0));
  });
}

export function runBusContract(name: string, open: () => Promise<Bus>, opts: { skip?: string } = {}): void {
  describe(`bus contract: ${name}`, { skip: opts.skip ?? false }, () => {
    let bus: Bus;
    let p: string;

    beforeEach(async () => {
      bus = await open();
      p = uniq();
    });
    afterEach(async () => {
      await bus.close();
    });

    it('"*" matches exactly one token', async () => {
      const got = record(bus, `${p}.a.*.c`);
      for (const s of [`${p}.a.b.c`, `${p}.a.b.d`, `${p}.a.b.c.d`, `${p}.a.c`, `${p}.a.x.c`]) bus.publish(s, enc('1'));
      await barrier(bus);
      assert.deepEqual(got, [`${p}.a.b.c:1`, `${p}.a.x.c:1`]);
    });

    it('">" matches one or more trailing tokens, never zero', async () => {
      const got = record(bus, `${p}.a.>`);
      for (const s of [`${p}.a`, `${p}.a.b`, `${p}.a.b.c`, `${p}.b.a`]) bus.publish(s, enc('1'));
      await barrier(bus);
      assert.deepEqual(got, [`${p}.a.b:1`, `${p}.a.b.c:1`]);
    });

    it('a literal subscription gets only its subject', async () => {
      const got = record(bus, `${p}.x`);
      for (const s of [`${p}.x`, `${p}.xx`, `${p}.x.y`, `${p}`]) bus.publish(s, enc('1'));
      await barrier(bus);
      assert.deepEqual(got, [`${p}.x:1`]);
    });

    it('a queue group gets each message exactly once; plain subscribers each get all', async () => {
      const members = [record(bus, `${p}.q`, { queue: 'g' }), record(bus, `${p}.*`, { queue: 'g' }), record(bus, `${p}.q`, { queue: 'g' })];
      const other = record(bus, `${p}.q`, { queue: 'h' });
      const plain1 = record(bus, `${p}.q`);
      const plain2 = record(bus, `${p}.>`);
      const sent = Array.from({ length: 60 }, (_, i) => `${p}.q:${i}`);
      for (let i = 0; i < 60; i++) bus.publish(`${p}.q`, enc(String(i)));
      await barrier(bus);
      const union = members.flat();
      assert.equal(union.length, 60, 'each message reaches exactly one member of the group');
      assert.deepEqual([...union].sort(), [...sent].sort());
      assert.deepEqual(other, sent, 'a second group gets its own copy');
      assert.deepEqual(plain1, sent);
      assert.deepEqual(plain2, sent);
    });

    it('request/reply: the responder answers on replyTo', async () => {
      bus.subscribe(`${p}.echo`, (m) => m.respond(enc(`re:${dec(m.data)}`)));
      const reply = await bus.request(`${p}.echo`, enc('ping'), { timeoutMs: 2_000 });
      assert.equal(dec(reply), 're:ping');
    });

    it('publish with replyTo: the subscriber sees it, respond() reaches it', async () => {
      const replies = record(bus, `${p}.reply`);
      let seen: string | undefined;
      bus.subscribe(`${p}.svc`, (m: BusMessage) => {
        seen = m.replyTo;
        m.respond(enc('ok'));
      });
      bus.subscribe(`${p}.noreply`, (m: BusMessage) => m.respond(enc('ignored')));
      bus.publish(`${p}.svc`, enc('x'), { replyTo: `${p}.reply` });
      bus.publish(`${p}.noreply`, enc('x'));
      await barrier(bus);
      await barrier(bus);
      assert.equal(seen, `${p}.reply`);
      assert.deepEqual(replies, [`${p}.reply:ok`]);
    });

    it('a request nobody answers fails with ERR_BUS_TIMEOUT', async () => {
      bus.subscribe(`${p}.mute`, () => undefined);
      await assert.rejects(bus.request(`${p}.mute`, enc('?'), { timeoutMs: 100 }), { name: 'BusError', code: BusCodes.TIMEOUT });
    });

    it('a request nobody listens to fails with ERR_NO_RESPONDERS', async () => {
      await assert.rejects(bus.request(`${p}.nobody`, enc('?'), { timeoutMs: 5_000 }), { name: 'BusError', code: BusCodes.NO_RESPONDERS });
    });

    it('unsubscribe stops delivery', async () => {
      const got: string[] = [];
      const sub = bus.subscribe(`${p}.u`, (m) => got.push(dec(m.data)));
      assert.equal(sub.subject, `${p}.u`);
      bus.publish(`${p}.u`, enc('1'));
      await barrier(bus);
      sub.unsubscribe();
      sub.unsubscribe();
      bus.publish(`${p}.u`, enc('2'));
      await barrier(bus);
      assert.deepEqual(got, ['1']);
    });

    it('keeps the order of one publisher', async () => {
      const got: number[] = [];
      bus.subscribe(`${p}.o.*`, (m) => got.push(Number(dec(m.data))));
      const n = 2_000;
      for (let i = 0; i < n; i++) bus.publish(`${p}.o.${i % 7}`, enc(String(i)));
      await barrier(bus);
      assert.deepEqual(got, Array.from({ length: n }, (_, i) => i));
    });

    it('flush resolves once the publications are through', async () => {
      const got = record(bus, `${p}.f`);
      bus.publish(`${p}.f`, enc('1'));
      await bus.flush();
      await bus.flush();
      await barrier(bus);
      assert.deepEqual(got, [`${p}.f:1`]);
    });

    it('a failing handler does not stop delivery to the others', async () => {
      bus.subscribe(`${p}.h`, () => {
        throw new Error('handler bug');
      });
      bus.subscribe(`${p}.h`, () => Promise.reject(new Error('async handler bug')) as unknown as void);
      const got = record(bus, `${p}.h`);
      bus.publish(`${p}.h`, enc('1'));
      bus.publish(`${p}.h`, enc('2'));
      await barrier(bus);
      assert.deepEqual(got, [`${p}.h:1`, `${p}.h:2`]);
    });

    it('refuses malformed subjects as misuse (TypeError)', () => {
      for (const s of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>', '>']) {
        assert.throws(() => bus.publish(s, enc('x')), TypeError, `publish ${JSON.stringify(s)}`);
      }
      for (const s of ['', 'a..b', 'a.>.b', 'a\tb']) {
        assert.throws(() => bus.subscribe(s, () => undefined), TypeError, `subscribe ${JSON.stringify(s)}`);
      }
      assert.throws(() => bus.subscribe('a', () => undefined, { queue: 'a b' }), TypeError);
      assert.throws(() => bus.publish('a', enc('x'), { replyTo: 'r.*' }), TypeError);
      assert.throws(() => void bus.request('a', enc('x'), { timeoutMs: 0 }), TypeError);
    });

    it('health resolves while open', async () => {
      await bus.health();
    });

    it('close drains what was published, then refuses work', async () => {
      const got = record(bus, `${p}.c`);
      for (let i = 0; i < 100; i++) bus.publish(`${p}.c`, enc(String(i)));
      await bus.close();
      assert.equal(got.length, 100);
      assert.throws(() => bus.publish(`${p}.c`, enc('late')), { name: 'BusError', code: BusCodes.CLOSED });
      await assert.rejects(bus.request(`${p}.c`, enc('late'), { timeoutMs: 100 }), { code: BusCodes.CLOSED });
      await assert.rejects(bus.health(), { name: 'BusError', code: BusCodes.UNAVAILABLE });
      await bus.close();
    });
  });
}
