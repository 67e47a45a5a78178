/** How production runs it: one server per shard worker, all on the same port. */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

const ENTRY = new URL('./worker-server.js', import.meta.url);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One request on a fresh connection, so that the kernel picks a listener each time. */
function who(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/who', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve((JSON.parse(text) as { threadId: number }).threadId));
    }).on('error', reject);
  });
}

function next(w: Worker): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe('two worker threads on one port', () => {
  it('both answer, then close cleanly and exit 0', async () => {
    const port = await freePort();
    const workers = [0, 1].map(() => new Worker(ENTRY, { workerData: { port } }));
    const exits = workers.map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
    assert.deepEqual(await Promise.all(workers.map(next)), [{ listening: port }, { listening: port }]);

    const counts = new Map<number, number>();
    for (let i = 0; i < 50; i++) {
      const id = await who(port);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), workers.map((w) => w.threadId).sort(), `answers per thread: ${JSON.stringify([...counts])}`);

    const closed = workers.map(next);
    for (const w of workers) w.postMessage('close');
    assert.deepEqual(await Promise.all(closed), [{ closed: true }, { closed: true }]);
    assert.deepEqual(await Promise.all(exits), [0, 0]);
    await assert.rejects(who(port), { code: 'ECONNREFUSED' });
  });
});
