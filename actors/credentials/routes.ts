/**
 * REST API of the credential services. Paths follow Kaa where it is known
 * (`/api/v1/basic-credentials`, `/api/v1/endpoints/{endpointId}/tokens`); state changes are
 * `PUT .../state` (credentials) and `PUT .../status` (tokens, Kaa's field name), bulk token
 * provisioning is `POST /api/v1/endpoint-tokens/bulk`, all or nothing.
 *
 * Every route declares its permission; the tenant is never taken from the request itself but
 * from the principal the authorize hook established (`req.auth`).
 */
import type { CredentialState, ListOptions } from '../../storage/index.js';
import type { HttpRequest, HttpResponse, Route } from '../../transports/http/index.js';
import { json, noContent } from '../../transports/http/index.js';
import { CredentialCodes, CredentialError } from './errors.js';
import type { CredentialService } from './service.js';

/** What the authorize hook puts in `req.auth`. */
export interface Principal {
  tenantId: string;
  subject: string;
  scopes: readonly string[];
}

export const Permissions = {
  credentialsCreate: 'tenant:basic-credentials:create',
  credentialsRead: 'tenant:basic-credentials:read',
  credentialsUpdate: 'tenant:basic-credentials:update',
  credentialsDelete: 'tenant:basic-credentials:delete',
  endpointRead: 'endpoint:read',
  endpointUpdate: 'endpoint:update',
  endpointDelete: 'endpoint:delete',
} as const;

const STATES: readonly CredentialState[] = ['Inactive', 'Active', 'Suspended', 'Revoked'];
const NAME = { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' } as const;
const ID = { type: 'string', pattern: '^[0-9a-v]{20}$' } as const;
const SECRET = { type: 'string', minLength: 8, maxLength: 1024 } as const;
const TOKEN = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^+#/.\\s]+$' } as const;
const STATE = { enum: STATES } as const;

const credentialSchema = {
  type: 'object',
  required: ['id', 'tenantId', 'username', 'state', 'createdDate', 'updatedDate', 'version'],
  properties: {
    id: ID,
    tenantId: { type: 'string' },
    username: { type: 'string' },
    state: STATE,
    createdDate: { type: 'string', format: 'date-time' },
    updatedDate: { type: 'string', format: 'date-time' },
    lastUseDate: { type: 'string', format: 'date-time' },
    version: { type: 'integer' },
    password: { type: 'string', description: 'Only in the answer that created or reset it' },
  },
} as const;
const tokenSchema = {
  type: 'object',
  required: ['endpointTokenId', 'endpointId', 'applicationName', 'status', 'createdDate', 'updateDate', 'version'],
  properties: {
    endpointTokenId: ID,
    endpointId: { type: 'string' },
    applicationName: { type: 'string' },
    status: STATE,
    createdDate: { type: 'string', format: 'date-time' },
    updateDate: { type: 'string', format: 'date-time' },
    lastUseDate: { type: 'string', format: 'date-time' },
    version: { type: 'integer' },
    token: { type: 'string', description: 'Only in the answer that provisioned it' },
  },
} as const;
const page = (item: object) => ({ type: 'object', required: ['content', 'totalElements'], properties: { content: { type: 'array', items: item }, totalElements: { type: 'integer' } } });

const listQuery = (stateName: string) => ({
  [stateName]: { type: 'string', description: `Filter: one of ${STATES.join(', ')}; repeat the parameter for several` },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
  order: { enum: ['ASC', 'DESC'], default: 'DESC' },
});

const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { description: PROBLEM_TEXT[s] ?? 'Problem' }]));
const PROBLEM_TEXT: Record<number, string> = {
  400: 'The request is malformed; the problem names the field',
  401: 'No valid credentials for the API',
  403: 'The principal lacks the permission',
  404: 'No such resource in the tenant',
  409: 'Duplicate, or a state change the current state does not allow',
  413: 'The body is too large',
  503: 'Busy or a dependency is down; retry after Retry-After',
};

function principal(req: HttpRequest): Principal {
  return req.auth as Principal;
}

