/**
 * The thread bus: the bus contract against a ThreadBus served by a BusHub over a MessageChannel
 * (both ends in this thread), then real worker threads for cross-thread delivery and for the
 * clean-up of a dead worker's subscriptions. No sleeps: every wait is on an event.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { ManualClock } from '../../runtime/clock.js';
import { setLogLevel } from '../../runtime/log.js';
import { BusCodes, BusHub, InProcessBus, ThreadBus, type Bus } from '../../transports/bus/index.js';
import { barrier, dec, enc, record, runBusContract, uniq } from './contract.js';

setLogLevel('silent');

interface Pair {
  real: InProcessBus;
  hub: BusHub;
  bus: ThreadBus;
  /** The hub's end of the channel, for counting batches and watching it close. */
  hubPort: MessagePort;
  workerPort: MessagePort;
}

const opened: Pair[] = [];
function pair(opts: { clock?: ManualClock } = {}): Pair {
  const real = new InProcessBus(opts.clock ? { clock: opts.clock } : {});
  const hub = new BusHub(real);
  const { port1, port2 } = new MessageChannel();
  hub.attach(port1, 0);
  const bus = new ThreadBus(port2, opts.clock ? { clock: opts.clock } : {});
  const p = { real, hub, bus, hubPort: port1, workerPort: port2 };
  opened.push(p);
  return p;
}

after(async () => {
  for (const p of opened) {
    await p.bus.close();
    await p.hub.close();
    await p.real.close();
  }
});

runBusContract('thread', async () => pair().bus);

