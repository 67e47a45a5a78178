/**
 * VersionedState, the copy every credential and client actor decides from, on a manual clock
 * with a loader the test controls: reload when absent or past the TTL; past half the TTL a
 * background reload while the copy keeps answering; a write made meanwhile wins over it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../runtime/index.js';
import { VersionedState } from '../../actors/credentials/versioned-state.js';

interface Rec {
  v: number;
}

function harness() {
  const clock = new ManualClock(0);
  let stored: Rec = { v: 1 };
  let reads = 0;
  let gate: Promise<void> = Promise.resolve();
  const state = new VersionedState<Rec>(
    clock,
    1_000,
    async () => {
      reads++;
      const seen = stored;
      await gate;
      return seen;
    },
    () => new Error('gone'),
  );
  return {
    clock,
    state,
    reads: () => reads,
    store: (v: number) => (stored = { v }),
    hold(): () => void {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = Promise.resolve();
        open();
      };
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('loads when absent, keeps the copy inside half the TTL, reloads in the foreground past the TTL', async () => {
  const h = harness();
  await h.state.fresh();
  assert.deepEqual([h.state.rec, h.reads()], [{ v: 1 }, 1]);
  h.store(2);
  h.clock.advance(500);
  await h.state.fresh();
  assert.deepEqual([h.state.rec, h.reads()], [{ v: 1 }, 1], 'inside half the TTL: no read');
  const release = h.hold();
  // Past the whole TTL the caller waits for the read.
  h.clock.advance(1_000);
  const waiting = h.state.fresh();
  let done = false;
  void waiting.then(() => (done = true));
  await tick();
  assert.equal(done, false, 'an expired copy is not used');
  release();
  await waiting;
  assert.deepEqual(h.state.rec, { v: 2 });
});

test('past half the TTL the copy keeps answering while one background read replaces it', async () => {
  const h = harness();
  await h.state.fresh();
  h.store(2);
  h.clock.advance(600);
  const release = h.hold();
  await h.state.fresh();
  assert.deepEqual(h.state.rec, { v: 1 }, 'answered from the copy at once');
  await h.state.fresh();
  assert.equal(h.reads(), 2, 'one background read at a time');
  release();
  await tick();
  assert.deepEqual(h.state.rec, { v: 2 });
  assert.equal(h.state.loadedAt, 600, 'trusted from when the read started');
});

test('a write during a background read wins over it; so does a foreground load', async () => {
  const h = harness();
  await h.state.fresh();
  h.clock.advance(600);
  const release = h.hold();
  await h.state.fresh(); // the background read sees v1
  await h.state.write(async () => ({ v: 9 }));
  release();
  await tick();
  assert.deepEqual(h.state.rec, { v: 9 }, 'the older read does not undo the write');

  // The discarded read left the copy's age as it was (a write does not vouch for the rest).
  h.clock.advance(300);
  const release2 = h.hold();
  await h.state.fresh(); // background read of v1 (still stored)
  h.store(3);
  release2();
  await h.state.load(); // foreground read of v3 lands, then the background one
  await tick();
  assert.deepEqual(h.state.rec, { v: 3 });
});
