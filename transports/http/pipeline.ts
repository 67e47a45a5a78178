/**
 * The request pipeline, apart from the socket: what to answer, given a request head and a
 * promise of its body. The uWS glue (server.ts) reads the head synchronously, calls `prepare`
 * in the same tick (the route decides the body limit, and uWS wants `onData` attached before
 * the callback returns), then `run`, and writes what comes back.
 *
 * Order of checks, each cheaper than the next: URI length (414), route (404/405/501), declared
 * length (413), then asynchronously: authorize (401/403), path and query parameters (400),
 * content type (415), streamed length (413), JSON or form syntax (400), body schema (400),
 * handler.
 */
import type { Logger } from '../../runtime/index.js';
import { hasCode } from '../../runtime/index.js';
import { FORM_TYPE, isJsonType, mediaType, parseContentLength } from './body.js';
import { errorResponse, internalError } from './error-map.js';
import { bindTrust, type ProxyTrust } from './proxy.js';
import { HttpCodes, problem } from './responses.js';
import { METHODS, Router } from './router.js';
import { reasonPhrase } from './status.js';
import type { AuthorizeHook, HttpRequest, HttpResponse, JsonSchema, Route } from './types.js';
import { Validators, violationDetail, type Check, type Violation } from './validation.js';

/** What the socket layer copies out of uWS's request before the callback returns. */
export interface RequestHead {
  /** As sent: methods are case-sensitive (RFC 9110 9.1). */
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly remoteAddress: string;
}

export interface PipelineOptions {
  readonly maxBodyBytes: number;
  readonly maxUrlLength: number;
  readonly statusForCode: Readonly<Record<string, number>>;
  readonly authorize: AuthorizeHook | undefined;
  readonly trust: ProxyTrust;
  readonly log: Logger;
}

interface Compiled {
  readonly method: Route['method'];
  readonly path: string;
  readonly route: Route;
  readonly limit: number;
  readonly checkParams: Check | undefined;
  readonly checkQuery: Check | undefined;
  readonly arrayParams: ReadonlySet<string>;
  readonly checkBody: Check | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type Prepared =
  | { readonly kind: 'reply'; readonly response: HttpResponse; readonly close: boolean }
  | { readonly kind: 'run'; readonly route: Compiled; readonly req: HttpRequest; readonly limit: number; readonly contentLength: number | undefined };

const STRING_PARAM: JsonSchema = { type: 'string', minLength: 1 };

export class Pipeline {
  readonly #router: Router<Compiled>;
  readonly #opts: PipelineOptions;

  /** TypeError at construction for a malformed table: bad templates, duplicate routes or
   *  operationIds, invalid schemas, a permission without an authorize hook. */
  constructor(routes: readonly Route[], opts: PipelineOptions) {
    this.#opts = opts;
    const validators = new Validators();
    const ids = new Set<string>();
    const compiled = routes.map((route) => {
      if (ids.has(route.operationId)) throw new TypeError(`two routes have operationId ${route.operationId}`);
      ids.add(route.operationId);
      return compile(route, validators, opts);
    });
    this.#router = new Router(compiled);
  }

