/**
 * The OAuth endpoints as routes of the shared HTTP server. They declare no permission (clients
 * authenticate themselves, RFC 6749 2.3) and no `form`/`body`: the service reads the raw body
 * itself, so that a wrong content type or a malformed form is answered in the RFC 6749 5.2 shape
 * (invalid_request), not as an HTTP-layer problem document.
 */
import type { Route } from '../../../transports/http/index.js';
import { PATHS, type TokenService } from './service.js';

/** Forms of these endpoints are a few parameters; an assertion is the largest (16 KiB). */
const MAX_FORM_BYTES = 64 * 1024;

const oauthError = {
  description: 'RFC 6749 5.2 error',
  contentType: 'application/json',
  schema: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } },
} as const;
const tags = ['OAuth 2.0'];

export function tokenRoutes(service: TokenService): Route[] {
  return [
    {
      method: 'POST',
      path: PATHS.token,
      operationId: 'oauthToken',
      summary: 'Access token by the client_credentials grant (RFC 6749 4.4)',
      description: 'application/x-www-form-urlencoded body; client_secret_basic, client_secret_post or private_key_jwt.',
      tags,
      maxBodyBytes: MAX_FORM_BYTES,
      responses: {
        '200': {
          description: 'The access token (RFC 6749 5.1)',
          schema: {
            type: 'object',
            required: ['access_token', 'token_type', 'expires_in', 'scope'],
            properties: { access_token: { type: 'string' }, token_type: { const: 'Bearer' }, expires_in: { type: 'integer' }, scope: { type: 'string' } },
          },
        },
        '400': oauthError,
        '401': oauthError,
        '429': oauthError,
        '503': oauthError,
      },
      handler: (req) => service.token(req),
    },
    {
      method: 'POST',
      path: PATHS.introspect,
      operationId: 'oauthIntrospect',
      summary: 'Token introspection (RFC 7662)',
      tags,
      maxBodyBytes: MAX_FORM_BYTES,
      responses: { '200': { description: 'The token state', schema: { type: 'object', required: ['active'] } }, '400': oauthError, '401': oauthError, '429': oauthError, '503': oauthError },
      handler: (req) => service.introspect(req),
    },
    {
      method: 'POST',
      path: PATHS.revoke,
      operationId: 'oauthRevoke',
      summary: 'Token revocation (RFC 7009)',
      tags,
      maxBodyBytes: MAX_FORM_BYTES,
      responses: { '200': { description: 'Revoked, or nothing to revoke' }, '400': oauthError, '401': oauthError, '429': oauthError, '503': oauthError },
      handler: (req) => service.revoke(req),
    },
    {
      method: 'GET',
      path: PATHS.jwks,
      operationId: 'oauthJwks',
      summary: 'The public keys of the access tokens (RFC 7517 JWK Set)',
      tags,
      responses: { '200': { description: 'JWK Set', schema: { type: 'object', required: ['keys'] } } },
      handler: () => service.jwks(),
    },
    {
      method: 'GET',
      path: PATHS.metadata,
      operationId: 'oauthMetadata',
      summary: 'Authorization server metadata (RFC 8414)',
      tags,
      responses: { '200': { description: 'Metadata', schema: { type: 'object', required: ['issuer', 'token_endpoint'] } }, '400': oauthError },
      handler: async (req) => service.metadata(req),
    },
  ];
}
