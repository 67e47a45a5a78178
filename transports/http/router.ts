/**
 * Path templates to routes, independent of uWS's router: uWS gets one `any('/*')`, and this table
 * decides 404 (no path) from 405 (path, other method), so that the `Allow` header RFC 9110
 * 15.5.6 requires with a 405 is right, and the OpenAPI document is generated from the same table.
 *
 * A segment trie: static segments win over a parameter at the same depth, with backtracking, so
 * `/tokens/mine` and `/tokens/{id}` coexist. Matching runs on the raw (still percent-encoded)
 * path and only the parameter values are decoded, so an encoded "/" (%2F) stays inside a value.
 */
import type { HttpMethod } from './types.js';

export const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** What the router needs to know of a route. */
export interface Routable {
  readonly method: HttpMethod;
  readonly path: string;
}

interface Node<R> {
  readonly statics: Map<string, Node<R>>;
  param: Node<R> | undefined;
  readonly routes: Map<HttpMethod, { route: R; names: readonly string[] }>;
}

export type Match<R> =
  | { readonly kind: 'found'; readonly route: R; readonly params: Record<string, string> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'bad-path'; readonly param: string };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
/** RFC 3986 pchar without percent-encoding: a template literal is written unencoded. */
const LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;

/** The parameter names of a template, in order; TypeError when the template is malformed. */
export function templateParams(path: string): string[] {
  if (!path.startsWith('/')) throw new TypeError(`route path ${JSON.stringify(path)} must start with "/"`);
  const names: string[] = [];
  for (const seg of splitPath(path)) {
    const m = PARAM.exec(seg);
    if (m !== null) {
      const name = m[1] as string;
      if (names.includes(name)) throw new TypeError(`route path ${path} names parameter {${name}} twice`);
      names.push(name);
    } else if (!LITERAL.test(seg)) {
      throw new TypeError(
        `route path ${path}: segment ${JSON.stringify(seg)} must be a literal (RFC 3986 pchar, unencoded) or a whole {param}`,
      );
    }
  }
  return names;
}

function splitPath(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

export class Router<R extends Routable> {
  readonly #root: Node<R> = newNode();

  constructor(routes: readonly R[]) {
    for (const r of routes) this.#add(r);
  }

  #add(route: R): void {
    const names = templateParams(route.path);
    let node = this.#root;
    for (const seg of splitPath(route.path)) {
      if (PARAM.test(seg)) {
        node.param ??= newNode();
        node = node.param;
      } else {
        let next = node.statics.get(seg);
        if (next === undefined) node.statics.set(seg, (next = newNode()));
        node = next;
      }
    }
    if (node.routes.has(route.method)) {
      throw new TypeError(`two routes answer ${route.method} ${route.path} (parameter names aside, the templates are the same)`);
    }
    node.routes.set(route.method, { route, names });
  }

  match(method: string, rawPath: string): Match<R> {
    const segs = splitPath(rawPath);
    const values: string[] = [];
    const candidates: Array<{ node: Node<R>; values: string[] }> = [];
    collect(this.#root, segs, 0, values, candidates);
    if (candidates.length === 0) return { kind: 'not-found' };
    // RFC 9110 9.3.2: HEAD is GET without the content.
    const lookup = (method === 'HEAD' ? 'GET' : method) as HttpMethod;
    for (const c of candidates) {
      const hit = c.node.routes.get(lookup);
      if (hit === undefined) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < hit.names.length; i++) {
        const name = hit.names[i] as string;
        try {
          params[name] = decodeURIComponent(c.values[i] as string);
        } catch {
          return { kind: 'bad-path', param: name };
        }
      }
      return { kind: 'found', route: hit.route, params };
    }
    return { kind: 'method-not-allowed', allow: allowOf(candidates) };
  }

  /** The methods the path answers, for OPTIONS; empty when no route has the path. */
  allow(rawPath: string): readonly string[] {
    const candidates: Array<{ node: Node<R>; values: string[] }> = [];
    collect(this.#root, splitPath(rawPath), 0, [], candidates);
    return candidates.length === 0 ? [] : allowOf(candidates);
  }
}

function newNode<R>(): Node<R> {
  return { statics: new Map(), param: undefined, routes: new Map() };
}

/** Every node (most specific first) whose template matches the whole path and has routes. */
function collect<R>(node: Node<R>, segs: string[], i: number, values: string[], out: Array<{ node: Node<R>; values: string[] }>): void {
  if (i === segs.length) {
    if (node.routes.size > 0) out.push({ node, values: [...values] });
    return;
  }
  const seg = segs[i] as string;
  const next = node.statics.get(seg);
  if (next !== undefined) collect(next, segs, i + 1, values, out);
  // An empty segment ("//", trailing "/") never binds a parameter.
  if (node.param !== undefined && seg !== '') {
    values.push(seg);
    collect(node.param, segs, i + 1, values, out);
    values.pop();
  }
}

/** Any method routed for this path by any matching template, plus HEAD and OPTIONS. */
function allowOf<R>(candidates: ReadonlyArray<{ node: Node<R> }>): string[] {
  const set = new Set<string>();
  for (const c of candidates) for (const m of c.node.routes.keys()) set.add(m);
  const allow = METHODS.filter((m) => set.has(m)) as string[];
  if (set.has('GET')) allow.splice(1, 0, 'HEAD');
  allow.push('OPTIONS');
  return allow;
}