describe('ThreadBus and BusHub in one thread', () => {
  it('reports kind inprocess and names the hub "bus" by default', () => {
    const p = pair();
    assert.equal(p.bus.kind, 'inprocess');
    assert.equal(p.hub.name, 'bus');
    assert.equal(new BusHub(p.real, { name: 'events' }).name, 'events');
    assert.throws(() => new BusHub(p.real, { name: '' }), TypeError);
    assert.throws(() => new ThreadBus(new MessageChannel().port1, { maxPending: 0 }), TypeError);
  });

  it('reaches main-thread subscribers, and main-thread publications reach it', async () => {
    const { real, bus } = pair();
    const onMain = record(real, 'm.>');
    const onWorker = record(bus, 'w.>');
    await bus.flush(); // the hub has the subscription
    bus.publish('m.1', enc('from worker'));
    real.publish('w.1', enc('from main'));
    await bus.flush();
    await barrier(bus);
    assert.deepEqual(onMain, ['m.1:from worker']);
    assert.deepEqual(onWorker, ['w.1:from main']);
  });

  it('sends one batch per turn, each way', async () => {
    const { real, bus, hubPort, workerPort } = pair();
    let toHub = 0;
    let toWorker = 0;
    hubPort.on('message', () => toHub++);
    workerPort.on('message', () => toWorker++);
    const got = record(bus, 'b');
    await bus.flush();
    [toHub, toWorker] = [0, 0];
    for (let i = 0; i < 1_000; i++) bus.publish('b', enc(String(i)));
    await bus.flush();
    assert.equal(got.length, 1_000);
    // The hub sends once per loop iteration: the deliveries and the flush answer share a batch.
    assert.deepEqual([toHub, toWorker], [1, 1], '1,000 publications in one batch; their deliveries and the flush answer in one');
    [toHub, toWorker] = [0, 0];
    for (let i = 0; i < 1_000; i++) real.publish('b', enc(String(i)));
    await bus.flush();
    assert.equal(got.length, 2_000);
    assert.deepEqual([toHub, toWorker], [1, 2], 'the flush; one batch of deliveries, then the flush answer');
  });

  it('transfers a big array it owns, copies small ones into the batch slab, and refuses a moved array', async () => {
    const { real, bus } = pair();
    const got: Uint8Array[] = [];
    real.subscribe('t', (m) => got.push(m.data));
    const big = new Uint8Array(64 * 1024).fill(7);
    const small = new Uint8Array([1, 2, 3]);
    const pooled = Buffer.from('abc'); // a view into Node's shared 8 KiB pool
    bus.publish('t', big);
    bus.publish('t', small);
    bus.publish('t', pooled);
    await bus.flush();
    assert.equal(big.byteLength, 0, 'the big array was moved, not copied');
    assert.deepEqual([...small], [1, 2, 3], 'a small array is copied and left intact');
    assert.equal(dec(pooled), 'abc', 'a pooled Buffer is never transferred');
    assert.deepEqual(got.map((d) => [d.byteLength, d.buffer.byteLength]), [[65_536, 65_536], [3, 6], [3, 6]]);
    assert.equal(got[1]!.buffer, got[2]!.buffer, 'the small payloads of one batch share its slab');
    assert.deepEqual([[...got[1]!], dec(got[2]!)], [[1, 2, 3], 'abc']);
    assert.ok(got[0]!.every((b) => b === 7));
    assert.throws(() => bus.publish('t', big), TypeError);
  });

  it('delivers to a worker through the batch slab: small payloads copied once per batch, a big one on its own', async () => {
    const { real, bus } = pair();
    const a: Uint8Array[] = [];
    const b: Uint8Array[] = [];
    bus.subscribe('d.*', (m) => a.push(m.data));
    bus.subscribe('d.>', (m) => b.push(m.data));
    await bus.flush();
    const big = new Uint8Array(8192).fill(9);
    real.publish('d.1', enc('one'));
    real.publish('d.2', big);
    real.publish('d.3', new Uint8Array(0));
    real.publish('d.4', enc('four'));
    await bus.flush();
    await barrier(bus);
    for (const got of [a, b]) {
      assert.deepEqual(got.map((d) => d.byteLength), [3, 8192, 0, 4]);
      assert.deepEqual([dec(got[0]!), dec(got[3]!)], ['one', 'four']);
      assert.ok(got[1]!.every((x) => x === 9));
      assert.equal(got[1]!.buffer.byteLength, 8192, 'the big payload has a buffer of its own');
    }
    // One copy per message for both subscriptions, and the small ones of the batch in one slab.
    assert.deepEqual([b[0]!.buffer === a[0]!.buffer, b[0]!.byteOffset === a[0]!.byteOffset], [true, true]);
    assert.equal(a[0]!.buffer, a[3]!.buffer);
    assert.equal(a[0]!.buffer.byteLength, 7);
    assert.equal(big.byteLength, 8192, 'the main thread publisher keeps its array');
  });

  it('forwards the real bus ERR_NO_RESPONDERS and a responder on either side', async () => {
    const { real, bus } = pair();
    const p = uniq();
    real.subscribe(`${p}.main`, (m) => m.respond(enc(`main:${dec(m.data)}`)));
    bus.subscribe(`${p}.worker`, (m) => m.respond(enc(`worker:${dec(m.data)}`)));
    await bus.flush();
    assert.equal(dec(await bus.request(`${p}.main`, enc('a'), { timeoutMs: 2_000 })), 'main:a');
    assert.equal(dec(await real.request(`${p}.worker`, enc('b'), { timeoutMs: 2_000 })), 'worker:b');
    await assert.rejects(bus.request(`${p}.none`, enc('c'), { timeoutMs: 2_000 }), {
      name: 'BusError',
      code: BusCodes.NO_RESPONDERS,
      data: { subject: `${p}.none` },
    });
  });

  it('times a request out on its own injected clock', async () => {
    const clock = new ManualClock();
    const { bus } = pair({ clock });
    bus.subscribe('mute', () => undefined);
    const r = bus.request('mute', enc('?'), { timeoutMs: 1_000 });
    await bus.flush();
    clock.advance(1_000);
    await assert.rejects(r, { name: 'BusError', code: BusCodes.TIMEOUT, data: { subject: 'mute', timeoutMs: 1_000 } });
  });

  it('refuses a burst beyond maxPending with ERR_BUS_OVERLOADED', async () => {
    const real = new InProcessBus();
    const hub = new BusHub(real);
    const { port1, port2 } = new MessageChannel();
    hub.attach(port1, 0);
    const bus = new ThreadBus(port2, { maxPending: 3 });
    for (let i = 0; i < 3; i++) bus.publish('x', enc('1'));
    assert.throws(() => bus.publish('x', enc('1')), { name: 'BusError', code: BusCodes.OVERLOADED });
    await bus.flush();
    bus.publish('x', enc('1'));
    await bus.close();
    await hub.close();
    await real.close();
  });

  it('when the hub goes away: requests fail ERR_BUS_CLOSED, health ERR_BUS_UNAVAILABLE', async () => {
    const { hub, bus, workerPort } = pair();
    bus.subscribe('mute', () => undefined);
    await bus.flush();
    const waiting = bus.request('mute', enc('?'), { timeoutMs: 60_000 });
    await bus.flush();
    const gone = once(workerPort, 'close');
    await hub.close();
    await gone;
    await assert.rejects(waiting, { name: 'BusError', code: BusCodes.CLOSED });
    assert.throws(() => bus.publish('x', enc('1')), { name: 'BusError', code: BusCodes.CLOSED });
    await assert.rejects(bus.health(), { name: 'BusError', code: BusCodes.UNAVAILABLE });
    await bus.close();
  });
});

