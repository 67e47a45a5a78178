/**
 * The REST API of CCM and CM on the embedded platform, as a client sees it on the wire: status,
 * content type and the whole problem+json body. The flows of credentials.test.ts (22/CAP and
 * 16/ECAP semantics, revocation order, data at rest) are not repeated here.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { credentialRoutes, Permissions } from '../../actors/credentials/routes.js';
import type { CredentialService } from '../../actors/credentials/service.js';
import { clientCredentialsRevokedSubject, decodeClientCredentialsRevokedEvent } from '../../transports/bus/index.js';
import { ALL_SCOPES, startTestPlatform, type TestPlatform } from './harness.js';
import { cap, ecap, record } from './rest-bus.js';

const MAX_BODY = 4096;
const BULK_MAX_BODY = 1024 * 1024;
const CREDS = '/api/v1/basic-credentials';
const BULK = '/api/v1/endpoint-tokens/bulk';
const tokensOf = (endpointId: string) => `/api/v1/endpoints/${endpointId}/tokens`;
/** Matches the id pattern, belongs to nobody. */
const UNKNOWN_ID = '00000000000000000000';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
};

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

function problem(status: number, code: string, detail: string, extensions: Record<string, unknown> = {}) {
  return { type: 'about:blank', title: TITLES[status], status, detail, code, ...extensions };
}

function assertProblem(res: Reply, status: number, code: string, detail: string, extensions: Record<string, unknown> = {}, what = ''): void {
  assert.deepEqual(
    { status: res.status, type: res.headers.get('content-type'), body: res.body },
    { status, type: 'application/problem+json', body: problem(status, code, detail, extensions) },
    what,
  );
}

/** ERR_VALIDATION as the HTTP layer answers it: the first violation, named by JSON Pointer. */
function assertInvalid(res: Reply, pointer: string, message: string, what = ''): void {
  assertProblem(res, 400, 'ERR_VALIDATION', `${pointer.slice(1)} ${message}`, { errors: [{ pointer, message }] }, what);
}

const credNotFound = (id: string) => problem(404, 'ERR_NOT_FOUND', `no credential ${id} in this tenant`, { credentialId: id });
const tokenNotFound = (tokenId: string) => problem(404, 'ERR_NOT_FOUND', `no endpoint token ${tokenId} here`, { tokenId });