function listOptions(req: HttpRequest, stateName: string): ListOptions<CredentialState> {
  const states = req.query.getAll(stateName);
  for (const s of states) {
    if (!(STATES as readonly string[]).includes(s)) {
      throw new CredentialError(CredentialCodes.INVALID, `query/${stateName} must be one of ${STATES.join(', ')}`, { data: { field: `query/${stateName}` } });
    }
  }
  const q = req.queryValues as { offset: number; limit: number; order: 'ASC' | 'DESC' };
  const opts: ListOptions<CredentialState> = { offset: q.offset, limit: q.limit, order: q.order };
  if (states.length > 0) opts.states = states as CredentialState[];
  return opts;
}

const withEtag = (body: { version: number }): HttpResponse => json(200, body, { etag: `"${body.version}"` });

export function credentialRoutes(svc: CredentialService, opts: { bulkMaxBodyBytes: number }): Route[] {
  const base = '/api/v1/basic-credentials';
  const tokens = '/api/v1/endpoints/{endpointId}/tokens';
  const tags = ['client credentials (CCM)'];
  const ttags = ['endpoint tokens (CM)'];
  return [
    {
      method: 'POST',
      path: base,
      operationId: 'createBasicCredentials',
      summary: 'Create client credentials; a password is generated (and shown this once) unless given',
      tags,
      permission: Permissions.credentialsCreate,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { username: NAME, password: SECRET, passwordHash: { type: 'string', maxLength: 256, description: 'Import an argon2 or bcrypt hash' } },
      },
      responses: { '201': { description: 'Created', schema: credentialSchema }, ...problems(400, 401, 403, 409, 413, 503) },
      async handler(req) {
        const p = principal(req);
        const r = await svc.createCredential(p.tenantId, req.body as { username?: string; password?: string; passwordHash?: string });
        return json(201, r.password === undefined ? r.credential : { ...r.credential, password: r.password }, {
          location: `${base}/${r.credential.id}`,
          'cache-control': 'no-store',
        });
      },
    },
    {
      method: 'GET',
      path: base,
      operationId: 'listBasicCredentials',
      summary: 'List the client credentials of the tenant',
      tags,
      permission: Permissions.credentialsRead,
      query: listQuery('state'),
      responses: { '200': { description: 'A page', schema: page(credentialSchema) }, ...problems(400, 401, 403, 503) },
      handler: async (req) => json(200, await svc.listCredentials(principal(req).tenantId, listOptions(req, 'state'))),
    },
    {
      method: 'GET',
      path: `${base}/{id}`,
      operationId: 'getBasicCredentials',
      summary: 'Read one client credential (never its password)',
      tags,
      permission: Permissions.credentialsRead,
      params: { id: ID },
      responses: { '200': { description: 'The credential', schema: credentialSchema }, ...problems(401, 403, 404, 503) },
      handler: async (req) => withEtag(await svc.getCredential(principal(req).tenantId, req.params['id']!)),
    },
    {
      method: 'PUT',
      path: `${base}/{id}/state`,
      operationId: 'transitionBasicCredentials',
      summary: 'Suspend, re-activate or revoke a client credential',
      tags,
      permission: Permissions.credentialsUpdate,
      params: { id: ID },
      body: { type: 'object', additionalProperties: false, required: ['state'], properties: { state: STATE } },
      responses: { '200': { description: 'The credential in its new state', schema: credentialSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      handler: async (req) => withEtag(await svc.transitionCredential(principal(req).tenantId, req.params['id']!, (req.body as { state: CredentialState }).state)),
    },
    {
      method: 'POST',
      path: `${base}/{id}/password`,
      operationId: 'resetBasicCredentialsPassword',
      bodyOptional: true,
      summary: 'Set a new password (generated and shown this once unless given)',
      tags,
      permission: Permissions.credentialsUpdate,
      params: { id: ID },
      body: { type: 'object', additionalProperties: false, properties: { password: SECRET } },
      responses: { '200': { description: 'The credential', schema: credentialSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      async handler(req) {
        const r = await svc.setPassword(principal(req).tenantId, req.params['id']!, (req.body as { password?: string }).password);
        return json(200, r.password === undefined ? r.credential : { ...r.credential, password: r.password }, { 'cache-control': 'no-store' });
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{id}`,
      operationId: 'deleteBasicCredentials',
      summary: 'Delete a client credential (announced as revoked)',
      tags,
      permission: Permissions.credentialsDelete,
      params: { id: ID },
      responses: { '204': { description: 'Deleted' }, ...problems(401, 403, 404, 503) },
      handler: async (req) => (await svc.deleteCredential(principal(req).tenantId, req.params['id']!), noContent()),
    },
    {
      method: 'POST',
      path: tokens,
      operationId: 'provisionEndpointToken',
      summary: 'Provision an endpoint token (generated unless given; its value is shown this once)',
      tags: ttags,
      permission: Permissions.endpointUpdate,
      params: { endpointId: NAME },
      body: { type: 'object', additionalProperties: false, required: ['applicationName'], properties: { applicationName: NAME, token: TOKEN } },
      responses: { '201': { description: 'Provisioned', schema: tokenSchema }, ...problems(400, 401, 403, 409, 413, 503) },
      async handler(req) {
        const r = await svc.provisionToken(principal(req).tenantId, req.params['endpointId']!, req.body as { applicationName: string; token?: string });
        return json(201, r, { location: `/api/v1/endpoints/${encodeURIComponent(r.endpointId)}/tokens/${r.endpointTokenId}`, 'cache-control': 'no-store' });
      },
    },
    {
      method: 'GET',
      path: tokens,
      operationId: 'listEndpointTokens',
      summary: "List an endpoint's tokens (never their values)",
      tags: ttags,
      permission: Permissions.endpointRead,
      params: { endpointId: NAME },
      query: listQuery('status'),
      responses: { '200': { description: 'A page', schema: page(tokenSchema) }, ...problems(400, 401, 403, 503) },
      handler: async (req) => json(200, await svc.listTokens(principal(req).tenantId, req.params['endpointId']!, listOptions(req, 'status'))),
    },
    {
      method: 'GET',
      path: `${tokens}/{tokenId}`,
      operationId: 'getEndpointToken',
      summary: 'Read one endpoint token',
      tags: ttags,
      permission: Permissions.endpointRead,
      params: { endpointId: NAME, tokenId: ID },
      responses: { '200': { description: 'The token', schema: tokenSchema }, ...problems(401, 403, 404, 503) },
      handler: async (req) => withEtag(await svc.getToken(principal(req).tenantId, req.params['tokenId']!, req.params['endpointId']!)),
    },
    {
      method: 'PUT',
      path: `${tokens}/{tokenId}/status`,
      operationId: 'transitionEndpointToken',
      summary: 'Suspend, re-activate or revoke an endpoint token',
      tags: ttags,
      permission: Permissions.endpointUpdate,
      params: { endpointId: NAME, tokenId: ID },
      body: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: STATE } },
      responses: { '200': { description: 'The token in its new state', schema: tokenSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      handler: async (req) =>
        withEtag(await svc.transitionToken(principal(req).tenantId, req.params['tokenId']!, (req.body as { status: CredentialState }).status, req.params['endpointId']!)),
    },
    {
      method: 'DELETE',
      path: `${tokens}/{tokenId}`,
      operationId: 'deleteEndpointToken',
      summary: 'Delete an endpoint token (announced as revoked)',
      tags: ttags,
      permission: Permissions.endpointDelete,
      params: { endpointId: NAME, tokenId: ID },
      responses: { '204': { description: 'Deleted' }, ...problems(401, 403, 404, 503) },
      handler: async (req) => (await svc.deleteToken(principal(req).tenantId, req.params['tokenId']!, req.params['endpointId']!), noContent()),
    },
    {
      method: 'POST',
      path: '/api/v1/endpoint-tokens/bulk',
      operationId: 'provisionEndpointTokens',
      summary: 'Provision many endpoint tokens in one transaction: all or nothing',
      tags: ttags,
      permission: Permissions.endpointUpdate,
      maxBodyBytes: opts.bulkMaxBodyBytes,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            minItems: 1,
            maxItems: 100_000,
            items: { type: 'object', additionalProperties: false, required: ['endpointId', 'applicationName'], properties: { endpointId: NAME, applicationName: NAME, token: TOKEN } },
          },
        },
      },
      responses: { '201': { description: 'All provisioned', schema: { type: 'object', properties: { items: { type: 'array', items: tokenSchema } } } }, ...problems(400, 401, 403, 409, 413, 503) },
      async handler(req) {
        const items = await svc.provisionTokens(principal(req).tenantId, (req.body as { items: Array<{ endpointId: string; applicationName: string; token?: string }> }).items);
        return json(201, { items }, { 'cache-control': 'no-store' });
      },
    },
  ];
}
