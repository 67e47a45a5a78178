/** Routing, parameters, validation and content types, through real HTTP against a uWS server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, noContent, type HttpServer, type Route } from '../../transports/http/index.js';
import { getJson, RawClient, serve } from './helpers.js';

const routes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/endpoints/{endpointId}/tokens',
    operationId: 'listTokens',
    summary: 'List the tokens of an endpoint',
    query: {
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      state: { type: 'array', items: { enum: ['active', 'revoked'] } },
      cursor: { type: 'string', required: true },
    },
    responses: { 200: { description: 'the tokens' } },
    handler: async (req) => json(200, { params: req.params, queryValues: req.queryValues, method: req.method }),
  },
  {
    method: 'POST',
    path: '/api/v1/endpoints/{endpointId}/tokens',
    operationId: 'createToken',
    summary: 'Create a token',
    body: {
      type: 'object',
      properties: { username: { type: 'string', pattern: '^[a-z]+$' }, ttl: { type: 'integer' } },
      required: ['username'],
      additionalProperties: false,
    },
    responses: { 201: { description: 'created' } },
    handler: async (req) => json(201, { endpointId: req.params.endpointId, body: req.body }, { location: '/x' }),
  },
  {
    method: 'GET',
    path: '/api/v1/endpoints/mine/tokens',
    operationId: 'listMyTokens',
    summary: 'A static segment beside a parameter',
    responses: { 200: { description: 'mine' } },
    handler: async () => json(200, { mine: true }),
  },
  {
    method: 'DELETE',
    path: '/api/v1/tokens/{tokenId}',
    operationId: 'deleteToken',
    summary: 'Delete a token',
    params: { tokenId: { type: 'string', pattern: '^[0-9a-f]{4}$' } },
    responses: { 204: { description: 'deleted' } },
    handler: async () => noContent(),
  },
  {
    method: 'POST',
    path: '/oauth/token',
    operationId: 'token',
    summary: 'OAuth token endpoint (form)',
    form: true,
    body: { type: 'object', properties: { grant_type: { const: 'client_credentials' } }, required: ['grant_type'] },
    responses: { 200: { description: 'a token' } },
    handler: async (req) => json(200, { body: req.body, all: [...(req.rawForm ?? [])] }),
  },
  {
    method: 'PUT',
    path: '/raw/{name}',
    operationId: 'putRaw',
    summary: 'Raw bytes in, raw bytes out',
    responses: { 200: { description: 'echo' } },
    handler: async (req) => ({ status: 200, body: req.rawBody, contentType: req.headers['content-type'] ?? 'application/octet-stream' }),
  },
];

describe('http server: routing and validation', () => {
  let server: HttpServer;
  let base: string;
  before(async () => {
    server = await serve({ routes });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  it('extracts and percent-decodes path parameters', async () => {
    const r = await getJson(`${base}/api/v1/endpoints/a%2Fb%20%C3%A9/tokens?cursor=c`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(r.body, { params: { endpointId: 'a/b é' }, queryValues: { cursor: 'c', limit: 20 }, method: 'GET' });
  });

  it('prefers a static segment over a parameter', async () => {
    assert.deepEqual((await getJson(`${base}/api/v1/endpoints/mine/tokens`)).body, { mine: true });
  });

  it('answers bad percent-encoding in a parameter with 400', async () => {
    const r = await getJson(`${base}/api/v1/endpoints/%E0%A4%A/tokens?cursor=c`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'the path parameter endpointId is not valid percent-encoded UTF-8',
      code: 'ERR_BAD_PATH',
    });
  });

  it('validates path parameters against their schema', async () => {
    assert.equal((await fetch(`${base}/api/v1/tokens/beef`, { method: 'DELETE' })).status, 204);
    const r = await getJson(`${base}/api/v1/tokens/nope`, { method: 'DELETE' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'path/tokenId must match pattern "^[0-9a-f]{4}$"',
      code: 'ERR_VALIDATION',
      errors: [{ pointer: '/path/tokenId', message: 'must match pattern "^[0-9a-f]{4}$"' }],
    });
  });

  it('404 for an unknown path, 405 with Allow for a known path and another method', async () => {
    const nf = await getJson(`${base}/api/v1/nothing`);
    assert.equal(nf.status, 404);
    assert.equal(nf.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(nf.body, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'no resource at /api/v1/nothing', code: 'ERR_NOT_FOUND' });
    // A trailing slash or an empty segment is another path.
    assert.equal((await fetch(`${base}/api/v1/endpoints//tokens`)).status, 404);
    assert.equal((await fetch(`${base}/api/v1/endpoints/mine/tokens/`)).status, 404);

    const na = await getJson(`${base}/api/v1/endpoints/e1/tokens`, { method: 'PATCH' });
    assert.equal(na.status, 405);
    assert.equal(na.headers.get('allow'), 'GET, HEAD, POST, OPTIONS');
    assert.deepEqual(na.body, {
      type: 'about:blank',
      title: 'Method Not Allowed',
      status: 405,
      detail: '/api/v1/endpoints/e1/tokens answers GET, HEAD, POST, OPTIONS',
      code: 'ERR_METHOD_NOT_ALLOWED',
    });
    // Allow is the union over every template matching the path (static and parameter).
    const mine = await fetch(`${base}/api/v1/endpoints/mine/tokens`, { method: 'PUT' });
    assert.equal(mine.headers.get('allow'), 'GET, HEAD, POST, OPTIONS');
  });

  it('answers OPTIONS with Allow and HEAD from the GET route without a body', async () => {
    const o = await fetch(`${base}/api/v1/tokens/beef`, { method: 'OPTIONS' });
    assert.equal(o.status, 204);
    assert.equal(o.headers.get('allow'), 'DELETE, OPTIONS');
    const c = await RawClient.open(server.port);
    c.write('HEAD /api/v1/endpoints/mine/tokens HTTP/1.1\r\nHost: t\r\n\r\nGET /api/v1/endpoints/mine/tokens HTTP/1.1\r\nHost: t\r\n\r\n');
    const head = await c.response(true);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'application/json');
    assert.equal(head.body.length, 0);
    const get = await c.response();
    assert.deepEqual(JSON.parse(get.body.toString()), { mine: true }, 'the connection keeps its framing after HEAD');
    c.destroy();
  });

  it('validates and coerces query parameters, with defaults', async () => {
    const ok = await getJson(`${base}/api/v1/endpoints/e1/tokens?limit=7&state=active&state=revoked&cursor=x&other=1`);
    assert.deepEqual(ok.body, { params: { endpointId: 'e1' }, queryValues: { limit: 7, state: ['active', 'revoked'], cursor: 'x' }, method: 'GET' });
    const one = await getJson(`${base}/api/v1/endpoints/e1/tokens?state=active&cursor=x`);
    assert.deepEqual((one.body as { queryValues: unknown }).queryValues, { state: ['active'], cursor: 'x', limit: 20 });

    const big = await getJson(`${base}/api/v1/endpoints/e1/tokens?limit=500&cursor=x`);
    assert.equal(big.status, 400);
    assert.deepEqual(big.body, {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'query/limit must be <= 100',
      code: 'ERR_VALIDATION',
      errors: [{ pointer: '/query/limit', message: 'must be <= 100' }],
    });
    const nan = await getJson(`${base}/api/v1/endpoints/e1/tokens?limit=ten&cursor=x`);
    assert.equal((nan.body as { detail: string }).detail, 'query/limit must be integer');
    const missing = await getJson(`${base}/api/v1/endpoints/e1/tokens`);
    assert.deepEqual((missing.body as { errors: unknown }).errors, [{ pointer: '/query/cursor', message: 'is required' }]);
    const badEnum = await getJson(`${base}/api/v1/endpoints/e1/tokens?state=gone&cursor=x`);
    assert.equal((badEnum.body as { detail: string }).detail, 'query/state/0 must be equal to one of the allowed values');
  });

  it('validates JSON bodies and names the field at fault', async () => {
    const post = async (body: string, type = 'application/json'): Promise<{ status: number; body: unknown }> => {
      const r = await getJson(`${base}/api/v1/endpoints/e1/tokens`, { method: 'POST', headers: { 'content-type': type }, body });
      return { status: r.status, body: r.body };
    };
    const ok = await post('{"username":"alice","ttl":60}', 'application/json; charset=utf-8');
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body, { endpointId: 'e1', body: { username: 'alice', ttl: 60 } });

    assert.deepEqual(await post('{"username":"Alice!"}'), {
      status: 400,
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'body/username must match pattern "^[a-z]+$"',
        code: 'ERR_VALIDATION',
        errors: [{ pointer: '/body/username', message: 'must match pattern "^[a-z]+$"' }],
      },
    });
    assert.deepEqual(await post('{}'), {
      status: 400,
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'body/username is required',
        code: 'ERR_VALIDATION',
        errors: [{ pointer: '/body/username', message: 'is required' }],
      },
    });
    const extra = await post('{"username":"a","a/b":1}');
    assert.deepEqual((extra.body as { errors: unknown }).errors, [{ pointer: '/body/a~1b', message: 'is not allowed' }]);
    const ttl = await post('{"username":"a","ttl":"60"}');
    assert.equal((ttl.body as { detail: string }).detail, 'body/ttl must be integer', 'bodies are not coerced');
  });

  it('answers malformed JSON with ERR_BAD_JSON and another type with 415', async () => {
    const post = async (body: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> => {
      const r = await getJson(`${base}/api/v1/endpoints/e1/tokens`, { method: 'POST', headers, body });
      return { status: r.status, body: r.body };
    };
    assert.deepEqual(await post('{"username":', { 'content-type': 'application/json' }), {
      status: 400,
      body: { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'the request body is not valid JSON (RFC 8259)', code: 'ERR_BAD_JSON' },
    });
    assert.equal((await post('', { 'content-type': 'application/json' })).status, 400);
    const wrong = { type: 'about:blank', title: 'Unsupported Media Type', status: 415, detail: 'the request body must be application/json', code: 'ERR_UNSUPPORTED_MEDIA_TYPE' };
    assert.deepEqual(await post('{"username":"a"}', { 'content-type': 'text/plain' }), { status: 415, body: wrong });
    assert.deepEqual(await post('username=a', { 'content-type': 'application/x-www-form-urlencoded' }), { status: 415, body: wrong });
    // A structured +json type is JSON (RFC 6839).
    assert.equal((await post('{"username":"a"}', { 'content-type': 'application/merge-patch+json' })).status, 201);
  });

  it('parses form bodies, keeping every parameter in rawForm', async () => {
    const r = await getJson(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=a+b&scope=c%20d&__proto__=x',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      body: JSON.parse('{"grant_type":"client_credentials","scope":"a b","__proto__":"x"}') as unknown,
      all: [['grant_type', 'client_credentials'], ['scope', 'a b'], ['scope', 'c d'], ['__proto__', 'x']],
    });
    const bad = await getJson(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password',
    });
    assert.equal((bad.body as { detail: string }).detail, 'body/grant_type must be equal to constant');
    const json415 = await getJson(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal((json415.body as { detail: string }).detail, 'the request body must be application/x-www-form-urlencoded');
  });

  it('passes raw bodies through routes without a schema, chunked or not', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const r = await fetch(`${base}/raw/x`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/x-thing' } });
    assert.equal(r.headers.get('content-type'), 'application/x-thing');
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), bytes);
    const c = await RawClient.open(server.port);
    c.write('PUT /raw/y HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    assert.equal((await c.response()).body.toString(), 'abcde');
    c.destroy();
  });

  it('answers 404 to a POST with a body and keeps the connection usable', async () => {
    const c = await RawClient.open(server.port);
    c.write('POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello');
    c.write('GET /api/v1/endpoints/mine/tokens HTTP/1.1\r\nHost: t\r\n\r\n');
    assert.equal((await c.response()).status, 404);
    assert.equal((await c.response()).status, 200);
    c.destroy();
  });
});
