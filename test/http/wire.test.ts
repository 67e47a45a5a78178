/** The socket-free parts of the transport: body reading fed byte by byte, and serialisation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isJsonType, mediaType, parseContentLength, readBody } from '../../transports/http/body.js';
import { serialize } from '../../transports/http/reply.js';
import { problem } from '../../transports/http/index.js';

/** Stands in for uWS: keeps the onData handler, and neuters each chunk after the call as uWS does. */
function source(): { src: { onData(h: (c: ArrayBuffer, last: boolean) => void): void }; feed(bytes: Buffer, last: boolean): void } {
  let handler: ((c: ArrayBuffer, last: boolean) => void) | undefined;
  return {
    src: { onData: (h) => void (handler = h) },
    feed(bytes, last) {
      const ab = new ArrayBuffer(bytes.length);
      new Uint8Array(ab).set(bytes);
      handler?.(ab, last);
      structuredClone(ab, { transfer: [ab] }); // detached, like uWS's neutered chunk
    },
  };
}

describe('readBody', () => {
  const text = Buffer.from('{"username":"alice","ttl":60}');
  for (const declared of [undefined, text.length]) {
    it(`assembles a body fed one byte at a time (content-length ${declared ?? 'absent'})`, async () => {
      const s = source();
      const r = readBody(s.src, 1000, declared);
      for (let i = 0; i < text.length; i++) s.feed(text.subarray(i, i + 1), i === text.length - 1);
      assert.deepEqual(await r.done, text);
      assert.equal(r.overflowed, false);
    });
  }

  it('fails at the first byte past the limit and keeps nothing more', async () => {
    const s = source();
    const r = readBody(s.src, 10, undefined);
    for (let i = 0; i < 11; i++) s.feed(Buffer.from('x'), false);
    await assert.rejects(r.done, { code: 'ERR_BODY_TOO_LARGE', message: 'the request body exceeds 10 bytes' });
    assert.equal(r.overflowed, true);
    s.feed(Buffer.from('more'), true); // ignored
  });

  it('takes exactly the limit, and an empty body', async () => {
    const s = source();
    const r = readBody(s.src, 4, 4);
    s.feed(Buffer.from('ab'), false);
    s.feed(Buffer.from('cd'), true);
    assert.equal((await r.done).toString(), 'abcd');
    const e = source();
    const empty = readBody(e.src, 4, undefined);
    e.feed(Buffer.alloc(0), true);
    assert.equal((await empty.done).length, 0);
  });

  it('fails with ERR_CLIENT_ABORTED when the client leaves, without an unhandled rejection', async () => {
    const s = source();
    const r = readBody(s.src, 100, 50);
    s.feed(Buffer.from('partial'), false);
    r.abort();
    await assert.rejects(r.done, { code: 'ERR_CLIENT_ABORTED' });
    const unawaited = readBody(source().src, 100, undefined);
    unawaited.abort(); // nobody awaits this one: must not crash the process
  });
});

describe('content headers', () => {
  it('reads media types and lengths strictly', () => {
    assert.equal(mediaType(' Application/JSON ; charset=UTF-8'), 'application/json');
    assert.equal(mediaType(undefined), '');
    assert.equal(isJsonType('application/json'), true);
    assert.equal(isJsonType('application/merge-patch+json'), true);
    assert.equal(isJsonType('text/json'), false);
    assert.equal(parseContentLength('42'), 42);
    for (const bad of ['', '-1', '4 2', '0x10', '1e3', undefined]) assert.equal(parseContentLength(bad), undefined);
  });
});

describe('serialize', () => {
  it('writes JSON with its type and drops the transport-owned fields', () => {
    const w = serialize({ status: 201, body: { a: 1 }, headers: { Location: '/x/1', 'Content-Length': '999', Connection: 'keep-alive' } });
    assert.equal(w.statusLine, '201 Created');
    assert.deepEqual(w.headers, [
      ['location', '/x/1'],
      ['content-type', 'application/json'],
      ['x-content-type-options', 'nosniff'],
    ]);
    assert.equal(w.body?.toString(), '{"a":1}');
  });

  it('sends buffers and strings as they are, with a content type override', () => {
    assert.deepEqual(serialize({ status: 200, body: Buffer.from([1, 2]) }).headers[0], ['content-type', 'application/octet-stream']);
    assert.deepEqual(serialize({ status: 200, body: 'hi' }).headers[0], ['content-type', 'text/plain; charset=utf-8']);
    assert.deepEqual(serialize({ status: 200, body: 'hi', contentType: 'text/csv' }).headers[0], ['content-type', 'text/csv']);
    assert.deepEqual(serialize(problem(400, 'ERR_X', 'Bad Request', 'd')).headers[0], ['content-type', 'application/problem+json']);
  });

  it('gives 204 no body and no length, and other empty answers an empty body', () => {
    assert.equal(serialize({ status: 204, body: { ignored: true } }).body, undefined);
    assert.equal(serialize({ status: 401 }).body?.length, 0);
  });

  it('refuses header injection and bodies that do not serialise', () => {
    assert.throws(() => serialize({ status: 200, headers: { 'x-a': 'v\r\nset-cookie: s=1' } }), /header x-a has an invalid value/);
    assert.throws(() => serialize({ status: 200, headers: { 'bad name': 'v' } }), /is not a token/);
    assert.throws(() => serialize({ status: 200, body: { n: 1n } }), TypeError);
  });

  it('checks a frozen header object once and gives every answer its own list', () => {
    const shared = Object.freeze({ 'Cache-Control': 'no-store', 'content-type': 'text/x-a' });
    const a = serialize({ status: 200, headers: shared, body: 'a' });
    const b = serialize({ status: 200, headers: shared, body: { b: 1 } });
    assert.deepEqual(a.headers, [['cache-control', 'no-store'], ['content-type', 'text/x-a'], ['x-content-type-options', 'nosniff']]);
    assert.deepEqual(b.headers, a.headers, 'the header content type wins over the JSON default, as without the cache');
    assert.notEqual(a.headers, b.headers);
    const bad = Object.freeze({ 'x-a': 'v\r\nx: y' });
    assert.throws(() => serialize({ status: 200, headers: bad }), /invalid value/);
    assert.throws(() => serialize({ status: 200, headers: bad }), /invalid value/, 'a refused object is refused every time');
  });
});
