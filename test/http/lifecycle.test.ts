/** close(): stop accepting at once, let requests in progress finish, drop idle connections. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { json, type Route } from '../../transports/http/index.js';
import { gate, RawClient, serve } from './helpers.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

function heldRoute(g: { promise: Promise<void> }): Route {
  return {
    method: 'GET',
    path: '/held',
    operationId: 'held',
    summary: 'answers when the test says so',
    responses: { 200: { description: 'ok' } },
    handler: async () => {
      await g.promise;
      return json(200, { ok: true });
    },
  };
}

describe('http server: close', () => {
  it('refuses new connections at once and lets requests in progress finish', async () => {
    const g = gate();
    const server = await serve({ routes: [heldRoute(g)] });
    const busy = await RawClient.open(server.port);
    const idle = await RawClient.open(server.port);
    busy.write('GET /held HTTP/1.1\r\nHost: t\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    assert.equal(await refused(server.port), true);
    assert.equal(closed, false, 'close waits for the request in progress');
    g.open();
    const r = await busy.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, 'close', 'the last answer ends the connection');
    await closing;
    await busy.untilClosed();
    await idle.untilClosed();
    assert.equal(await server.close().then(() => 'again'), 'again', 'close is idempotent');
  });

  it('drops requests still running after the grace period', async () => {
    const g = gate();
    const server = await serve({ routes: [heldRoute(g)], closeGraceMs: 50 });
    const c = await RawClient.open(server.port);
    c.write('GET /held HTTP/1.1\r\nHost: t\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    await c.untilClosed();
    g.open(); // the handler finishes after its connection is gone: nothing is written, nothing breaks
    await new Promise((r) => setTimeout(r, 20));
  });
});
