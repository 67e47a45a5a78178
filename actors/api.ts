/**
 * The last module every shard loads: it serves, on the shared HTTP port, every route the modules
 * before it put in 'http.routes', plus the OpenAPI document of them all at /api/v1/openapi.json.
 *
 * Authorization of the admin APIs is a hook, chosen by `api.auth`. `bearer` (the default): the
 * OAuth 2.0 bearer-token hook the auth module provides (actors/auth/bearer.ts). `trusted-header`,
 * for gateway deployments: fleetgate sits behind a gateway that has authenticated the operator
 * and says who it is with X-Fleetgate-Tenant and X-Fleetgate-Scopes (space-separated). The route's permission must be among the scopes; the tenant comes from the
 * header, never from the path or the body. The headers are believed only from the gateway's
 * addresses (`http.trustedProxies`): from anyone else they would let a caller name any tenant.
 */
import type { ShardHost } from '../runtime/index.js';
import { fromTrustedProxy, httpService, type HttpAttach, json, openApiDocument, problem, type AuthorizeHook, type Route } from '../transports/http/index.js';
import { AUTHORIZE_HOOK } from './auth/bearer.js';
import type { Principal } from './credentials/routes.js';
import type { PlatformConfig } from './platform-config.js';

const TENANT = /^[A-Za-z0-9._~-]{1,128}$/;

/** Maps the credential services' codes to statuses (the HTTP layer knows the runtime's). */
const STATUS_FOR_CODE: Record<string, number> = {
  ERR_ILLEGAL_TRANSITION: 409,
  ERR_INVALID_ARGUMENT: 400,
  ERR_BUS_UNAVAILABLE: 503,
  ERR_BUS_TIMEOUT: 503,
  ERR_BUS_CLOSED: 503,
  ERR_BUS_OVERLOADED: 503,
  ERR_HASHING_CLOSED: 503,
  // OAuth client registry (actors/oauth/clients/errors.ts)
  ERR_SECRET_EXISTS: 409,
  ERR_NO_CURRENT_SECRET: 409,
  ERR_WRONG_AUTH_METHOD: 409,
  ERR_CLIENT_LINKED: 409,
};

export const trustedHeaderAuth: AuthorizeHook = async (req, route) => {
  if (!fromTrustedProxy(req)) {
    return problem(401, 'ERR_UNAUTHENTICATED', 'Unauthorized', 'admin calls are accepted only through the authenticating gateway', undefined);
  }
  const tenantId = req.headers['x-fleetgate-tenant'];
  if (tenantId === undefined || !TENANT.test(tenantId)) {
    return problem(401, 'ERR_UNAUTHENTICATED', 'Unauthorized', 'no authenticated tenant (X-Fleetgate-Tenant) on the request', undefined);
  }
  const scopes = (req.headers['x-fleetgate-scopes'] ?? '').split(/\s+/).filter((s) => s.length > 0);
  if (route.permission !== undefined && !scopes.includes(route.permission)) {
    return problem(403, 'ERR_FORBIDDEN', 'Forbidden', `this operation needs the permission ${route.permission}`, { permission: route.permission });
  }
  const principal: Principal = { tenantId, subject: req.headers['x-fleetgate-subject'] ?? 'gateway', scopes };
  req.auth = principal;
  return undefined;
};

export function setup(host: ShardHost): void {
  const cfg = host.config as PlatformConfig;
  const routes = host.dep<Route[]>('http.routes');
  let doc: Record<string, unknown> = {};
  const all: Route[] = [
    ...routes,
    {
      method: 'GET',
      path: '/api/v1/openapi.json',
      operationId: 'openApiDocument',
      summary: 'This API, as an OpenAPI 3.1 document',
      responses: { '200': { description: 'The document' } },
      handler: async () => json(200, doc),
    },
  ];
  doc = openApiDocument(all, {
    title: 'fleetgate',
    version: '1',
    description: 'Credential services (CCM, CM) and administration of the fleetgate platform',
  });
  host.addService(
    httpService('http', {
      host: cfg['listen.host'],
      port: cfg['http.port'],
      routes: all,
      maxBodyBytes: cfg['http.maxBodyBytes'],
      statusForCode: STATUS_FOR_CODE,
      trustedProxies: cfg['http.trustedProxies'].split(',').map((s) => s.trim()).filter((s) => s.length > 0),
      authorize: cfg['api.auth'] === 'bearer' ? host.dep<AuthorizeHook>(AUTHORIZE_HOOK) : trustedHeaderAuth,
      log: host.log,
      attach: host.dep<HttpAttach[]>('http.attach'),
    }),
  );
}
