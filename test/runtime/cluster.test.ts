import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster, RuntimeCodes } from '../../runtime/index.js';
import { rootLogger } from '../../runtime/log.js';
import { clusterOptions, keyOn } from './helpers.js';

rootLogger().level = 'silent';

describe('cluster', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(clusterOptions());
  });
  after(async () => {
    await cluster.stop();
  });

  it('places each actor on its hashed shard and answers asks from the main thread', async () => {
    for (const shard of [0, 1]) {
      const key = keyOn('counter', shard, 2);
      assert.equal(await cluster.ask('counter', key, { op: 'inc' }), 1);
      const got = await cluster.ask<{ n: number; shard: number }>('counter', key, { op: 'get' });
      assert.deepEqual({ n: got.n, shard: got.shard }, { n: 1, shard });
    }
  });

  it('reload runs every shard\'s reload hooks, answers once they are done, and reports the hook that refused', async () => {
    const counts = async (): Promise<number[]> => Promise.all([0, 1].map((s) => cluster.ask<number>('reloads', keyOn('reloads', s, 2), {})));
    const before = await counts();
    const refused = { code: 'ERR_TEST_RELOAD', message: 'this hook fails; the next one still runs' };
    assert.deepEqual(await cluster.reload(), { reloaded: [], failed: [{ shard: 0, ...refused }, { shard: 1, ...refused }], unanswered: [] });
    assert.deepEqual(await counts(), before.map((n) => n + 1));
  });

  it('carries coded handler errors across the thread hop', async () => {
    await assert.rejects(cluster.ask('counter', 'e1', { op: 'boom' }), { code: 'ERR_TEST_BOOM', message: 'boom on purpose' });
    await assert.rejects(cluster.ask('counter', 'e1', { op: 'nope' }), { code: 'ERR_TEST_UNKNOWN_OP' });
  });

  it('delivers every cross-shard tell exactly once, in order per sender', async () => {
    const sink = keyOn('recorder', 1, 2, 'sink');
    const senders = [keyOn('relay', 0, 2, 'a'), keyOn('relay', 0, 2, 'b'), keyOn('relay', 1, 2, 'c')];
    await Promise.all(senders.map((s) => cluster.ask('relay', s, { count: 3000, to: sink })));
    // Asks travel behind the tells on the same links, so a dump after the relays' replies may
    // still race the last batches of the relay on the other shard: poll until all arrived.
    let seen: string[] = [];
    for (let i = 0; i < 200 && seen.length < 9000; i++) {
      seen = await cluster.ask<string[]>('recorder', sink, { op: 'dump' });
      if (seen.length < 9000) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(seen.length, 9000);
    assert.equal(new Set(seen).size, 9000, 'no message delivered twice');
    for (const s of senders) {
      const mine = seen.filter((v) => v.startsWith(`${s}:`)).map((v) => Number(v.split(':')[1]));
      assert.deepEqual(mine, Array.from({ length: 3000 }, (_, i) => i), `order of ${s}`);
    }
  });

  it('replaces a dead worker: asks to it fail fast, its actors serve again after', async () => {
    const victim = keyOn('counter', 1, 2, 'v');
    await cluster.ask('counter', victim, { op: 'inc' });
    const slow = cluster.ask('counter', keyOn('counter', 1, 2, 'slow'), { op: 'sleep', ms: 60_000 }, 30_000);
    const restarted = once(cluster, 'shard-restarted');
    const t0 = Date.now();
    await assert.rejects(cluster.ask('counter', victim, { op: 'die' }), { code: RuntimeCodes.SHARD_UNAVAILABLE });
    await assert.rejects(slow, { code: RuntimeCodes.SHARD_UNAVAILABLE });
    assert.ok(Date.now() - t0 < 5000, 'failed fast, long before the 30 s deadline');
    const [shard, generation] = (await restarted) as [number, number];
    assert.deepEqual([shard, generation], [1, 1]);
    assert.equal(cluster.restarts, 1);
    // The worker's memory is gone (the fixture keeps "storage" in the worker): fresh activation.
    assert.equal(await cluster.ask('counter', victim, { op: 'inc' }), 1);
    // Cross-shard traffic flows again through the new mesh links.
    const sink = keyOn('recorder', 1, 2, 'after');
    await cluster.ask('relay', keyOn('relay', 0, 2, 'r'), { count: 10, to: sink });
    let seen: string[] = [];
    for (let i = 0; i < 100 && seen.length < 10; i++) {
      seen = await cluster.ask<string[]>('recorder', sink, { op: 'dump' });
      if (seen.length < 10) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(seen.length, 10);
    const health = await cluster.health();
    assert.equal(health.ok, true);
  });

  it('a shard being replaced during a reload reloads once it is up', async () => {
    const spawning = once(cluster, 'shard-spawning');
    const restarted = once(cluster, 'shard-restarted');
    await assert.rejects(cluster.ask('counter', keyOn('counter', 0, 2, 'gone'), { op: 'die' }), { code: RuntimeCodes.SHARD_UNAVAILABLE });
    assert.deepEqual(await spawning, [0, 1]);
    // Asked after the new worker started reading its files: it has not seen this request.
    const report = await cluster.reload();
    assert.deepEqual(report.unanswered, [0]);
    await restarted;
    // The new worker's module state starts at 0; its catch-up reload ran before 'shard-restarted'.
    assert.equal(await cluster.ask<number>('reloads', keyOn('reloads', 0, 2), {}), 1);
  });

  it('refuses a reload once stopping', async () => {
    const c = await Cluster.start(clusterOptions());
    await c.stop();
    await assert.rejects(c.reload(), { code: RuntimeCodes.STOPPING });
  });
});

