/**
 * Admin REST API of the client registry, on the paths of seed 003:
 *   POST   /clients/{clientId}/secret          issue the first secret (201; shown once)
 *   POST   /clients/{clientId}/secret/rotate   rotate (200; shown once; the previous one keeps
 *                                              working for the grace window)
 *   DELETE /clients/{clientId}/secret?target=current|previous
 *   GET    /clients/{clientId}/secret          metadata only
 *   PUT    /service-accounts/{id}/clients/{clientId}, DELETE the same: link / unlink
 * plus reads of clients and service accounts and PUT /clients/{clientId}/jwks for
 * private_key_jwt clients. Every route declares its permission; the tenant is the caller's
 * (`req.auth`), and another tenant's object is answered 404 exactly like an unknown one.
 */
import type { ListOptions } from '../../../storage/index.js';
import type { HttpRequest, Route } from '../../../transports/http/index.js';
import { json, noContent } from '../../../transports/http/index.js';
import type { Principal } from '../../credentials/routes.js';
import { ClientPermissions } from './permissions.js';
import type { ClientRegistry } from './registry.js';

const ID = { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' } as const;
const DATE = { type: 'string', format: 'date-time' } as const;
const NULLABLE_DATE = { type: ['string', 'null'], format: 'date-time' } as const;

const clientSchema = {
  type: 'object',
  required: ['clientId', 'tenantId', 'clientName', 'clientAuthenticationMethod', 'accessTokenTtlMinutes', 'scope', 'version'],
  properties: {
    clientId: ID,
    tenantId: { type: 'string' },
    clientName: { type: 'string' },
    clientAuthenticationMethod: { enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] },
    accessTokenTtlMinutes: { type: 'integer' },
    scope: { type: 'string', description: 'Space-separated scopes the client may request' },
    jwks: { type: ['object', 'null'] },
    seeded: { type: 'boolean' },
    serviceAccountId: { type: ['string', 'null'] },
    version: { type: 'integer' },
    createdAt: DATE,
    updatedAt: DATE,
  },
} as const;
const issuedSchema = {
  type: 'object',
  required: ['clientId', 'clientSecret', 'createdAt', 'expiresAt'],
  properties: {
    clientId: ID,
    clientSecret: { type: 'string', description: 'The plaintext secret, shown this once only' },
    createdAt: DATE,
    expiresAt: NULLABLE_DATE,
    previousExpiresAt: { ...NULLABLE_DATE, description: 'After a rotation: until when the previous secret is accepted' },
  },
} as const;
const statusSchema = {
  type: 'object',
  required: ['clientId', 'hasSecret', 'createdAt', 'expiresAt', 'previousExpiresAt', 'rotationRequired', 'expired'],
  properties: {
    clientId: ID,
    hasSecret: { type: 'boolean' },
    createdAt: NULLABLE_DATE,
    expiresAt: NULLABLE_DATE,
    previousExpiresAt: NULLABLE_DATE,
    rotationRequired: { type: 'boolean', description: 'True from APP_CLIENT_SECRET_ROTATION_REQUIRED_BEFORE_EXPIRY before expiry on' },
    expired: { type: 'boolean' },
  },
} as const;
const accountSchema = {
  type: 'object',
  required: ['id', 'tenantId', 'name', 'active', 'clientId', 'roles', 'permissions', 'groups', 'attributes', 'version'],
  properties: {
    id: ID,
    tenantId: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    active: { type: 'boolean' },
    clientId: { type: ['string', 'null'] },
    roles: { type: 'array', items: { type: 'string' } },
    permissions: { type: 'array', items: { type: 'string' } },
    groups: { type: 'array', items: { type: 'string' } },
    attributes: { type: 'object' },
    version: { type: 'integer' },
    createdAt: DATE,
    updatedAt: DATE,
  },
} as const;
const page = (item: object) => ({ type: 'object', required: ['content', 'totalElements'], properties: { content: { type: 'array', items: item }, totalElements: { type: 'integer' } } });
const listQuery = {
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
  order: { enum: ['ASC', 'DESC'], default: 'DESC' },
} as const;
const jwksBody = {
  type: 'object',
  additionalProperties: false,
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      maxItems: 20,
      items: { type: 'object', required: ['kty'], properties: { kty: { type: 'string' } } },
    },
  },
} as const;

