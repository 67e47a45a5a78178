/**
 * The shard's 9/ELCE event queue: published after the pass that announced them, in order, a
 * few at a time, bounded, and flushed whole on shutdown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectivityEvents, type ConnectivityEvent } from '../../actors/frontdoor/connectivity.js';

const pass = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const event = (n: number, connected = n % 2 === 0): ConnectivityEvent => ({ connected, endpoints: { [`ep-${n}`]: 'app-v1' }, at: 1_700_000_000_000 + n });

describe('ConnectivityEvents', () => {
  it('publishes nothing in the pass that announces, then everything in order, perPass at a time', async () => {
    const out: ConnectivityEvent[] = [];
    const q = new ConnectivityEvents({ publish: (e) => out.push(e), perPass: 3 });
    for (let i = 0; i < 8; i++) q.announce(event(i));
    assert.equal(out.length, 0, 'not while the announcing work runs');
    await pass();
    assert.equal(out.length, 3);
    await pass();
    await pass();
    assert.deepEqual(out, Array.from({ length: 8 }, (_, i) => event(i)));
    assert.equal(q.queued, 0);
  });

  it('drops and counts beyond maxQueued; a publish that throws loses only its own event', async () => {
    const out: number[] = [];
    let dropped = 0;
    const q = new ConnectivityEvents({
      publish: (e) => {
        const n = e.at - 1_700_000_000_000;
        if (n === 1) throw new Error('bus overloaded');
        out.push(n);
      },
      maxQueued: 4,
      onDrop: () => dropped++,
    });
    for (let i = 0; i < 6; i++) q.announce(event(i));
    assert.equal(dropped, 2);
    await pass();
    assert.deepEqual(out, [0, 2, 3]);
  });

  it('flush publishes everything waiting at once (shutdown)', () => {
    const out: ConnectivityEvent[] = [];
    const q = new ConnectivityEvents({ publish: (e) => out.push(e), perPass: 2 });
    for (let i = 0; i < 5; i++) q.announce(event(i));
    q.flush();
    assert.equal(out.length, 5);
    assert.equal(q.queued, 0);
  });

  it('refuses a wrong bound at construction', () => {
    assert.throws(() => new ConnectivityEvents({ publish: () => undefined, perPass: 0 }), TypeError);
    assert.throws(() => new ConnectivityEvents({ publish: () => undefined, maxQueued: 1.5 }), TypeError);
  });
});
