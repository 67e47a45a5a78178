/**
 * OpenAPI 3.1 from the route table the server runs, so the document cannot drift from what is
 * served. OpenAPI 3.1 schemas are JSON Schema 2020-12, the dialect the validators compile, so
 * route schemas are copied as they are.
 *
 * Besides the declared responses, every operation documents what this layer itself answers:
 * 400 when it validates something, 401 and 403 when it needs a permission, 413 and 415 when it
 * takes a body, and a `default` Problem (RFC 9457) for the rest (404, 503...).
 */
import { reasonPhrase } from './status.js';
import type { JsonSchema, Route } from './types.js';

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export interface OpenApiOptions {
  readonly servers?: ReadonlyArray<{ readonly url: string; readonly description?: string }>;
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const PROBLEM_TYPE = 'application/problem+json';

/** RFC 9457 3.1, with fleetgate's `code` and the validation `errors` extension. */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'Problem Details for HTTP APIs (RFC 9457)',
  properties: {
    type: { type: 'string', format: 'uri-reference', default: 'about:blank' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 100, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', format: 'uri-reference' },
    code: { type: 'string', description: 'Stable fleetgate error code, e.g. ERR_VALIDATION' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { pointer: { type: 'string', description: 'JSON Pointer into { body, query, path }' }, message: { type: 'string' } },
        required: ['pointer', 'message'],
      },
    },
  },
  required: ['type', 'title', 'status', 'code'],
};

export function openApiDocument(routes: readonly Route[], info: OpenApiInfo, opts: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  let secured = false;
  for (const r of routes) {
    const item = (paths[r.path] ??= {});
    item[r.method.toLowerCase()] = operation(r);
    if (r.permission !== undefined) secured = true;
  }
  const components: Record<string, unknown> = { schemas: { Problem: PROBLEM_SCHEMA } };
  if (secured) {
    components.securitySchemes = { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An OAuth 2.0 access token (RFC 6750)' } };
  }
  return {
    openapi: '3.1.0',
    info: { ...info },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(opts.servers !== undefined ? { servers: opts.servers.map((s) => ({ ...s })) } : {}),
    paths,
    components,
  };
}

function operation(r: Route): Record<string, unknown> {
  const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary };
  if (r.description !== undefined) op.description = r.description;
  if (r.tags !== undefined && r.tags.length > 0) op.tags = [...r.tags];
  const parameters = [...pathParameters(r), ...queryParameters(r)];
  if (parameters.length > 0) op.parameters = parameters;
  if (r.body !== undefined || r.form === true) {
    const type = r.form === true ? 'application/x-www-form-urlencoded' : 'application/json';
    op.requestBody = { required: r.bodyOptional !== true, content: { [type]: { schema: r.body ?? { type: 'object' } } } };
  }
  op.responses = responses(r, parameters.length > 0 || r.body !== undefined);
  if (r.permission !== undefined) {
    // OpenAPI 3.1 Security Requirement Object: for a scheme other than oauth2 / openIdConnect
    // the array may list the roles required; the permission is also kept as an extension.
    op.security = [{ bearerAuth: [r.permission] }];
    op['x-permission'] = r.permission;
  }
  return op;
}

function pathParameters(r: Route): unknown[] {
  return [...r.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => {
    const name = m[1] as string;
    return { name, in: 'path', required: true, schema: r.params?.[name] ?? { type: 'string', minLength: 1 } };
  });
}

function queryParameters(r: Route): unknown[] {
  return Object.entries(r.query ?? {}).map(([name, param]) => {
    const { required, description, ...schema } = param;
    return {
      name,
      in: 'query',
      ...(description !== undefined ? { description } : {}),
      required: required === true,
      schema: schema as JsonSchema,
    };
  });
}

function responses(r: Route, validates: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(r.responses)) {
    const isError = Number(status) >= 400 || status === 'default';
    const type = spec.contentType ?? (isError ? PROBLEM_TYPE : 'application/json');
    const schema = spec.schema ?? (isError ? PROBLEM_REF : undefined);
    out[status] = schema === undefined ? { description: spec.description } : { description: spec.description, content: { [type]: { schema } } };
  }
  const add = (status: string, description: string): void => {
    out[status] ??= { description, content: { [PROBLEM_TYPE]: { schema: PROBLEM_REF } } };
  };
  if (validates) add('400', `${reasonPhrase(400)}: the request does not match its schema (ERR_VALIDATION, ERR_BAD_JSON)`);
  if (r.permission !== undefined) {
    add('401', `${reasonPhrase(401)}: no valid credentials`);
    add('403', `${reasonPhrase(403)}: the credentials lack ${r.permission}`);
  }
  if (r.body !== undefined || r.form === true) {
    add('413', `${reasonPhrase(413)} (ERR_BODY_TOO_LARGE)`);
    add('415', `${reasonPhrase(415)} (ERR_UNSUPPORTED_MEDIA_TYPE)`);
  }
  add('default', 'Any other error, as an RFC 9457 problem');
  return out;
}
