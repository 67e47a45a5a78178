/** Error mapping (coded errors to statuses, unknown throwables to a silent 500), the authorize
 *  hook, and the refusal of misconfigured servers. */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FleetgateError } from '../../runtime/index.js';
import { json, problem, startHttpServer, type HttpServer, type Route } from '../../transports/http/index.js';
import { capturedLog, getJson, serve } from './helpers.js';

function thrower(path: string, make: () => unknown): Route {
  return {
    method: 'GET',
    path,
    operationId: `throw${path.replace(/\W/g, '_')}`,
    summary: 'throws',
    responses: { 200: { description: 'never' } },
    handler: async () => {
      throw make();
    },
  };
}

let bodyParsed = 0;
const routes: Route[] = [
  thrower('/not-found', () => new FleetgateError('ERR_NOT_FOUND', 'no credential c1 in tenant t1', { data: { tenantId: 't1', id: 'c1', retryAt: 5, type: 'x', ab: 'short', 'bad-name': 1 } })),
  thrower('/duplicate', () => new FleetgateError('ERR_DUPLICATE', 'username alice is taken')),
  thrower('/busy', () => new FleetgateError('ERR_MAILBOX_FULL', 'the actor is busy')),
  thrower('/wire', () => ({ code: 'ERR_ASK_TIMEOUT', message: 'no reply within 5000 ms' })),
  thrower('/teapot', () => new FleetgateError('ERR_TEAPOT', 'custom code from the options')),
  thrower('/unmapped', () => new FleetgateError('ERR_SQL', 'syntax error near "secret_table"')),
  thrower('/boom', () => new Error('password=hunter2 leaked in a message')),
  thrower('/string', () => 'a bare string'),
  {
    method: 'GET',
    path: '/bad-response',
    operationId: 'badResponse',
    summary: 'returns a header with a CR LF',
    responses: { 200: { description: 'never' } },
    handler: async () => json(200, {}, { 'x-evil': 'a\r\nset-cookie: x=1' }),
  },
  {
    method: 'POST',
    path: '/secured/{id}',
    operationId: 'secured',
    summary: 'needs a permission',
    permission: 'tenant:basic-credentials:write',
    body: { type: 'object' },
    responses: { 200: { description: 'ok' } },
    handler: async (req) => json(200, { auth: req.auth, body: req.body }),
  },
];