describe('cluster hubs', () => {
  it('gives every shard a port to a main-thread hub, re-attached when a worker is replaced', async () => {
    const attached: number[] = [];
    let closed = false;
    const hub = {
      name: 'doubler',
      attach(port: import('node:worker_threads').MessagePort, shard: number) {
        attached.push(shard);
        port.on('message', (m: { id: number; v: number }) => port.postMessage({ id: m.id, v: m.v * 2 }));
      },
      async close() {
        closed = true;
      },
    };
    const c = await Cluster.start(clusterOptions({ hubs: [hub], moduleConfig: { useHub: true } }));
    try {
      assert.deepEqual(attached.sort(), [0, 1]);
      assert.equal(await c.ask('hubuser', keyOn('hubuser', 0, 2), 21), 42);
      assert.equal(await c.ask('hubuser', keyOn('hubuser', 1, 2), 5), 10);
      const restarted = once(c, 'shard-restarted');
      await c.ask('counter', keyOn('counter', 1, 2, 'die'), { op: 'die' }).catch(() => undefined);
      await restarted;
      assert.deepEqual(attached, [0, 1, 1]);
      assert.equal(await c.ask('hubuser', keyOn('hubuser', 1, 2), 7), 14);
    } finally {
      await c.stop();
    }
    assert.equal(closed, true);
  });
});

describe('cluster shutdown', () => {
  it('drains every mailbox, then passivates, then exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-drain-'));
    const outFile = join(dir, 'out.txt');
    try {
      const c = await Cluster.start(clusterOptions({ moduleConfig: { outFile } }));
      const keys = [keyOn('slowcount', 0, 2, 's'), keyOn('slowcount', 1, 2, 's')];
      for (const k of keys) for (let i = 0; i < 2000; i++) c.tell('slowcount', k, { op: 'add' });
      await c.stop();
      const lines = readFileSync(outFile, 'utf8').trim().split('\n').sort();
      assert.deepEqual(lines, keys.map((k) => `${k} 2000 shutdown`).sort());
      await assert.rejects(c.ask('counter', 'x', { op: 'get' }), { code: RuntimeCodes.STOPPING });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails start-up with the module error when a module refuses to set up', async () => {
    await assert.rejects(Cluster.start(clusterOptions({ moduleConfig: { failSetup: true } })), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'ERR_TEST_SETUP');
      assert.match((e as Error).message, /shard \d failed to start: setup refused on purpose/);
      return true;
    });
  });
});
