/**
 * One TCP port listened on by several servers (SO_REUSEPORT, transports/net/reuseport.ts): both
 * accept, each closes only its own socket, and a port held without the option is refused with
 * EADDRINUSE.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { listenShared, nodeHasReusePort, sharedListenSupport } from '../../transports/net/index.js';
import { nativeRequired } from '../harness/require-servers.js';

const required = nativeRequired();
const how = sharedListenSupport();
const skip = how === undefined && !required ? 'this Node cannot share a port between threads and the native helper is not built' : false;

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    listenShared(server, { host: '127.0.0.1', port }, how!, () => resolve((server.address() as { port: number }).port));
  });
}

function roundTrip(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (b) => (got += b.toString()));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

describe('listenShared', { skip }, () => {
  it('lets two servers accept on one port, and each close only its own socket', async () => {
    assert.notEqual(how, undefined, 'SO_REUSEPORT: neither Node 22.12+ nor the native helper (npm run build makes it)');
    const seen = { a: 0, b: 0 };
    const a = createServer((s) => {
      seen.a++;
      s.end('a');
    });
    const b = createServer((s) => {
      seen.b++;
      s.end('b');
    });
    const port = await listenOn(a, 0);
    assert.equal(await listenOn(b, port), port);
    const answers = await Promise.all(Array.from({ length: 64 }, () => roundTrip(port)));
    assert.deepEqual([...new Set(answers)].sort(), ['a', 'b'], 'each connection answered by one of the two, both used');
    assert.equal(seen.a + seen.b, 64);
    assert.equal(answers.filter((x) => x === 'a').length, seen.a);
    await new Promise<void>((done) => a.close(() => done()));
    // b's socket is its own: still listening, and now the only one.
    const after = await Promise.all(Array.from({ length: 8 }, () => roundTrip(port)));
    assert.deepEqual(after, Array(8).fill('b'));
    await new Promise<void>((done) => b.close(() => done()));
  });

  it('fails with EADDRINUSE on a port held by a socket without the option', async () => {
    const plain = createServer();
    await new Promise<void>((done) => plain.listen(0, '127.0.0.1', () => done()));
    const port = (plain.address() as { port: number }).port;
    try {
      await assert.rejects(listenOn(createServer(), port), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
    } finally {
      await new Promise<void>((done) => plain.close(() => done()));
    }
  });

  it('fails with a clear error on a host that does not resolve', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        listenShared(s, { host: 'no-such-host.invalid', port: 0 }, how!, () => resolve(s));
      }),
      (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN',
    );
  });
});

describe('nodeHasReusePort', () => {
  it('is Linux with Node 22.12+, 23.1+ or 24+', () => {
    const yes = ['22.12.0', '22.20.1', '23.1.0', '24.0.0', '25.2.1'];
    const no = ['20.20.2', '22.11.0', '23.0.0', '18.20.8'];
    for (const v of yes) assert.equal(nodeHasReusePort(v, 'linux'), true, v);
    for (const v of no) assert.equal(nodeHasReusePort(v, 'linux'), false, v);
    // Elsewhere SO_REUSEPORT does not spread connections (or Node refuses the option).
    for (const p of ['darwin', 'win32', 'freebsd'] as const) assert.equal(nodeHasReusePort('24.0.0', p), false, p);
  });
});