describe('ThreadBus in worker threads', () => {
  const script = new URL('../fixtures/bridge-bus-worker.js', import.meta.url);
  type Reply = { id: number; text?: string; code?: string; name?: string };

  function spawn(hub: BusHub, shard: number): { worker: Worker; hubPort: MessagePort; call(c: object): Promise<Reply>; events: string[] } {
    const { port1, port2 } = new MessageChannel();
    hub.attach(port1, shard);
    const worker = new Worker(script, { workerData: { port: port2 }, transferList: [port2] });
    const waiting = new Map<number, (r: Reply) => void>();
    const events: string[] = [];
    let seq = 0;
    worker.on('message', (m: Reply & { ev?: string; subject?: string }) => {
      if (m.ev === 'msg') events.push(`${m.subject}:${m.text}`);
      else waiting.get(m.id)?.(m);
    });
    const call = (c: object): Promise<Reply> =>
      new Promise((resolve) => {
        const id = ++seq;
        waiting.set(id, resolve);
        worker.postMessage({ id, ...c });
      });
    return { worker, hubPort: port1, call, events };
  }

  it('one bus for the process: shard 0 publishes, shard 1 and the main thread receive', async () => {
    const real = new InProcessBus();
    const hub = new BusHub(real);
    const [a, b] = [spawn(hub, 0), spawn(hub, 1)];
    const onMain = record(real, 'ev.>');
    await b.call({ op: 'sub', subject: 'ev.>' });
    await a.call({ op: 'sub', subject: 'svc.echo', echo: true });
    const delivered = once(b.worker, 'message');
    await a.call({ op: 'pub', subject: 'ev.connected', text: 'dev-1' });
    await delivered;
    assert.deepEqual(b.events, ['ev.connected:dev-1']);
    await barrier(real);
    assert.deepEqual(onMain, ['ev.connected:dev-1']);
    assert.deepEqual(await b.call({ op: 'req', subject: 'svc.echo', text: 'hi', timeoutMs: 5_000 }), { id: 2, text: 're:hi' });
    await Promise.all([a.worker.terminate(), b.worker.terminate()]);
    await hub.close();
    await real.close();
  });

  it("a dead worker's subscriptions are removed with its port", async () => {
    const real = new InProcessBus();
    const hub = new BusHub(real);
    const w = spawn(hub, 0);
    await w.call({ op: 'sub', subject: 'work', queue: 'g' });
    await w.call({ op: 'sub', subject: 'only.worker', echo: true });
    assert.equal(hub.attached, 1);
    const onMain = record(real, 'work', { queue: 'g' });
    const portClosed = once(w.hubPort, 'close');
    await w.worker.terminate();
    await portClosed;
    assert.equal(hub.attached, 0);
    for (let i = 0; i < 10; i++) real.publish('work', enc(String(i)));
    await barrier(real);
    assert.equal(onMain.length, 10, 'the surviving queue member gets every message');
    await assert.rejects(real.request('only.worker', enc('?'), { timeoutMs: 5_000 }), { code: BusCodes.NO_RESPONDERS });
    await hub.close();
    await real.close();
  });

  it('does not keep a worker alive once nothing is subscribed or awaited', async () => {
    const real = new InProcessBus();
    const hub = new BusHub(real);
    const w = spawn(hub, 0);
    await w.call({ op: 'sub', subject: 'x' });
    const exited = once(w.worker, 'exit');
    w.worker.postMessage({ id: 0, op: 'leave' });
    assert.deepEqual(await exited, [0]);
    await hub.close();
    await real.close();
  });
});