const PROBLEM_TEXT: Record<number, string> = {
  400: 'The request is malformed; the problem names the field',
  401: 'No valid credentials for the API',
  403: 'The principal lacks the permission',
  404: 'No such client, service account or secret slot in the tenant',
  409: 'The current state does not allow it (a secret exists already, none to rotate, linked elsewhere)',
  503: 'Busy or a dependency is down; retry after Retry-After',
};
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { description: PROBLEM_TEXT[s] ?? 'Problem' }]));

const tenantOf = (req: HttpRequest): string => (req.auth as Principal).tenantId;
const listOptions = (req: HttpRequest): ListOptions<never> => {
  const q = req.queryValues as { offset: number; limit: number; order: 'ASC' | 'DESC' };
  return { offset: q.offset, limit: q.limit, order: q.order };
};
/** A secret in the body: never stored by a cache or a proxy (RFC 9111 5.2.2.5). */
const NO_STORE = { 'cache-control': 'no-store' } as const;

export function clientRoutes(reg: ClientRegistry): Route[] {
  const tags = ['OAuth clients'];
  const atags = ['service accounts'];
  const secretPath = '/clients/{clientId}/secret';
  return [
    {
      method: 'GET',
      path: '/clients',
      operationId: 'listOAuthClients',
      summary: 'List the confidential clients of the tenant',
      tags,
      permission: ClientPermissions.clientRead,
      query: listQuery,
      responses: { '200': { description: 'A page', schema: page(clientSchema) }, ...problems(400, 401, 403, 503) },
      handler: async (req) => json(200, await reg.listClients(tenantOf(req), listOptions(req))),
    },
    {
      method: 'GET',
      path: '/clients/{clientId}',
      operationId: 'getOAuthClient',
      summary: 'Read one client (never its secret)',
      tags,
      permission: ClientPermissions.clientRead,
      params: { clientId: ID },
      responses: { '200': { description: 'The client', schema: clientSchema }, ...problems(400, 401, 403, 404, 503) },
      handler: async (req) => json(200, await reg.getClient(tenantOf(req), req.params['clientId']!)),
    },
    {
      method: 'PUT',
      path: '/clients/{clientId}/jwks',
      operationId: 'setOAuthClientJwks',
      summary: 'Register the public keys (JWK Set) a private_key_jwt client signs its assertions with',
      tags,
      permission: ClientPermissions.clientWrite,
      params: { clientId: ID },
      body: jwksBody,
      responses: { '200': { description: 'The client', schema: clientSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      handler: async (req) => json(200, await reg.setJwks(tenantOf(req), req.params['clientId']!, req.body as Record<string, unknown>)),
    },
    {
      method: 'POST',
      path: secretPath,
      operationId: 'issueOAuthClientSecret',
      summary: 'Issue the first secret of a client that has none; the plaintext is returned this once only',
      description: 'A client that has a current secret gets a new one by rotation (409 here), so that issuing never cuts off the services using the current one.',
      tags,
      permission: ClientPermissions.clientWrite,
      params: { clientId: ID },
      bodyOptional: true,
      body: { type: 'object', additionalProperties: false, properties: {} },
      responses: { '201': { description: 'Issued', schema: issuedSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      handler: async (req) => json(201, await reg.issueSecret(tenantOf(req), req.params['clientId']!), NO_STORE),
    },
    {
      method: 'POST',
      path: `${secretPath}/rotate`,
      operationId: 'rotateOAuthClientSecret',
      summary: 'Replace the current secret; the previous one stays valid for APP_CLIENT_SECRET_PREVIOUS_GRACE_WINDOW. The new plaintext is returned this once only',
      tags,
      permission: ClientPermissions.clientWrite,
      params: { clientId: ID },
      bodyOptional: true,
      body: { type: 'object', additionalProperties: false, properties: {} },
      responses: { '200': { description: 'Rotated', schema: issuedSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      handler: async (req) => json(200, await reg.rotateSecret(tenantOf(req), req.params['clientId']!), NO_STORE),
    },
    {
      method: 'DELETE',
      path: secretPath,
      operationId: 'deleteOAuthClientSecret',
      summary: 'Remove the current or the previous secret immediately',
      tags,
      permission: ClientPermissions.clientWrite,
      params: { clientId: ID },
      query: { target: { required: true, enum: ['current', 'previous'], description: 'Which slot to remove' } },
      responses: { '204': { description: 'Removed' }, ...problems(400, 401, 403, 404, 503) },
      handler: async (req) => (await reg.deleteSecret(tenantOf(req), req.params['clientId']!, (req.queryValues as { target: string }).target), noContent()),
    },
    {
      method: 'GET',
      path: secretPath,
      operationId: 'getOAuthClientSecretStatus',
      summary: 'Metadata of the client secret (never its value): created, expires, previous expiry, rotationRequired',
      tags,
      permission: ClientPermissions.clientWrite,
      params: { clientId: ID },
      responses: { '200': { description: 'The metadata', schema: statusSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      handler: async (req) => json(200, await reg.secretStatus(tenantOf(req), req.params['clientId']!)),
    },
    {
      method: 'GET',
      path: '/service-accounts',
      operationId: 'listServiceAccounts',
      summary: 'List the service accounts of the tenant',
      tags: atags,
      permission: ClientPermissions.usersRead,
      query: listQuery,
      responses: { '200': { description: 'A page', schema: page(accountSchema) }, ...problems(400, 401, 403, 503) },
      handler: async (req) => json(200, await reg.listServiceAccounts(tenantOf(req), listOptions(req))),
    },
    {
      method: 'GET',
      path: '/service-accounts/{id}',
      operationId: 'getServiceAccount',
      summary: 'Read one service account',
      tags: atags,
      permission: ClientPermissions.usersRead,
      params: { id: ID },
      responses: { '200': { description: 'The account', schema: accountSchema }, ...problems(400, 401, 403, 404, 503) },
      handler: async (req) => json(200, await reg.getServiceAccount(tenantOf(req), req.params['id']!)),
    },
    {
      method: 'PUT',
      path: '/service-accounts/{id}/clients/{clientId}',
      operationId: 'linkServiceAccountClient',
      summary: "Link a confidential client to the service account: the client's tokens carry its roles, permissions and groups",
      tags: atags,
      permission: ClientPermissions.usersWrite,
      params: { id: ID, clientId: ID },
      bodyOptional: true,
      body: { type: 'object', additionalProperties: false, properties: {} },
      responses: { '200': { description: 'The account, linked', schema: accountSchema }, ...problems(400, 401, 403, 404, 409, 503) },
      handler: async (req) => json(200, await reg.link(tenantOf(req), req.params['id']!, req.params['clientId']!)),
    },
    {
      method: 'DELETE',
      path: '/service-accounts/{id}/clients/{clientId}',
      operationId: 'unlinkServiceAccountClient',
      summary: 'Unlink the client from the service account',
      tags: atags,
      permission: ClientPermissions.usersWrite,
      params: { id: ID, clientId: ID },
      responses: { '204': { description: 'Unlinked' }, ...problems(400, 401, 403, 404, 503) },
      handler: async (req) => (await reg.unlink(tenantOf(req), req.params['id']!, req.params['clientId']!), noContent()),
    },
  ];
}
