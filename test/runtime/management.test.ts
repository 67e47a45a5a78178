import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, startManagement, type ManagementServer } from '../../runtime/index.js';
import { rootLogger } from '../../runtime/log.js';
import { clusterOptions, keyOn } from './helpers.js';

rootLogger().level = 'silent';

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('management endpoint', () => {
  let cluster: Cluster;
  let mgmt: ManagementServer;
  before(async () => {
    cluster = await Cluster.start(clusterOptions());
    mgmt = await startManagement(cluster, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await mgmt.close();
    await cluster.stop();
  });

  it('GET /health is 200 with every shard up', async () => {
    const r = await get(mgmt.port, '/health');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json');
    const body = JSON.parse(r.body) as { status: string; shards: Array<{ shard: number; up: boolean }>; problems: unknown[] };
    assert.equal(body.status, 'UP');
    assert.deepEqual(body.shards.map((s) => [s.shard, s.up]), [[0, true], [1, true]]);
    assert.deepEqual(body.problems, []);
  });

  it('GET /metrics aggregates every thread into one Prometheus answer', async () => {
    for (const s of [0, 1]) await cluster.ask('counter', keyOn('counter', s, 2, 'm'), { op: 'inc' });
    await cluster.hashPool.verify('x', await cluster.hashPool.hash('x'));
    const r = await get(mgmt.port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type ?? '', /^text\/plain/);
    for (const shard of ['0', '1']) {
      assert.match(r.body, new RegExp(`fleetgate_actor_activations_total\\{shard="${shard}"\\} [1-9]`));
      assert.match(r.body, new RegExp(`fleetgate_event_loop_delay_seconds\\{quantile="0.99",shard="${shard}"\\} `));
      assert.match(r.body, new RegExp(`fleetgate_mailbox_depth\\{shard="${shard}"\\} 0`));
    }
    assert.match(r.body, /fleetgate_event_loop_delay_seconds\{quantile="0.99",shard="main"\} /);
    assert.match(r.body, /fleetgate_hashing_tasks_total\{shard="main"\} 2/);
    assert.match(r.body, /fleetgate_hashing_duration_seconds_count\{shard="main"\} 2/);
    assert.match(r.body, /fleetgate_shards_up\{shard="main"\} 2/);
    assert.match(r.body, /process_resident_memory_bytes/);
  });

  it('answers unknown paths with 404 and other methods with 405, as problem+json', async () => {
    const nf = await get(mgmt.port, '/nope');
    assert.equal(nf.status, 404);
    assert.equal(nf.type, 'application/problem+json');
    assert.deepEqual(JSON.parse(nf.body), {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'no resource at /nope; try /health or /metrics',
      code: 'ERR_NOT_FOUND',
    });
    const na = await get(mgmt.port, '/health', 'POST');
    assert.equal(na.status, 405);
    assert.equal(JSON.parse(na.body).code, 'ERR_METHOD_NOT_ALLOWED');
  });
});

describe('management endpoint when something is wrong', () => {
  it('GET /health is 500 naming the failing check', async () => {
    const cluster = await Cluster.start(clusterOptions({ moduleConfig: { failHealth: true } }));
    const mgmt = await startManagement(cluster, { host: '127.0.0.1', port: 0 });
    try {
      const r = await get(mgmt.port, '/health');
      assert.equal(r.status, 500);
      const body = JSON.parse(r.body) as { status: string; problems: unknown[] };
      assert.equal(body.status, 'DOWN');
      assert.deepEqual(body.problems, [{ component: 'test-storage', code: 'ERR_STORAGE_UNAVAILABLE', message: 'test storage is down' }]);
    } finally {
      await mgmt.close();
      await cluster.stop();
    }
  });

  it('GET /health is 500 while a shard is down', async () => {
    // A long backoff keeps the dead shard down while we look.
    const cluster = await Cluster.start(clusterOptions({ restartBackoffMs: { min: 60_000, max: 60_000 } }));
    const mgmt = await startManagement(cluster, { host: '127.0.0.1', port: 0 });
    try {
      await cluster.ask('counter', keyOn('counter', 0, 2, 'd'), { op: 'die' }).catch(() => undefined);
      const r = await get(mgmt.port, '/health');
      assert.equal(r.status, 500);
      const body = JSON.parse(r.body) as { problems: Array<{ component: string; code: string; message: string }> };
      assert.deepEqual(body.problems, [{ component: 'shard-0', code: 'ERR_SHARD_UNAVAILABLE', message: 'shard 0 is down' }]);
    } finally {
      await mgmt.close();
      await cluster.stop();
    }
  });
});
