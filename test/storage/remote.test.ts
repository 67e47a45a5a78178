/**
 * Storage across threads: the storage contract against `remoteBackend` over a MessageChannel to
 * a PGlite backend served by `serveStorage`, the hub's wire answers, deadlines and failures on
 * an injected clock, and real worker threads sharing the one PGlite.
 *
 * The contract's "close and reopen" case closes the REMOTE backend (which only detaches it) and
 * opens a new one over a new port to the same served backend: the embedded database itself
 * stays open for the whole file, as it does for the whole life of the process.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { ManualClock } from '../../runtime/clock.js';
import { rootLogger } from '../../runtime/log.js';
import type { Hub } from '../../runtime/module.js';
import { openBackend, remoteBackend, serveStorage, StorageCodes, type StorageBackend } from '../../storage/index.js';
import { runStorageContract } from './contract.js';
import { credential, rejectsWithCode, uniq } from './fixtures.js';

const dir = await mkdtemp(join(tmpdir(), 'fleetgate-remote-'));
let served: { real: StorageBackend; hub: Hub } | undefined;

async function hub(): Promise<{ real: StorageBackend; hub: Hub }> {
  if (served === undefined) {
    const real = await openBackend({ kind: 'pglite', dataDir: join(dir, 'data') });
    await real.migrate(); // the owner migrates; a remote migrate() is a no-op
    served = { real, hub: serveStorage(real) };
  }
  return served;
}

function channel(h: Hub, shard = 0): { hubPort: MessagePort; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  h.attach(port1, shard);
  return { hubPort: port1, port: port2 };
}

/** The hub end of a port that says hello and then never answers. */
function silentHub(): { hubPort: MessagePort; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage({ t: 'hello', kind: 'pglite' });
  return { hubPort: port1, port: port2 };
}

