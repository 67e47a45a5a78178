/** Limits and misbehaving clients: 413 (declared and streamed), 414, 503 when flooded, aborts,
 *  and a large response to a slow reader. Raw sockets, since fetch hides what matters here. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { json, type HttpServer, type Route } from '../../transports/http/index.js';
import { gate, getJson, RawClient, serve } from './helpers.js';

const BIG = Buffer.alloc(10 * 1024 * 1024);
for (let i = 0; i < BIG.length; i += 4) BIG.writeUInt32LE(i * 2654435761 >>> 0, i);

let held = gate();
let handlerRan = 0;

const routes: Route[] = [
  {
    method: 'POST',
    path: '/upload',
    operationId: 'upload',
    summary: 'JSON, small limit',
    maxBodyBytes: 1000,
    body: { type: 'object' },
    responses: { 200: { description: 'ok' } },
    handler: async (req) => {
      handlerRan++;
      return json(200, { size: req.rawBody.length });
    },
  },
  {
    method: 'GET',
    path: '/big',
    operationId: 'big',
    summary: 'A 10 MB body',
    responses: { 200: { description: 'bytes' } },
    handler: async () => ({ status: 200, body: BIG }),
  },
  {
    method: 'GET',
    path: '/held',
    operationId: 'held',
    summary: 'Answers when the test says so',
    responses: { 200: { description: 'ok' } },
    handler: async () => {
      await held.promise;
      return json(200, { ok: true });
    },
  },
  {
    method: 'GET',
    path: '/ping',
    operationId: 'ping',
    summary: 'ping',
    responses: { 200: { description: 'pong' } },
    handler: async () => json(200, { pong: true }),
  },
];

const TOO_LARGE = { type: 'about:blank', title: 'Content Too Large', status: 413, detail: 'the request body exceeds 1000 bytes', code: 'ERR_BODY_TOO_LARGE', limit: 1000 };

describe('http server: limits', () => {
  let server: HttpServer;
  let base: string;
  before(async () => {
    server = await serve({ routes, maxInflight: 3, maxUrlLength: 200 });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  async function healthy(): Promise<void> {
    assert.deepEqual((await getJson(`${base}/ping`)).body, { pong: true });
  }

  it('refuses a declared Content-Length over the limit with 413 and closes', async () => {
    const c = await RawClient.open(server.port);
    c.write('POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"a":');
    const r = await c.response();
    assert.equal(r.status, 413);
    assert.equal(r.headers.connection, 'close');
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.deepEqual(JSON.parse(r.body.toString()), TOO_LARGE);
    await c.untilClosed();
    await healthy();
  });

  it('stops a chunked body that streams past the limit, answers 413, stays healthy', async () => {
    const before = handlerRan;
    const c = await RawClient.open(server.port);
    c.write('POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `100\r\n${' '.repeat(256)}\r\n`;
    // Keep sending well past the limit, as a hostile client would, until the server hangs up.
    for (let i = 0; i < 64 && !c.closed; i++) {
      c.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    const r = await c.response();
    assert.equal(r.status, 413);
    assert.deepEqual(JSON.parse(r.body.toString()), TOO_LARGE);
    await c.untilClosed();
    assert.equal(handlerRan, before, 'the handler never saw the body');
    await healthy();
    // Within the limit, chunked is fine.
    const ok = await RawClient.open(server.port);
    ok.write('POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
    assert.deepEqual(JSON.parse((await ok.response()).body.toString()), { size: 2 });
    ok.destroy();
  });

  it('answers 414 to a request target over maxUrlLength', async () => {
    const r = await getJson(`${base}/ping?q=${'x'.repeat(300)}`);
    assert.equal(r.status, 414);
    assert.deepEqual(r.body, { type: 'about:blank', title: 'URI Too Long', status: 414, detail: 'the request target exceeds 200 bytes', code: 'ERR_URL_TOO_LONG' });
  });

  it('survives a client that disconnects mid-body', async () => {
    const before = handlerRan;
    const c = await RawClient.open(server.port);
    c.write('POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n{"a":"');
    await new Promise((r) => setTimeout(r, 20));
    c.destroy();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(handlerRan, before);
    await healthy();
  });

  it('never writes to a connection whose client left while the handler ran', async () => {
    held = gate();
    const c = await RawClient.open(server.port);
    c.write('GET /held HTTP/1.1\r\nHost: t\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    c.destroy();
    await new Promise((r) => setTimeout(r, 20));
    held.open();
    await new Promise((r) => setTimeout(r, 20));
    await healthy();
  });

  it('sheds load past maxInflight with 503 and Retry-After, and recovers', async () => {
    held = gate();
    const pending = [fetch(`${base}/held`), fetch(`${base}/held`), fetch(`${base}/held`)];
    await new Promise((r) => setTimeout(r, 50));
    const r = await getJson(`${base}/ping`);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.deepEqual(r.body, {
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'the server has too many requests in progress',
      code: 'ERR_OVERLOADED',
    });
    held.open();
    for (const p of pending) assert.equal((await p).status, 200);
    await healthy();
  });

  it('delivers 10 MB whole to a slow reader, keeping the connection usable', async () => {
    const c = await RawClient.open(server.port);
    c.socket.pause();
    c.write('GET /big HTTP/1.1\r\nHost: t\r\n\r\n');
    // Not reading fills the socket buffers: the server must wait for onWritable, not drop bytes.
    await new Promise((r) => setTimeout(r, 200));
    let read = 0;
    c.socket.on('data', (d: Buffer) => {
      read += d.length;
      // Read in bursts with pauses, as a slow link would.
      if (read % (1024 * 1024) < d.length) {
        c.socket.pause();
        setTimeout(() => c.socket.resume(), 5);
      }
    });
    c.socket.resume();
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(BIG.length));
    assert.equal(r.body.length, BIG.length);
    assert.equal(createHash('sha256').update(r.body).digest('hex'), createHash('sha256').update(BIG).digest('hex'));
    // uWS refuses pipelining behind a pending response (it closes), so the next request waits.
    c.write('GET /ping HTTP/1.1\r\nHost: t\r\n\r\n');
    assert.deepEqual(JSON.parse((await c.response()).body.toString()), { pong: true });
    c.destroy();
  });
});