describe('http server: errors and authorization', () => {
  let server: HttpServer;
  let base: string;
  const captured = capturedLog();
  const seen: Array<{ permission: string | undefined; body: unknown }> = [];
  before(async () => {
    server = await serve({
      routes,
      log: captured.log,
      statusForCode: { ERR_TEAPOT: 418 },
      authorize: async (req, route) => {
        seen.push({ permission: route.permission, body: req.body });
        const h = req.headers.authorization;
        if (h === undefined) return problem(401, 'ERR_UNAUTHENTICATED', 'Unauthorized', 'a bearer token is required', undefined, { 'www-authenticate': 'Bearer' });
        if (h !== 'Bearer good') return problem(403, 'ERR_FORBIDDEN', 'Forbidden', `the token lacks ${route.permission ?? ''}`);
        req.auth = { sub: 'svc-1' };
        return undefined;
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  it('maps coded errors through the status table, with safe data as extensions', async () => {
    const nf = await getJson(`${base}/not-found`);
    assert.equal(nf.status, 404);
    assert.equal(nf.headers.get('content-type'), 'application/problem+json');
    // Reserved members (type) and names RFC 9457 3.2 advises against (id, ab: too short;
    // bad-name: not ALPHA / DIGIT / "_") are left out.
    assert.deepEqual(nf.body, {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'no credential c1 in tenant t1',
      code: 'ERR_NOT_FOUND',
      tenantId: 't1',
      retryAt: 5,
    });
    const dup = await getJson(`${base}/duplicate`);
    assert.deepEqual([dup.status, dup.body], [409, { type: 'about:blank', title: 'Conflict', status: 409, detail: 'username alice is taken', code: 'ERR_DUPLICATE' }]);
    const teapot = await getJson(`${base}/teapot`);
    assert.equal(teapot.status, 418);
  });

  it('answers transient codes with 503 and Retry-After, also in wire form after a thread hop', async () => {
    for (const [path, code, detail] of [
      ['/busy', 'ERR_MAILBOX_FULL', 'the actor is busy'],
      ['/wire', 'ERR_ASK_TIMEOUT', 'no reply within 5000 ms'],
    ] as const) {
      const r = await getJson(`${base}${path}`);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.deepEqual(r.body, { type: 'about:blank', title: 'Service Unavailable', status: 503, detail, code });
    }
  });

  it('answers anything else with a generic 500 and logs the error, not the request', async () => {
    const generic = { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'the server could not answer this request; the fault is logged', code: 'ERR_INTERNAL' };
    for (const path of ['/unmapped', '/boom', '/string', '/bad-response']) {
      const r = await getJson(`${base}${path}`, { headers: { authorization: 'Bearer top-secret' } });
      assert.equal(r.status, 500, path);
      assert.deepEqual(r.body, generic, path);
      assert.equal(r.headers.get('x-evil'), null);
    }
    const lines = captured.lines().filter((l) => l.level === 50);
    assert.equal(lines.length, 4);
    assert.deepEqual(
      lines.map((l) => [l.msg, (l as { operationId?: string }).operationId ?? (l as { status?: number }).status]),
      [
        ['request handler failed', 'throw_unmapped'],
        ['request handler failed', 'throw_boom'],
        ['request handler failed', 'throw_string'],
        ['response could not be serialised', 200],
      ],
    );
    assert.match(JSON.stringify(lines[1]), /hunter2/, 'the error itself is logged');
    assert.doesNotMatch(JSON.stringify(lines), /top-secret|authorization/i, 'request headers are not');
  });

  it('runs authorize before the body is parsed, and lets its answer short-circuit', async () => {
    const post = (headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: unknown }> =>
      getJson(`${base}/secured/s1`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"x":1}' });
    seen.length = 0;
    const anon = await post({});
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(anon.body, { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'a bearer token is required', code: 'ERR_UNAUTHENTICATED' });
    const wrong = await post({ authorization: 'Bearer bad' });
    assert.equal(wrong.status, 403);
    assert.equal((wrong.body as { detail: string }).detail, 'the token lacks tenant:basic-credentials:write');
    // Not even malformed JSON is looked at before the caller is known.
    const junk = await getJson(`${base}/secured/s1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(junk.status, 401);
    const ok = await post({ authorization: 'Bearer good' });
    assert.deepEqual([ok.status, ok.body], [200, { auth: { sub: 'svc-1' }, body: { x: 1 } }]);
    assert.deepEqual(seen, [
      { permission: 'tenant:basic-credentials:write', body: undefined },
      { permission: 'tenant:basic-credentials:write', body: undefined },
      { permission: 'tenant:basic-credentials:write', body: undefined },
      { permission: 'tenant:basic-credentials:write', body: undefined },
    ]);
    assert.equal((await getJson(`${base}/duplicate`)).status, 409, 'routes without a permission skip the hook');
    assert.equal(seen.length, 4);
  });
});

describe('http server: misuse is a TypeError at start-up', () => {
  const route = routes[0] as Route;
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['a permission without an authorize hook', () => serve({ routes: [routes.at(-1) as Route] }), /declares permission tenant:basic-credentials:write but the server has no authorize hook/],
    ['an unknown option', () => serve({ routes: [], trustProxy: true } as never), /option trustProxy is unknown; did you mean trustedProxies\?/],
    ['a bad limit', () => serve({ routes: [], maxBodyBytes: -1 }), /option maxBodyBytes: -1 must be an integer >= 0/],
    ['a bad proxy', () => serve({ routes: [], trustedProxies: ['10.0.0.0/33'] }), /"10.0.0.0\/33" has an invalid prefix length/],
    ['a duplicate route', () => serve({ routes: [route, { ...route, operationId: 'other' }] }), /two routes answer GET \/not-found/],
    ['a duplicate operationId', () => serve({ routes: [route, { ...route, path: '/x' }] }), /two routes have operationId throw_not_found/],
    ['a bad template', () => serve({ routes: [{ ...route, path: '/a/x{id}' }] }), /segment "x\{id\}" must be a literal/],
    ['an invalid schema', () => serve({ routes: [{ ...route, body: { type: 'strnig' } }] }), /route throw_not_found: the body schema is not valid JSON Schema 2020-12/],
    ['a typo in a schema keyword', () => serve({ routes: [{ ...route, body: { type: 'object', propertise: {} } }] }), /unknown keyword: "propertise"/],
  ];
  for (const [what, start, message] of cases) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(start(), (err: unknown) => err instanceof TypeError && message.test(err.message));
    });
  }

  it('reports a port held by another socket as ERR_HTTP_LISTEN_FAILED', async () => {
    // uWS shares a port only with sockets that also set SO_REUSEPORT; node:net's does not.
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const { port } = holder.address() as AddressInfo;
    try {
      await assert.rejects(startHttpServer({ host: '127.0.0.1', port, routes: [], log: capturedLog().log }), {
        code: 'ERR_HTTP_LISTEN_FAILED',
        message: `cannot listen on 127.0.0.1:${port}`,
      });
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});