  prepare(head: RequestHead): Prepared {
    const o = this.#opts;
    if (head.path.length + (head.query === '' ? 0 : head.query.length + 1) > o.maxUrlLength) {
      return fail(414, HttpCodes.URL_TOO_LONG, `the request target exceeds ${o.maxUrlLength} bytes`);
    }
    const known = head.method === 'HEAD' || head.method === 'OPTIONS' || (METHODS as readonly string[]).includes(head.method);
    if (!known) {
      // RFC 9110 9.1: a method the origin does not implement is 501, whatever the path.
      return fail(501, HttpCodes.METHOD_NOT_IMPLEMENTED, `the method ${head.method} is not implemented`);
    }
    if (head.method === 'OPTIONS') {
      const allow = this.#router.allow(head.path);
      if (allow.length === 0) return fail(404, HttpCodes.NOT_FOUND, `no resource at ${head.path}`);
      return { kind: 'reply', response: { status: 204, headers: { allow: allow.join(', ') } }, close: false };
    }
    const m = this.#router.match(head.method, head.path);
    if (m.kind === 'not-found') return fail(404, HttpCodes.NOT_FOUND, `no resource at ${head.path}`);
    if (m.kind === 'bad-path') {
      return fail(400, HttpCodes.BAD_PATH, `the path parameter ${m.param} is not valid percent-encoded UTF-8`);
    }
    if (m.kind === 'method-not-allowed') {
      const allow = m.allow.join(', ');
      // RFC 9110 15.5.6: a 405 MUST carry Allow.
      return fail(405, HttpCodes.METHOD_NOT_ALLOWED, `${head.path} answers ${allow}`, { allow });
    }
    const c = m.route;
    const contentLength = parseContentLength(head.headers['content-length']);
    if (contentLength !== undefined && contentLength > c.limit) {
      return { ...fail(413, HttpCodes.BODY_TOO_LARGE, `the request body exceeds ${c.limit} bytes`, undefined, { limit: c.limit }), close: true };
    }
    const req: Mutable<HttpRequest> = {
      method: head.method as HttpRequest['method'],
      path: head.path,
      params: m.params,
      query: new URLSearchParams(head.query),
      queryValues: {},
      headers: head.headers,
      body: undefined,
      rawBody: EMPTY,
      rawForm: undefined,
      remoteAddress: head.remoteAddress,
    };
    bindTrust(req, o.trust);
    return { kind: 'run', route: c, req, limit: c.limit, contentLength };
  }

  /** Never rejects: every failure becomes a response. */
  async run(c: Compiled, req: Mutable<HttpRequest>, body: Promise<Buffer>): Promise<HttpResponse> {
    const { route } = c;
    try {
      if (route.permission !== undefined && this.#opts.authorize !== undefined) {
        const refused: unknown = await this.#opts.authorize(req, route);
        if (refused !== undefined) return this.#checked(refused, 'authorize hook', route);
      }
      const bad = this.#checkParams(c, req) ?? this.#checkContentType(route, req);
      if (bad !== undefined) return bad;

      let raw: Buffer;
      try {
        raw = await body;
      } catch (err) {
        if (hasCode(err, HttpCodes.BODY_TOO_LARGE)) {
          return problem(413, HttpCodes.BODY_TOO_LARGE, reasonPhrase(413), `the request body exceeds ${c.limit} bytes`, { limit: c.limit });
        }
        if (hasCode(err, HttpCodes.CLIENT_ABORTED)) return { status: 400 }; // never sent: nobody listens
        throw err;
      }
      req.rawBody = raw;
      if (route.form === true) {
        const form = new URLSearchParams(raw.toString('utf8'));
        req.rawForm = form;
        req.body = firstValues(form);
      } else if (route.body !== undefined && route.bodyOptional === true && raw.length === 0 && absentBody(req)) {
        req.body = {};
      } else if (route.body !== undefined) {
        try {
          req.body = JSON.parse(raw.toString('utf8')) as unknown;
        } catch {
          return problem(400, HttpCodes.BAD_JSON, reasonPhrase(400), 'the request body is not valid JSON (RFC 8259)');
        }
      }
      const v = c.checkBody?.(req.body);
      if (v !== undefined) return invalid(v);

      return this.#checked(await route.handler(req), 'request handler', route);
    } catch (err) {
      return errorResponse(err, this.#opts.statusForCode, this.#opts.log, { operationId: route.operationId, method: req.method, path: req.path });
    }
  }

  /** What a hook or handler returned, if it is a response; else a logged 500 (fail closed: an
   *  authorize hook returning junk does not let the request through). */
  #checked(v: unknown, who: string, route: Route): HttpResponse {
    if (isResponse(v)) return v;
    this.#opts.log.error({ operationId: route.operationId }, `${who} returned something that is not an HttpResponse`);
    return internalError();
  }