describe('remote storage backend', () => {
  after(async () => {
    await served?.hub.close?.();
    await served?.real.close();
    await rm(dir, { recursive: true, force: true });
  });

  runStorageContract('pglite', async () => remoteBackend(channel((await hub()).hub).port));

  test('the hub serves only the allow-listed methods, with the exact wire answers', async () => {
    const { hubPort, port } = channel((await hub()).hub);
    const answers: unknown[] = [];
    port.on('message', (m: unknown) => answers.push(m));
    const tenant = uniq('t');
    port.postMessage([
      { id: 1, repo: 'backend', method: 'health', args: [] },
      { id: 2, repo: 'backend', method: 'migrate', args: [] },
      { id: 3, repo: 'backend', method: 'close', args: [] },
      { id: 4, repo: 'clientCredentials', method: 'constructor', args: [] },
      { id: 5, repo: 'toString', method: 'call', args: [] },
      { id: 6, repo: 'endpointTokens', method: 'getById', args: 'not an array' },
      { id: 7, repo: 'clientCredentials', method: 'getById', args: [tenant, 'nobody'] },
      { id: 8, repo: 'oauthClients', method: 'get', args: [`${tenant}-nobody`] },
      { id: 9, repo: 'serviceAccounts', method: 'getByClient', args: [`${tenant}-nobody`] },
      { id: 10, repo: 'revokedTokens', method: 'isRevoked', args: [`${tenant}-jti`] },
      { id: 11, repo: 'signingKeys', method: 'constructor', args: [] },
      { id: 12, repo: '__proto__', method: 'toString', args: [] },
    ]);
    const replies = (): { id: number }[] =>
      answers.flatMap((a) => ((a as { t: string }).t === 'replies' ? (a as { replies: { id: number }[] }).replies : []));
    while (replies().length < 12) await once(port, 'message');
    assert.deepEqual(answers[0], { t: 'hello', kind: 'pglite' });
    const byId = replies().sort((a, b) => a.id - b.id);
    const refused = (what: string): object => ({
      ok: false,
      error: { code: StorageCodes.INVALID_ARGUMENT, message: `storage hub: ${what} is not a remote storage method` },
    });
    assert.deepEqual(byId, [
      { id: 1, ok: true, value: undefined },
      { id: 2, ...refused('backend.migrate') },
      { id: 3, ...refused('backend.close') },
      { id: 4, ...refused('clientCredentials.constructor') },
      { id: 5, ...refused('toString.call') },
      { id: 6, ok: false, error: { code: StorageCodes.INVALID_ARGUMENT, message: 'storage hub: the arguments of endpointTokens.getById are not an array' } },
      { id: 7, ok: true, value: null },
      { id: 8, ok: true, value: null },
      { id: 9, ok: true, value: null },
      { id: 10, ok: true, value: false },
      { id: 11, ...refused('signingKeys.constructor') },
      { id: 12, ...refused('__proto__.toString') },
    ]);
    port.close();
    await once(hubPort, 'close');
  });

  test('one postMessage carries the calls of one turn', async () => {
    const { hubPort, port } = channel((await hub()).hub);
    const remote = remoteBackend(port);
    let batches = 0;
    hubPort.on('message', () => batches++);
    const tenant = uniq('t');
    const made = await Promise.all(Array.from({ length: 50 }, (_, i) => remote.clientCredentials.create(credential(tenant, i))));
    assert.equal(made.length, 50);
    assert.equal(batches, 1);
    await remote.close();
  });

  test('close() waits for the calls in flight, then refuses; the served backend stays open', async () => {
    const h = await hub();
    const a = remoteBackend(channel(h.hub).port);
    const b = remoteBackend(channel(h.hub).port);
    const tenant = uniq('t');
    const inFlight = a.clientCredentials.create(credential(tenant, 1));
    const closing = a.close();
    await rejectsWithCode(a.clientCredentials.getById(tenant, 'x'), StorageCodes.UNAVAILABLE);
    assert.equal((await inFlight).id, credential(tenant, 1).id);
    await closing;
    await rejectsWithCode(a.migrate(), StorageCodes.UNAVAILABLE);
    assert.deepEqual(await b.clientCredentials.getById(tenant, credential(tenant, 1).id), credential(tenant, 1));
    await b.close();
  });

  test('a call unanswered past its deadline is ERR_STORAGE_UNAVAILABLE; a late answer is dropped', async () => {
    const clock = new ManualClock();
    const { hubPort, port } = silentHub();
    const remote = remoteBackend(port, { clock, timeoutMs: 5_000 });
    assert.equal(remote.kind, 'pglite');
    const call = remote.clientCredentials.getById('t', 'x');
    const [batch] = (await once(hubPort, 'message')) as [{ id: number }[]];
    clock.advance(4_999);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(1);
    await rejectsWithCode(call, StorageCodes.UNAVAILABLE, { timeoutMs: 5_000 });
    hubPort.postMessage({ t: 'replies', replies: [{ id: batch[0]!.id, ok: true, value: null }] });
    await remote.close();
    assert.throws(() => remoteBackend(port, { timeoutMs: 0 }), TypeError);
  });

  test('calls pending when the hub port closes fail with ERR_STORAGE_UNAVAILABLE', async () => {
    const { hubPort, port } = silentHub();
    const remote = remoteBackend(port);
    const calls = [remote.health(), remote.endpointTokens.getByLookup('app', 'ab'.repeat(16))];
    await once(hubPort, 'message');
    hubPort.close();
    for (const c of calls) await rejectsWithCode(c, StorageCodes.UNAVAILABLE);
    await rejectsWithCode(remote.clientCredentials.getById('t', 'x'), StorageCodes.UNAVAILABLE);
  });

  test('a port without the hub hello is refused as misuse', () => {
    const { port1, port2 } = new MessageChannel();
    assert.throws(() => remoteBackend(port2), TypeError);
    port1.close();
  });

  test('an uncoded backend failure crosses as ERR_STORAGE_UNAVAILABLE; coded ones keep their data', async () => {
    const { real } = await hub();
    const repo = real.clientCredentials;
    // The real backend, but for two methods that fail the way only a bug would.
    const broken: StorageBackend = {
      ...real,
      clientCredentials: {
        create: (c) => repo.create(c),
        getById: () => Promise.reject(new Error('driver said: password authentication failed for "x"')),
        getByUsername: () => {
          throw new TypeError('thrown synchronously');
        },
        list: (t, o) => repo.list(t, o),
        update: (t, id, v, patch) => repo.update(t, id, v, patch),
        delete: (t, id, v) => repo.delete(t, id, v),
      },
    };
    const h = serveStorage(broken, { logger: rootLogger().child({}, { level: 'silent' }) });
    const remote = remoteBackend(channel(h).port);
    await rejectsWithCode(remote.clientCredentials.getById('t', 'x'), StorageCodes.UNAVAILABLE);
    await rejectsWithCode(remote.clientCredentials.getByUsername('t', 'x'), StorageCodes.UNAVAILABLE);
    const tenant = uniq('t');
    const c = await remote.clientCredentials.create(credential(tenant, 1));
    await remote.clientCredentials.update(tenant, c.id, 1, { state: 'Active', updatedAt: c.updatedAt + 1 });
    await rejectsWithCode(remote.clientCredentials.update(tenant, c.id, 1, { state: 'Revoked', updatedAt: c.updatedAt + 2 }), StorageCodes.VERSION_CONFLICT, {
      currentVersion: 2,
    });
    await remote.close();
    await h.close?.();
  });

  test('shard workers share the one embedded database', async () => {
    const h = await hub();
    const tenant = uniq('t');
    const script = new URL('../fixtures/bridge-storage-worker.js', import.meta.url);
    const runs = [0, 1, 2].map(async (n) => {
      const { port } = channel(h.hub, n);
      const w = new Worker(script, { workerData: { port, tenant, n }, transferList: [port] });
      const [reported, exited] = [once(w, 'message'), once(w, 'exit')];
      const [report] = (await reported) as [Record<string, unknown>];
      const [code] = (await exited) as [number];
      return { report, code };
    });
    const results = await Promise.all(runs);
    assert.deepEqual(results.map((r) => r.code), [0, 0, 0], 'each worker ends by itself');
    const winners = results.filter((r) => 'won' in (r.report['race'] as object));
    assert.equal(winners.length, 1, 'exactly one worker creates the shared username');
    for (const r of results) {
      assert.equal(r.report['kind'], 'pglite');
      if (!winners.includes(r)) assert.deepEqual(r.report['race'], { code: StorageCodes.DUPLICATE, name: 'StorageError' });
      assert.deepEqual(r.report['conflict'], { code: StorageCodes.VERSION_CONFLICT, name: 'StorageError', data: { currentVersion: 2 } });
    }
    const page = await h.real.clientCredentials.list(tenant, { offset: 0, limit: 10, order: 'ASC' });
    assert.equal(page.total, 4, 'three workers\' own credentials and the one race winner');
  });
});
