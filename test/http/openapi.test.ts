/** The OpenAPI 3.1 document generated from a route table, and served as a normal route. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, openApiDocument, type Route } from '../../transports/http/index.js';
import { getJson, serve } from './helpers.js';

const handler = async (): Promise<never> => {
  throw new Error('not called');
};

const routes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/endpoints/{endpointId}/tokens',
    operationId: 'listEndpointTokens',
    summary: 'List the tokens of an endpoint',
    tags: ['endpoint-tokens'],
    permission: 'tenant:endpoint-tokens:read',
    params: { endpointId: { type: 'string', format: 'uuid' } },
    query: { limit: { type: 'integer', minimum: 1, default: 20, description: 'page size' }, cursor: { type: 'string', required: true } },
    responses: { 200: { description: 'a page of tokens', schema: { type: 'array', items: { type: 'string' } } }, 404: { description: 'no such endpoint' } },
    handler,
  },
  {
    method: 'POST',
    path: '/api/v1/endpoints/{endpointId}/tokens',
    operationId: 'createEndpointToken',
    summary: 'Create a token',
    permission: 'tenant:endpoint-tokens:write',
    body: { type: 'object', properties: { ttl: { type: 'integer' } } },
    responses: { 201: { description: 'created' } },
    handler,
  },
  {
    method: 'POST',
    path: '/oauth/token',
    operationId: 'token',
    summary: 'OAuth 2.0 token endpoint',
    form: true,
    responses: { 200: { description: 'an access token' } },
    handler,
  },
];

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

describe('openApiDocument', () => {
  const doc = openApiDocument(routes, { title: 'fleetgate', version: '0.1.0' }) as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  };
  const list = doc.paths['/api/v1/endpoints/{endpointId}/tokens']?.get as Record<string, unknown>;
  const create = doc.paths['/api/v1/endpoints/{endpointId}/tokens']?.post as Record<string, unknown>;
  const token = doc.paths['/oauth/token']?.post as Record<string, unknown>;

  it('is OpenAPI 3.1 with the 2020-12 dialect, one path item per template', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths), ['/api/v1/endpoints/{endpointId}/tokens', '/oauth/token']);
    assert.deepEqual(Object.keys(doc.paths['/api/v1/endpoints/{endpointId}/tokens'] ?? {}), ['get', 'post']);
    assert.deepEqual([list.operationId, create.operationId, token.operationId], ['listEndpointTokens', 'createEndpointToken', 'token']);
    assert.equal((doc as unknown as { jsonSchemaDialect: string }).jsonSchemaDialect, 'https://json-schema.org/draft/2020-12/schema');
  });

  it('keeps to the shapes the OpenAPI 3.1 schema allows', () => {
    const OPERATION = new Set(['tags', 'summary', 'description', 'externalDocs', 'operationId', 'parameters', 'requestBody', 'responses', 'callbacks', 'deprecated', 'security', 'servers']);
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        for (const key of Object.keys(op)) assert.ok(OPERATION.has(key) || key.startsWith('x-'), key);
        for (const status of Object.keys(op.responses as object)) assert.match(status, /^(?:[1-5](?:[0-9][0-9]|XX)|default)$/);
      }
    }
    for (const name of [...Object.keys(doc.components.schemas), ...Object.keys(doc.components.securitySchemes)]) assert.match(name, /^[a-zA-Z0-9._-]+$/);
  });

  it('declares path and query parameters', () => {
    assert.deepEqual(list.parameters, [
      { name: 'endpointId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
      { name: 'limit', in: 'query', description: 'page size', required: false, schema: { type: 'integer', minimum: 1, default: 20 } },
      { name: 'cursor', in: 'query', required: true, schema: { type: 'string' } },
    ]);
    assert.deepEqual(create.parameters, [{ name: 'endpointId', in: 'path', required: true, schema: { type: 'string', minLength: 1 } }]);
  });

  it('declares request bodies by content type', () => {
    assert.deepEqual(create.requestBody, { required: true, content: { 'application/json': { schema: { type: 'object', properties: { ttl: { type: 'integer' } } } } } });
    assert.deepEqual(token.requestBody, { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } } });
  });

  it('carries the permission as x-permission and a bearer security requirement', () => {
    assert.equal(list['x-permission'], 'tenant:endpoint-tokens:read');
    assert.deepEqual(list.security, [{ bearerAuth: ['tenant:endpoint-tokens:read'] }]);
    assert.equal(token['x-permission'], undefined);
    assert.equal(token.security, undefined);
    assert.deepEqual(doc.components.securitySchemes, { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An OAuth 2.0 access token (RFC 6750)' } });
  });

  it('documents declared responses and the problems this layer answers', () => {
    const responses = list.responses as Record<string, unknown>;
    // Integer-like keys enumerate in numeric order, whatever the order they were added in.
    assert.deepEqual(Object.keys(responses), ['200', '400', '401', '403', '404', 'default']);
    assert.deepEqual(responses['200'], { description: 'a page of tokens', content: { 'application/json': { schema: { type: 'array', items: { type: 'string' } } } } });
    assert.deepEqual(responses['404'], { description: 'no such endpoint', content: PROBLEM });
    assert.deepEqual(Object.keys(create.responses as object), ['201', '400', '401', '403', '413', '415', 'default']);
    assert.deepEqual((create.responses as Record<string, unknown>)['201'], { description: 'created' });
    assert.deepEqual(Object.keys(token.responses as object), ['200', '413', '415', 'default']);
    const problem = doc.components.schemas.Problem as { required: string[]; properties: Record<string, unknown> };
    assert.deepEqual(problem.required, ['type', 'title', 'status', 'code']);
    assert.deepEqual(Object.keys(problem.properties), ['type', 'title', 'status', 'detail', 'instance', 'code', 'errors']);
  });

  it('is JSON, and can be served as a route of the server it describes', async () => {
    const all: Route[] = [
      ...routes.filter((r) => r.permission === undefined),
      {
        method: 'GET',
        path: '/api/v1/openapi.json',
        operationId: 'openapi',
        summary: 'This document',
        responses: { 200: { description: 'OpenAPI 3.1' } },
        handler: async () => json(200, openApiDocument(all, { title: 'fleetgate', version: '0.1.0' })),
      },
    ];
    const server = await serve({ routes: all });
    try {
      const r = await getJson(`http://127.0.0.1:${server.port}/api/v1/openapi.json`);
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys((r.body as { paths: object }).paths), ['/oauth/token', '/api/v1/openapi.json']);
      assert.deepEqual(r.body, JSON.parse(JSON.stringify(openApiDocument(all, { title: 'fleetgate', version: '0.1.0' }))));
    } finally {
      await server.close();
    }
  });
});