  #checkParams(c: Compiled, req: Mutable<HttpRequest>): HttpResponse | undefined {
    if (c.checkParams !== undefined) {
      const v = c.checkParams(req.params);
      if (v !== undefined) return invalid(v);
    }
    if (c.checkQuery !== undefined) {
      const values: Record<string, unknown> = {};
      for (const name of Object.keys(c.route.query ?? {})) {
        if (c.arrayParams.has(name)) {
          const all = req.query.getAll(name);
          if (all.length > 0) values[name] = all;
        } else {
          const one = req.query.get(name);
          if (one !== null) values[name] = one;
        }
      }
      const v = c.checkQuery(values);
      if (v !== undefined) return invalid(v);
      req.queryValues = values;
    }
    return undefined;
  }

  #checkContentType(route: Route, req: HttpRequest): HttpResponse | undefined {
    if (route.form !== true && route.body === undefined) return undefined;
    if (route.bodyOptional === true && absentBody(req)) return undefined;
    const type = mediaType(req.headers['content-type']);
    const ok = route.form === true ? type === FORM_TYPE : isJsonType(type);
    if (ok) return undefined;
    const want = route.form === true ? FORM_TYPE : 'application/json';
    return problem(415, HttpCodes.UNSUPPORTED_MEDIA_TYPE, reasonPhrase(415), `the request body must be ${want}`);
  }
}

const EMPTY = Buffer.alloc(0);

/** No content type and no content (RFC 9110 8.6: no Content-Length, or 0, and no chunks). */
function absentBody(req: HttpRequest): boolean {
  const h = req.headers;
  return h['content-type'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0') && h['transfer-encoding'] === undefined;
}

function compile(route: Route, validators: Validators, opts: PipelineOptions): Compiled {
  const id = route.operationId;
  if (typeof id !== 'string' || id === '') throw new TypeError(`route ${route.method} ${route.path} has no operationId`);
  if (typeof route.handler !== 'function') throw new TypeError(`route ${id} has no handler`);
  if (route.permission !== undefined && opts.authorize === undefined) {
    // Fail closed: a declared permission that nothing enforces would be an open door.
    throw new TypeError(`route ${id} declares permission ${route.permission} but the server has no authorize hook`);
  }
  const limit = route.maxBodyBytes ?? opts.maxBodyBytes;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`route ${id}: maxBodyBytes must be a non-negative integer, got ${limit}`);

  const pathParams: Record<string, JsonSchema> = {};
  const names = [...route.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
  for (const name of names) pathParams[name] = route.params?.[name] ?? STRING_PARAM;
  for (const name of Object.keys(route.params ?? {})) {
    if (!names.includes(name)) throw new TypeError(`route ${id} declares a schema for {${name}}, which its path does not have`);
  }
  const query = route.query ?? {};
  const arrayParams = new Set(Object.keys(query).filter((n) => isArraySchema(query[n])));
  return {
    method: route.method,
    path: route.path,
    route,
    limit,
    checkParams: names.length > 0 ? validators.params('path', pathParams, id, true) : undefined,
    checkQuery: Object.keys(query).length > 0 ? validators.params('query', query, id, false) : undefined,
    arrayParams,
    checkBody: route.body !== undefined ? validators.body(route.body, id) : undefined,
  };
}

function isArraySchema(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const t = (s as { type?: unknown }).type;
  return t === 'array' || (Array.isArray(t) && t.includes('array'));
}

function firstValues(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  // defineProperty: a parameter named "__proto__" is data, not a prototype to set.
  for (const [k, v] of form) if (!Object.hasOwn(out, k)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

function invalid(v: Violation): HttpResponse {
  return problem(400, HttpCodes.VALIDATION, reasonPhrase(400), violationDetail(v), { errors: [v] });
}

function fail(status: number, code: string, detail: string, headers?: Record<string, string>, ext?: Record<string, unknown>): Prepared & { kind: 'reply' } {
  return { kind: 'reply', response: problem(status, code, reasonPhrase(status), detail, ext, headers), close: false };
}

function isResponse(v: unknown): v is HttpResponse {
  if (typeof v !== 'object' || v === null) return false;
  const s = (v as { status?: unknown }).status;
  const h = (v as { headers?: unknown }).headers;
  return Number.isInteger(s) && (s as number) >= 200 && (s as number) <= 599 && (h === undefined || (typeof h === 'object' && h !== null));
}
