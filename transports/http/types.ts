/**
 * The data every REST API of fleetgate is declared with. A route is plain data plus a handler, so
 * that one table drives the router, the validators and the OpenAPI document: what is served is
 * what is documented.
 */

/** The methods a route may declare. HEAD is answered from GET routes and OPTIONS from the table
 *  (RFC 9110 9.3.2, 9.3.7); neither is declared. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON Schema (2020-12) as a plain object or boolean; ajv checks its keywords at start-up. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** A query parameter: a JSON Schema, plus OpenAPI's parameter-level `required` flag (stripped
 *  before the schema is compiled; JSON Schema's own `required` is an array on objects). */
export type QueryParamSchema = { readonly required?: boolean; readonly description?: string; readonly [keyword: string]: unknown };

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: JsonSchema;
  /** Default: application/json, or application/problem+json for statuses >= 400. */
  readonly contentType?: string;
}

export interface HttpRequest {
  /** As sent; HEAD reaches the GET route of the path. */
  readonly method: HttpMethod | 'HEAD';
  /** The path as received, still percent-encoded, without the query string. */
  readonly path: string;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The declared query parameters after validation: coerced to their schema types, defaults
   *  applied. Undeclared parameters are only in `query`. */
  readonly queryValues: Readonly<Record<string, unknown>>;
  /** Lower-case names; repeated fields joined with ", " (RFC 9110 5.3). */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON for a route with a `body` schema, a first-value record for a `form` route,
   *  undefined otherwise. */
  body: unknown;
  rawBody: Buffer;
  /** Every form parameter in order, for a `form` route (duplicates are the route's business). */
  rawForm: URLSearchParams | undefined;
  /** The peer's address as text: dotted quad for IPv4 and IPv4-mapped IPv6, RFC 5952 otherwise. */
  readonly remoteAddress: string;
  /** Whatever the authorize hook sets (its principal). */
  auth?: unknown;
}

/** `body` is sent as-is when a Buffer or a string, JSON-serialised otherwise. */
export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Overrides the default content type (application/json for values, application/octet-stream
   *  for Buffers, text/plain for strings); a content-type header does the same. */
  readonly contentType?: string;
}

export interface Route {
  readonly method: HttpMethod;
  /** OpenAPI-style template: `/api/v1/endpoints/{endpointId}/tokens`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** The scope this operation requires; the server's `authorize` hook enforces it. */
  readonly permission?: string;
  /** Schemas of the path parameters (default: a non-empty string); validated with coercion. */
  readonly params?: Readonly<Record<string, JsonSchema>>;
  readonly query?: Readonly<Record<string, QueryParamSchema>>;
  /** JSON body schema; the request must be application/json (or +json). */
  readonly body?: JsonSchema;
  /** The body is application/x-www-form-urlencoded (OAuth 2.0 token endpoint, RFC 6749 4.1.3);
   *  `body` then validates the first-value record. */
  readonly form?: boolean;
  /** The JSON body may be left out entirely (no content, no content type): it then counts as
   *  `{}` and is validated as such. A body that is sent must still be application/json. */
  readonly bodyOptional?: boolean;
  readonly responses: Readonly<Record<string, ResponseSpec>>;
  readonly maxBodyBytes?: number;
  handler(req: HttpRequest): Promise<HttpResponse>;
}

/** Returns nothing to let the request through (setting `req.auth`), or the response to send
 *  instead (401, 403). Runs before the body is parsed, for routes that declare a permission. */
export type AuthorizeHook = (req: HttpRequest, route: Route) => Promise<void | HttpResponse>;