describe('REST API of the credential services', () => {
  let t: TestPlatform;
  /** What authenticates tenant acme with every scope (a bearer token). */
  let acme: Record<string, string>;
  before(async () => {
    t = await startTestPlatform({
      'http.maxBodyBytes': MAX_BODY,
      'http.bulkMaxBodyBytes': BULK_MAX_BODY,
      'credentials.lastUseGranularityMs': 3_600_000,
    });
    acme = await t.authHeaders({ tenant: 'acme' });
  });
  after(() => t.stop());

  /** A request exactly as given: no default headers, the body sent as these bytes. */
  async function raw(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}, on: TestPlatform = t): Promise<Reply> {
    const res = await fetch(`${on.base}${path}`, { method, headers: init.headers, body: init.body });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: compared as text */
    }
    return { status: res.status, headers: res.headers, body };
  }

  const as = (_tenant: 'acme') => acme;

  async function createCredential(tenant: string, username: string, password?: string) {
    const res = await t.api('POST', CREDS, password === undefined ? { username } : { username, password }, { tenant });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; username: string; state: string; version: number; password?: string; createdDate: string };
  }

  async function provision(tenant: string, endpointId: string, body: { applicationName: string; token?: string }) {
    const res = await t.api('POST', tokensOf(endpointId), body, { tenant });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { endpointTokenId: string; token: string; status: string };
  }

  async function tokenCount(tenant: string, endpointId: string): Promise<number> {
    const res = await t.api('GET', `${tokensOf(endpointId)}?limit=1000`, undefined, { tenant });
    assert.equal(res.status, 200);
    return res.body.totalElements as number;
  }

  describe('authorization (api.auth: trusted-header)', () => {
    // A gateway deployment of its own; bearer tokens are tested in test/auth.
    let th: TestPlatform;
    before(async () => {
      th = await startTestPlatform({}, undefined, { trustedHeaders: true });
    });
    after(() => th.stop());
    // What each route's operation is sent, so that only the missing principal or permission can
    // be the reason for the refusal (and, were it not refused, it would write something).
    const BODIES: Record<string, unknown> = {
      createBasicCredentials: { username: 'probe-user' },
      transitionBasicCredentials: { state: 'Suspended' },
      resetBasicCredentialsPassword: { password: 'probe-password' },
      provisionEndpointToken: { applicationName: 'probe-app' },
      transitionEndpointToken: { status: 'Suspended' },
      provisionEndpointTokens: { items: [{ endpointId: 'probe-ep', applicationName: 'probe-app' }] },
    };
    const PARAMS: Record<string, string> = { id: UNKNOWN_ID, tokenId: UNKNOWN_ID, endpointId: 'probe-ep' };

    /** Every credential-service operation of the served OpenAPI document that declares a permission, with a concrete URL. */
    async function securedOperations() {
      const doc = (await th.api('GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string; 'x-permission'?: string }>> };
      const ops: Array<{ method: string; url: string; operationId: string; permission: string }> = [];
      for (const [path, item] of Object.entries(doc.paths)) {
        if (!path.startsWith('/api/v1/')) continue; // the OAuth admin routes are tested with their module
        for (const [method, op] of Object.entries(item)) {
          if (op['x-permission'] === undefined) continue;
          const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
            assert.ok(name in PARAMS, `no test value for path parameter {${name}} of ${op.operationId}`);
            return PARAMS[name]!;
          });
          ops.push({ method: method.toUpperCase(), url, operationId: op.operationId, permission: op['x-permission'] });
        }
      }
      return ops;
    }

    it('covers every credential route', async () => {
      const served = (await securedOperations()).map((o) => o.operationId).sort();
      const declared = credentialRoutes({} as CredentialService, { bulkMaxBodyBytes: 1 }).map((r) => r.operationId).sort();
      assert.deepEqual(served, declared);
    });

    it('answers 401 ERR_UNAUTHENTICATED on every route without a valid X-Fleetgate-Tenant', async () => {
      const ops = await securedOperations();
      assert.equal(ops.length, 12);
      for (const op of ops) {
        const body = op.operationId in BODIES ? JSON.stringify(BODIES[op.operationId]) : undefined;
        const base = { 'x-fleetgate-scopes': ALL_SCOPES, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
        for (const tenant of [undefined, '', 'ac/me', 'x'.repeat(129)]) {
          const headers = tenant === undefined ? base : { ...base, 'x-fleetgate-tenant': tenant };
          const res = await raw(op.method, op.url, body === undefined ? { headers } : { headers, body }, th);
          assertProblem(res, 401, 'ERR_UNAUTHENTICATED', 'no authenticated tenant (X-Fleetgate-Tenant) on the request', {}, `${op.operationId} tenant=${String(tenant)}`);
        }
      }
    });

    it('answers 403 ERR_FORBIDDEN naming the permission on every route without it, and writes nothing', async () => {
      const ops = await securedOperations();
      for (const op of ops) {
        const body = op.operationId in BODIES ? JSON.stringify(BODIES[op.operationId]) : undefined;
        const others = Object.values(Permissions).filter((p) => p !== op.permission);
        for (const scopes of [undefined, others.join(' '), `${op.permission}x ${op.permission.toUpperCase()}`]) {
          const headers: Record<string, string> = { 'x-fleetgate-tenant': 'probe' };
          if (scopes !== undefined) headers['x-fleetgate-scopes'] = scopes;
          if (body !== undefined) headers['content-type'] = 'application/json';
          const res = await raw(op.method, op.url, body === undefined ? { headers } : { headers, body }, th);
          assertProblem(res, 403, 'ERR_FORBIDDEN', `this operation needs the permission ${op.permission}`, { permission: op.permission }, `${op.operationId} scopes=${String(scopes)}`);
        }
      }
      assert.deepEqual((await th.api('GET', CREDS, undefined, { tenant: 'probe' })).body, { content: [], totalElements: 0 });
      assert.deepEqual((await th.api('GET', tokensOf('probe-ep'), undefined, { tenant: 'probe' })).body, { content: [], totalElements: 0 });
    });

    it('lets exactly the route permission through, among other scopes in any order', async () => {
      const res = await th.api('GET', CREDS, undefined, { tenant: 'probe', scopes: `  endpoint:read\t${Permissions.credentialsRead}  ` });
      assert.equal(res.status, 200);
    });
  });

  describe('tenant isolation', () => {
    it("hides and protects tenant A's credentials from tenant B on every route", async () => {
      const a = await createCredential('tenant-a', 'shared-name', 'a-password-1');
      const own = await createCredential('tenant-b', 'b-only', 'b-password-1');
      const original = await t.api('GET', `${CREDS}/${a.id}`, undefined, { tenant: 'tenant-a' });
      assert.equal(original.status, 200);

      const b = { tenant: 'tenant-b' };
      for (const [what, res] of [
        ['get', await t.api('GET', `${CREDS}/${a.id}`, undefined, b)],
        ['suspend', await t.api('PUT', `${CREDS}/${a.id}/state`, { state: 'Suspended' }, b)],
        ['revoke', await t.api('PUT', `${CREDS}/${a.id}/state`, { state: 'Revoked' }, b)],
        ['set password', await t.api('POST', `${CREDS}/${a.id}/password`, { password: 'b-chose-this' }, b)],
        ['generate password', await t.api('POST', `${CREDS}/${a.id}/password`, {}, b)],
        ['delete', await t.api('DELETE', `${CREDS}/${a.id}`, undefined, b)],
      ] as const) {
        assert.deepEqual([res.status, res.headers.get('content-type'), res.body], [404, 'application/problem+json', credNotFound(a.id)], what);
      }
      const list = await t.api('GET', `${CREDS}?limit=1000`, undefined, b);
      assert.deepEqual(
        list.body.content.map((c: { id: string }) => c.id),
        [own.id],
      );
      // The same username in another tenant is another credential, not a duplicate.
      const twin = await createCredential('tenant-b', 'shared-name', 'b-password-2');
      assert.notEqual(twin.id, a.id);

      const now = await t.api('GET', `${CREDS}/${a.id}`, undefined, { tenant: 'tenant-a' });
      assert.deepEqual(now.body, original.body, 'unchanged');
      assert.equal((await cap(t.platform.bus, 'tenant-a', 'shared-name', 'a-password-1')).statusCode, 200, 'its password was not changed');
      assert.equal((await cap(t.platform.bus, 'tenant-a', 'shared-name', 'b-chose-this')).statusCode, 401);
      assert.equal((await cap(t.platform.bus, 'tenant-a', 'shared-name', 'b-password-2')).statusCode, 401, "B's twin does not open A's");
    });

    it("hides and protects tenant A's endpoint tokens from tenant B on every route", async () => {
      const a = await provision('tenant-a', 'ep-iso', { applicationName: 'app-iso', token: 'iso-token-a' });
      const original = await t.api('GET', `${tokensOf('ep-iso')}/${a.endpointTokenId}`, undefined, { tenant: 'tenant-a' });
      assert.equal(original.status, 200);

      const b = { tenant: 'tenant-b' };
      const one = `${tokensOf('ep-iso')}/${a.endpointTokenId}`;
      for (const [what, res] of [
        ['get', await t.api('GET', one, undefined, b)],
        ['suspend', await t.api('PUT', `${one}/status`, { status: 'Suspended' }, b)],
        ['revoke', await t.api('PUT', `${one}/status`, { status: 'Revoked' }, b)],
        ['delete', await t.api('DELETE', one, undefined, b)],
      ] as const) {
        assert.deepEqual([res.status, res.headers.get('content-type'), res.body], [404, 'application/problem+json', tokenNotFound(a.endpointTokenId)], what);
      }
      assert.deepEqual((await t.api('GET', tokensOf('ep-iso'), undefined, b)).body, { content: [], totalElements: 0 });

      const now = await t.api('GET', one, undefined, { tenant: 'tenant-a' });
      assert.deepEqual(now.body, original.body, 'unchanged');
      assert.equal((await ecap(t.platform.bus, 'app-iso', 'iso-token-a')).statusCode, 200, 'still valid');
    });
  });

  describe('bad input', () => {
    it('names the body field that breaks the schema', async () => {
      assertInvalid(await t.api('POST', CREDS, { username: 'bad name!' }), '/body/username', 'must match pattern "^[A-Za-z0-9._~-]{1,128}$"');
      assertInvalid(await t.api('POST', CREDS, { username: 'x'.repeat(129) }), '/body/username', 'must match pattern "^[A-Za-z0-9._~-]{1,128}$"');
      assertInvalid(await t.api('POST', CREDS, { username: 'short-pw', password: 'seven77' }), '/body/password', 'must NOT have fewer than 8 characters');
      assertInvalid(await t.api('POST', CREDS, { username: 'extra', colour: 'red' }), '/body/colour', 'is not allowed');
      assertInvalid(await t.api('POST', CREDS, { username: 42 }), '/body/username', 'must be string');
      assertInvalid(await t.api('POST', CREDS, ['username']), '/body', 'must be object');

      const c = await createCredential('acme', 'bad-input-target', 'target-password');
      assertInvalid(await t.api('PUT', `${CREDS}/${c.id}/state`, { state: 'Deleted' }), '/body/state', 'must be equal to one of the allowed values');
      assertInvalid(await t.api('PUT', `${CREDS}/${c.id}/state`, {}), '/body/state', 'is required');
      assertInvalid(await t.api('PUT', `${tokensOf('ep-x')}/${UNKNOWN_ID}/status`, { state: 'Active' }), '/body/status', 'is required');
      assertInvalid(await t.api('POST', tokensOf('ep-x'), { token: 'no-app-given' }), '/body/applicationName', 'is required');
      assert.deepEqual((await t.api('GET', `${CREDS}/${c.id}`)).body.state, 'Inactive', 'nothing changed');
    });

    it('refuses tokens with / + . (and whitespace or control characters): they are MQTT topic levels', async () => {
      for (const token of ['a/b', 'a+b', 'a.b', 'a#b', 'a b']) {
        assertInvalid(await t.api('POST', tokensOf('ep-bad-token'), { applicationName: 'app', token }), '/body/token', 'must match pattern "^[^+#/.\\s]+$"', token);
      }
      assertInvalid(await t.api('POST', tokensOf('ep-bad-token'), { applicationName: 'app', token: '' }), '/body/token', 'must NOT have fewer than 1 characters');
      assertProblem(
        await t.api('POST', tokensOf('ep-bad-token'), { applicationName: 'app', token: 'a\u0001b' }),
        400,
        'ERR_INVALID_ARGUMENT',
        'token must be 1 to 256 characters without whitespace, control characters or any of + # / .',
        { field: 'token' },
      );
      assert.equal(await tokenCount('acme', 'ep-bad-token'), 0);
    });

    it('answers ERR_BAD_JSON for a malformed body and 415 for another content type', async () => {
      const json = { ...as('acme'), 'content-type': 'application/json' };
      assertProblem(await raw('POST', CREDS, { headers: json, body: '{"username": "x",' }), 400, 'ERR_BAD_JSON', 'the request body is not valid JSON (RFC 8259)');
      assertProblem(await raw('POST', CREDS, { headers: json, body: '' }), 400, 'ERR_BAD_JSON', 'the request body is not valid JSON (RFC 8259)');
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
        const res = await raw('POST', CREDS, { headers: { ...as('acme'), 'content-type': type }, body: '{"username":"typed"}' });
        assertProblem(res, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json', {}, type);
      }
      const noType = await raw('POST', CREDS, { headers: as('acme'), body: '{"username":"typed"}' });
      // fetch labels a string body text/plain when no type is given.
      assertProblem(noType, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json');
      const withParams = await raw('POST', CREDS, { headers: { ...as('acme'), 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"username":"typed"}' });
      assert.equal(withParams.status, 201, 'media type parameters and case do not matter');
    });

    it('names the query parameter: limit 0, 1001, abc; offset -1; order; an unknown state', async () => {
      for (const [query, pointer, message] of [
        ['limit=0', '/query/limit', 'must be >= 1'],
        ['limit=1001', '/query/limit', 'must be <= 1000'],
        ['limit=abc', '/query/limit', 'must be integer'],
        ['limit=1.5', '/query/limit', 'must be integer'],
        ['offset=-1', '/query/offset', 'must be >= 0'],
        ['order=asc', '/query/order', 'must be equal to one of the allowed values'],
      ] as const) {
        assertInvalid(await t.api('GET', `${CREDS}?${query}`), pointer, message, query);
        assertInvalid(await t.api('GET', `${tokensOf('ep-q')}?${query}`), pointer, message, `tokens ${query}`);
      }
      assertProblem(await t.api('GET', `${CREDS}?state=Active&state=Deleted`), 400, 'ERR_INVALID_ARGUMENT', 'query/state must be one of Inactive, Active, Suspended, Revoked', {
        field: 'query/state',
      });
      assertProblem(await t.api('GET', `${tokensOf('ep-q')}?status=active`), 400, 'ERR_INVALID_ARGUMENT', 'query/status must be one of Inactive, Active, Suspended, Revoked', {
        field: 'query/status',
      });
    });

    it('names the path parameter that does not match its pattern', async () => {
      for (const [method, path, pointer] of [
        ['GET', `${CREDS}/not-an-id`, '/path/id'],
        ['GET', `${CREDS}/${UNKNOWN_ID.toUpperCase()}A`, '/path/id'],
        ['DELETE', `${CREDS}/0000000000000000000w`, '/path/id'],
        ['GET', `${tokensOf('ep-1')}/short`, '/path/tokenId'],
      ] as const) {
        assertInvalid(await t.api(method, path), pointer, 'must match pattern "^[0-9a-v]{20}$"', path);
      }
      for (const endpointId of ['ep%20one', 'ep%2Fone', 'x'.repeat(129)]) {
        assertInvalid(await t.api('GET', tokensOf(endpointId)), '/path/endpointId', 'must match pattern "^[A-Za-z0-9._~-]{1,128}$"', endpointId);
      }
    });
  });

  describe('not found and conflicts', () => {
    it('answers 404 for ids nobody has, and for a token asked under another endpoint', async () => {
      for (const [method, path, body] of [
        ['GET', `${CREDS}/${UNKNOWN_ID}`, undefined],
        ['PUT', `${CREDS}/${UNKNOWN_ID}/state`, { state: 'Revoked' }],
        ['POST', `${CREDS}/${UNKNOWN_ID}/password`, {}],
        ['DELETE', `${CREDS}/${UNKNOWN_ID}`, undefined],
      ] as const) {
        const res = await t.api(method, path, body);
        assert.deepEqual([res.status, res.body], [404, credNotFound(UNKNOWN_ID)], `${method} ${path}`);
      }
      const tk = await provision('acme', 'ep-404', { applicationName: 'app-404' });
      for (const endpointId of ['ep-404', 'ep-other']) {
        const id = endpointId === 'ep-404' ? UNKNOWN_ID : tk.endpointTokenId;
        for (const [method, path, body] of [
          ['GET', `${tokensOf(endpointId)}/${id}`, undefined],
          ['PUT', `${tokensOf(endpointId)}/${id}/status`, { status: 'Revoked' }],
          ['DELETE', `${tokensOf(endpointId)}/${id}`, undefined],
        ] as const) {
          const res = await t.api(method, path, body);
          assert.deepEqual([res.status, res.body], [404, tokenNotFound(id)], `${method} ${path}`);
        }
      }
      assert.equal((await t.api('GET', `${tokensOf('ep-404')}/${tk.endpointTokenId}`)).body.status, 'Inactive');
    });

    it('answers 409 for a taken username and leaves the first credential as it was', async () => {
      const first = await createCredential('acme', 'dup-user', 'first-password');
      const original = (await t.api('GET', `${CREDS}/${first.id}`)).body;
      for (const body of [{ username: 'dup-user', password: 'second-password' }, { username: 'dup-user' }]) {
        const res = await t.api('POST', CREDS, body);
        assertProblem(res, 409, 'ERR_DUPLICATE', 'a credential named dup-user exists already in this tenant', { username: 'dup-user' });
      }
      assert.deepEqual((await t.api('GET', `${CREDS}/${first.id}`)).body, original);
      assert.equal((await t.api('GET', `${CREDS}?limit=1000`)).body.content.filter((c: { username: string }) => c.username === 'dup-user').length, 1);
      assert.equal((await cap(t.platform.bus, 'acme', 'dup-user', 'second-password')).statusCode, 401);
      assert.equal((await cap(t.platform.bus, 'acme', 'dup-user', 'first-password')).statusCode, 200);
    });

    it('answers 409 for a token value the application has already, single and bulk', async () => {
      const first = await provision('acme', 'ep-dup-1', { applicationName: 'app-dup', token: 'dup-token-1' });
      const single = await t.api('POST', tokensOf('ep-dup-2'), { applicationName: 'app-dup', token: 'dup-token-1' });
      assertProblem(single, 409, 'ERR_DUPLICATE', 'a record with the same unique key already exists');
      const bulk = await t.api('POST', BULK, { items: [{ endpointId: 'ep-dup-3', applicationName: 'app-dup', token: 'dup-token-1' }] });
      assertProblem(bulk, 409, 'ERR_DUPLICATE', 'a record with the same unique key already exists');
      const within = await t.api('POST', BULK, {
        items: [
          { endpointId: 'ep-dup-4', applicationName: 'app-dup', token: 'dup-token-2' },
          { endpointId: 'ep-dup-5', applicationName: 'app-dup', token: 'dup-token-2' },
        ],
      });
      assertProblem(within, 409, 'ERR_DUPLICATE', 'items/1/token repeats an earlier token of the same application', { index: 1 });
      for (const ep of ['ep-dup-2', 'ep-dup-3', 'ep-dup-4', 'ep-dup-5']) assert.equal(await tokenCount('acme', ep), 0, ep);
      const v = await ecap(t.platform.bus, 'app-dup', 'dup-token-1');
      assert.deepEqual([v.statusCode, v.tokenId, v.endpointId], [200, first.endpointTokenId, 'ep-dup-1']);
      // The value is unique per application only.
      await provision('acme', 'ep-dup-2', { applicationName: 'app-dup-other', token: 'dup-token-1' });
    });

    it('answers 409 naming the current state for an illegal transition, and changes nothing', async () => {
      const c = await createCredential('acme', 'moves', 'moves-password');
      const inactive = (await t.api('GET', `${CREDS}/${c.id}`)).body;
      for (const [to, hint] of [
        ['Suspended', 'nothing but use changes an Inactive credential (delete it instead)'],
        ['Revoked', 'nothing but use changes an Inactive credential (delete it instead)'],
        ['Active', 'an Inactive credential becomes Active by its first successful use'],
      ] as const) {
        const res = await t.api('PUT', `${CREDS}/${c.id}/state`, { state: to });
        assertProblem(res, 409, 'ERR_ILLEGAL_TRANSITION', `cannot move credential ${c.id} from Inactive to ${to}: ${hint}`, { currentState: 'Inactive', requestedState: to });
      }
      assert.deepEqual((await t.api('GET', `${CREDS}/${c.id}`)).body, inactive);

      assert.equal((await cap(t.platform.bus, 'acme', 'moves', 'moves-password')).statusCode, 200);
      const revoked = await t.api('PUT', `${CREDS}/${c.id}/state`, { state: 'Revoked' });
      assert.deepEqual([revoked.status, revoked.body.state, revoked.headers.get('etag')], [200, 'Revoked', `"${revoked.body.version}"`]);
      for (const to of ['Active', 'Suspended', 'Revoked'] as const) {
        const res = await t.api('PUT', `${CREDS}/${c.id}/state`, { state: to });
        assertProblem(res, 409, 'ERR_ILLEGAL_TRANSITION', `cannot move credential ${c.id} from Revoked to ${to}: Revoked is terminal`, { currentState: 'Revoked', requestedState: to });
      }
      const reset = await t.api('POST', `${CREDS}/${c.id}/password`, {});
      assertProblem(reset, 409, 'ERR_ILLEGAL_TRANSITION', `credential ${c.id} is Revoked; its password cannot change`, { currentState: 'Revoked' });
      assert.deepEqual((await t.api('GET', `${CREDS}/${c.id}`)).body, revoked.body);

      const tk = await provision('acme', 'ep-moves', { applicationName: 'app-moves' });
      const res = await t.api('PUT', `${tokensOf('ep-moves')}/${tk.endpointTokenId}/status`, { status: 'Suspended' });
      assertProblem(res, 409, 'ERR_ILLEGAL_TRANSITION', `cannot move endpoint token ${tk.endpointTokenId} from Inactive to Suspended: nothing but use changes an Inactive credential (delete it instead)`, {
        currentState: 'Inactive',
        requestedState: 'Suspended',
      });
    });
  });

  describe('body limits', () => {
    /** A JSON object of exactly `size` bytes: a username plus padding in a field the schema refuses. */
    const sized = (size: number) => {
      const shell = JSON.stringify({ username: 'sized', pad: '' });
      return JSON.stringify({ username: 'sized', pad: 'p'.repeat(size - shell.length) });
    };
    const json = () => ({ ...as('acme'), 'content-type': 'application/json' });

    it(`reads a normal route's body up to http.maxBodyBytes (${MAX_BODY}) and answers 413 past it`, async () => {
      const edge = await raw('POST', CREDS, { headers: json(), body: sized(MAX_BODY) });
      assertInvalid(edge, '/body/pad', 'is not allowed', 'exactly the limit is read and validated');
      const over = await raw('POST', CREDS, { headers: json(), body: sized(MAX_BODY + 1) });
      assertProblem(over, 413, 'ERR_BODY_TOO_LARGE', `the request body exceeds ${MAX_BODY} bytes`, { limit: MAX_BODY });
      assert.equal(over.headers.get('connection'), 'close', 'the unread rest of the body is not waited for');
    });

    it('answers 413 to a chunked body (no Content-Length) once it passes the limit', async () => {
      // node:http, not fetch: undici gives up on the response when the server closes the
      // connection while the body is still being sent, which is what the server is meant to do.
      const res = await new Promise<{ status: number; type: string | undefined; connection: string | undefined; body: unknown }>((resolve, reject) => {
        const req = httpRequest(
          `${t.base}${CREDS}`,
          { method: 'POST', headers: { ...json(), 'transfer-encoding': 'chunked' } },
          (r) => {
            let text = '';
            r.on('data', (d: Buffer) => (text += d.toString()));
            r.on('end', () => resolve({ status: r.statusCode!, type: r.headers['content-type'], connection: r.headers.connection, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.write('{"username":"chunked"');
        for (let i = 0; i < 5; i++) req.write(' '.repeat(1024));
        req.end('}');
      });
      assert.deepEqual(res, {
        status: 413,
        type: 'application/problem+json',
        connection: 'close',
        body: problem(413, 'ERR_BODY_TOO_LARGE', `the request body exceeds ${MAX_BODY} bytes`, { limit: MAX_BODY }),
      });
      assert.equal((await t.api('GET', `${CREDS}?limit=1000`)).body.content.some((c: { username: string }) => c.username === 'chunked'), false);
    });

    it(`takes bulk bodies past http.maxBodyBytes, up to http.bulkMaxBodyBytes (${BULK_MAX_BODY})`, async () => {
      const items = Array.from({ length: 100 }, (_, i) => ({ endpointId: `ep-big-${i}`, applicationName: 'app-big' }));
      const body = JSON.stringify({ items });
      assert.ok(body.length > MAX_BODY);
      const ok = await raw('POST', BULK, { headers: json(), body });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.items.length, 100);

      const longName = 'e'.repeat(128);
      const over = JSON.stringify({ items: Array.from({ length: Math.ceil(BULK_MAX_BODY / 150) }, () => ({ endpointId: longName, applicationName: 'app-big' })) });
      assert.ok(over.length > BULK_MAX_BODY);
      const res = await raw('POST', BULK, { headers: json(), body: over });
      assertProblem(res, 413, 'ERR_BODY_TOO_LARGE', `the request body exceeds ${BULK_MAX_BODY} bytes`, { limit: BULK_MAX_BODY });
      assert.equal(await tokenCount('acme', longName), 0);
    });
  });

  describe('bulk provisioning', () => {
    it('provisions 10,000 tokens in one call, each with its value shown once', async () => {
      const items = Array.from({ length: 10_000 }, (_, i) => ({ endpointId: `ep-bulk-${i % 10}`, applicationName: 'app-bulk' }));
      const res = await t.api('POST', BULK, { items });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const made = res.body.items as Array<{ endpointTokenId: string; endpointId: string; applicationName: string; status: string; token: string; version: number }>;
      assert.equal(made.length, 10_000);
      made.forEach((m, i) => {
        assert.match(m.token, SECRET);
        assert.deepEqual([m.endpointId, m.applicationName, m.status, m.version], [`ep-bulk-${i % 10}`, 'app-bulk', 'Inactive', 1], `item ${i}`);
      });
      assert.equal(new Set(made.map((m) => m.token)).size, 10_000);
      assert.equal(new Set(made.map((m) => m.endpointTokenId)).size, 10_000);

      for (let e = 0; e < 10; e++) {
        const list = await t.api('GET', `${tokensOf(`ep-bulk-${e}`)}?limit=1000`);
        assert.equal(list.body.totalElements, 1000);
        const listed = new Set(list.body.content.map((c: { endpointTokenId: string }) => c.endpointTokenId));
        assert.deepEqual(listed, new Set(made.filter((m) => m.endpointId === `ep-bulk-${e}`).map((m) => m.endpointTokenId)));
        assert.ok(list.body.content.every((c: object) => !('token' in c)), 'a list never shows token values');
      }
      const sample = made[4321]!;
      const v = await ecap(t.platform.bus, 'app-bulk', sample.token);
      assert.deepEqual([v.statusCode, v.tokenId, v.endpointId], [200, sample.endpointTokenId, sample.endpointId]);
    });

    it('writes nothing of a bulk whose last item duplicates an existing token', async () => {
      await provision('acme', 'ep-taken', { applicationName: 'app-aon', token: 'taken-token' });
      const items = Array.from({ length: 500 }, (_, i) => ({ endpointId: `ep-aon-${i}`, applicationName: 'app-aon', token: `aon-token-${i}` }));
      items[499]!.token = 'taken-token';
      const res = await t.api('POST', BULK, { items });
      assertProblem(res, 409, 'ERR_DUPLICATE', 'a record with the same unique key already exists');
      const counts = await Promise.all(items.map((it) => tokenCount('acme', it.endpointId)));
      assert.deepEqual(counts, items.map(() => 0));
      assert.equal((await ecap(t.platform.bus, 'app-aon', 'aon-token-0')).statusCode, 401);
    });

    it('names /body/items/7/... for an invalid item and writes nothing', async () => {
      const items: Array<Record<string, unknown>> = Array.from({ length: 20 }, (_, i) => ({ endpointId: `ep-inv-${i}`, applicationName: 'app-inv' }));
      for (const [bad, pointer, message] of [
        [{ endpointId: 'ep inv', applicationName: 'app-inv' }, '/body/items/7/endpointId', 'must match pattern "^[A-Za-z0-9._~-]{1,128}$"'],
        [{ endpointId: 'ep-inv-7', applicationName: 'app-inv', token: 'a.b' }, '/body/items/7/token', 'must match pattern "^[^+#/.\\s]+$"'],
        [{ endpointId: 'ep-inv-7' }, '/body/items/7/applicationName', 'is required'],
        [{ endpointId: 'ep-inv-7', applicationName: 'app-inv', status: 'Active' }, '/body/items/7/status', 'is not allowed'],
      ] as const) {
        const res = await t.api('POST', BULK, { items: items.map((it, i) => (i === 7 ? bad : it)) });
        assertInvalid(res, pointer, message);
      }
      const ctl = await t.api('POST', BULK, { items: items.map((it, i) => (i === 7 ? { ...it, token: 'tab\u0001here' } : it)) });
      assertProblem(ctl, 400, 'ERR_INVALID_ARGUMENT', 'items/7/token must be 1 to 256 characters without whitespace, control characters or any of + # / .', { field: 'items/7/token' });
      assertInvalid(await t.api('POST', BULK, { items: [] }), '/body/items', 'must NOT have fewer than 1 items');
      const counts = await Promise.all(items.map((it) => tokenCount('acme', it.endpointId as string)));
      assert.deepEqual(counts, items.map(() => 0));
    });
  });

  describe('pagination and filters', () => {
    const tenant = 'paging';
    let made: Array<{ id: string; createdDate: string }>;
    const ids = (res: Reply) => res.body.content.map((c: { id: string }) => c.id);

    before(async () => {
      made = [];
      for (let i = 0; i < 25; i++) made.push(await createCredential(tenant, `page-${String(i).padStart(2, '0')}`, `page-password-${i}`));
      // Ten used (Active), three of those suspended.
      for (let i = 0; i < 10; i++) assert.equal((await cap(t.platform.bus, tenant, `page-0${i}`, `page-password-${i}`)).statusCode, 200);
      for (let i = 0; i < 3; i++) assert.equal((await t.api('PUT', `${CREDS}/${made[i]!.id}/state`, { state: 'Suspended' }, { tenant })).status, 200);
    });

    /** The storage order: createdDate, then id. */
    const ascending = () => [...made].sort((a, b) => a.createdDate.localeCompare(b.createdDate) || (a.id < b.id ? -1 : 1)).map((c) => c.id);

    it('pages through 25 with limit 10, newest first by default', async () => {
      const pages = [];
      for (const offset of [0, 10, 20]) {
        const res = await t.api('GET', `${CREDS}?limit=10&offset=${offset}`, undefined, { tenant });
        assert.equal(res.status, 200);
        assert.equal(res.body.totalElements, 25);
        pages.push(ids(res));
      }
      assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
      assert.deepEqual(pages.flat(), ascending().reverse());
      assert.deepEqual((await t.api('GET', `${CREDS}?limit=10&offset=30`, undefined, { tenant })).body, { content: [], totalElements: 25 });
      assert.equal((await t.api('GET', CREDS, undefined, { tenant })).body.content.length, 20, 'default limit');
    });

    it('orders ASC and DESC', async () => {
      const asc = await t.api('GET', `${CREDS}?order=ASC&limit=1000`, undefined, { tenant });
      const desc = await t.api('GET', `${CREDS}?order=DESC&limit=1000`, undefined, { tenant });
      assert.deepEqual(ids(asc), ascending());
      assert.deepEqual(ids(desc), ascending().reverse());
      const second = await t.api('GET', `${CREDS}?order=ASC&limit=10&offset=10`, undefined, { tenant });
      assert.deepEqual(ids(second), ascending().slice(10, 20));
    });

    it('filters by state, repeated for several', async () => {
      const expect = (states: string[]) => {
        const stateOf = (i: number) => (i < 3 ? 'Suspended' : i < 10 ? 'Active' : 'Inactive');
        return ascending().filter((id) => states.includes(stateOf(made.findIndex((m) => m.id === id))));
      };
      for (const states of [['Active'], ['Suspended'], ['Inactive'], ['Revoked'], ['Active', 'Suspended'], ['Suspended', 'Inactive', 'Suspended']]) {
        const q = states.map((s) => `state=${s}`).join('&');
        const res = await t.api('GET', `${CREDS}?${q}&order=ASC&limit=1000`, undefined, { tenant });
        const want = expect(states);
        assert.deepEqual([res.body.totalElements, ids(res)], [want.length, want], q);
        for (const c of res.body.content) assert.ok(states.includes(c.state), q);
      }
      const page = await t.api('GET', `${CREDS}?state=Inactive&limit=10&offset=10&order=ASC`, undefined, { tenant });
      assert.deepEqual([page.body.totalElements, ids(page)], [15, expect(['Inactive']).slice(10)]);
    });
  });

  describe('generated secrets', () => {
    it('shows a generated password once, never on GET or list, and a reset replaces it', async () => {
      const created = await t.api('POST', CREDS, { username: 'generated' });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      assert.equal(created.headers.get('location'), `${CREDS}/${created.body.id}`);
      const first = created.body.password as string;
      assert.match(first, SECRET);
      const { password: _, ...view } = created.body;

      const got = await t.api('GET', `${CREDS}/${view.id}`);
      assert.deepEqual(got.body, view);
      assert.equal(got.headers.get('etag'), `"${view.version}"`);
      const listed = (await t.api('GET', `${CREDS}?limit=1000`)).body.content.find((c: { id: string }) => c.id === view.id);
      assert.deepEqual(listed, view);
      assert.equal((await cap(t.platform.bus, 'acme', 'generated', first)).statusCode, 200);

      const reset = await t.api('POST', `${CREDS}/${view.id}/password`, {});
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.equal(reset.headers.get('cache-control'), 'no-store');
      const second = reset.body.password as string;
      assert.match(second, SECRET);
      assert.notEqual(second, first);
      assert.equal((await cap(t.platform.bus, 'acme', 'generated', first)).statusCode, 401, 'the old password is gone');
      assert.equal((await cap(t.platform.bus, 'acme', 'generated', second)).statusCode, 200);
      assert.equal('password' in (await t.api('GET', `${CREDS}/${view.id}`)).body, false);
    });

    it('generates a new password on a reset without a body', async () => {
      const c = await createCredential('acme', 'bodiless', 'bodiless-1');
      const reset = await t.api('POST', `${CREDS}/${c.id}/password`);
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.match(reset.body.password, SECRET);
      assert.equal((await cap(t.platform.bus, 'acme', 'bodiless', reset.body.password)).statusCode, 200);
    });

    it('generates on a reset with an empty object, and echoes no given password', async () => {
      const c = await createCredential('acme', 'resettable', 'resettable-1');
      const generated = await t.api('POST', `${CREDS}/${c.id}/password`, {});
      assert.equal(generated.status, 200);
      assert.match(generated.body.password, SECRET);
      const given = await t.api('POST', `${CREDS}/${c.id}/password`, { password: 'resettable-2' });
      assert.deepEqual([given.status, 'password' in given.body, given.headers.get('cache-control')], [200, false, 'no-store']);
      assert.equal((await cap(t.platform.bus, 'acme', 'resettable', generated.body.password)).statusCode, 401);
      assert.equal((await cap(t.platform.bus, 'acme', 'resettable', 'resettable-2')).statusCode, 200);
    });
  });

  describe('deletion', () => {
    it('announces a deleted credential as revoked before answering 204, and it no longer authenticates', async () => {
      const c = await createCredential('acme', 'doomed', 'doomed-password');
      assert.equal((await cap(t.platform.bus, 'acme', 'doomed', 'doomed-password')).statusCode, 200);
      const events = record(t.platform.bus, clientCredentialsRevokedSubject('ccm', 'basic'), decodeClientCredentialsRevokedEvent);
      try {
        const res = await t.api('DELETE', `${CREDS}/${c.id}`);
        assert.deepEqual([res.status, res.body, res.headers.get('content-type')], [204, undefined, null]);
        // Flushed before the answer: on the in-process bus that means delivered.
        const mine = events.seen.filter((e) => e.credentialsId === c.id);
        assert.equal(mine.length, 1);
        assert.equal(mine[0]!.tenantId, 'acme');
      } finally {
        events.stop();
      }
      const r = await cap(t.platform.bus, 'acme', 'doomed', 'doomed-password');
      assert.deepEqual([r.statusCode, r.reasonPhrase, r.credentialsId], [401, 'Bad credentials', null]);
      assert.deepEqual((await t.api('GET', `${CREDS}/${c.id}`)).body, credNotFound(c.id));
      assert.deepEqual((await t.api('DELETE', `${CREDS}/${c.id}`)).body, credNotFound(c.id));
      // The username is free again, for a new credential with a new id.
      const again = await createCredential('acme', 'doomed', 'doomed-password-2');
      assert.notEqual(again.id, c.id);
    });
  });

  describe('OpenAPI document', () => {
    it('is OpenAPI 3.1 with every operation, and x-permission equal to the route permission', async () => {
      const res = await t.api('GET', '/api/v1/openapi.json', undefined, { tenant: 'anyone', scopes: '' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const doc = res.body as { openapi: string; paths: Record<string, Record<string, { operationId: string; 'x-permission'?: string; security?: unknown }>> };
      assert.match(doc.openapi, /^3\.1\./);
      const ops = new Map<string, { path: string; method: string; permission: string | undefined; security: unknown }>();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) ops.set(op.operationId, { path, method: method.toUpperCase(), permission: op['x-permission'], security: op.security });
      }
      const routes = credentialRoutes({} as CredentialService, { bulkMaxBodyBytes: 1 });
      for (const r of routes) {
        const op = ops.get(r.operationId);
        assert.ok(op !== undefined, `${r.operationId} is documented`);
        assert.deepEqual(op, { path: r.path, method: r.method, permission: r.permission, security: [{ bearerAuth: [r.permission] }] }, r.operationId);
      }
      // The document itself needs no principal.
      assert.equal((await raw('GET', '/api/v1/openapi.json')).status, 200);
    });
  });
});
