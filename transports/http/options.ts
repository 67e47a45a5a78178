/**
 * The server's options: declared once with their defaults, checked at start-up. A wrong option is
 * the calling code's mistake, so it is a TypeError naming the key, the value and the rule; an
 * unknown key is refused (a misspelt limit would otherwise silently be the default).
 */
import type { Logger } from '../../runtime/index.js';
import { logger } from '../../runtime/index.js';
import { defaultStatusForCode } from './responses.js';
import type { AuthorizeHook, Route } from './types.js';

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port (single instance only: every shard must be given the same real port). */
  readonly port: number;
  readonly routes: readonly Route[];
  /** Default body limit of the routes (a route may set its own). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Longest request target (path and query) before 414. Default 8 KiB. */
  readonly maxUrlLength?: number;
  /** Requests in progress on this server before new ones get 503. Default 10,000. */
  readonly maxInflight?: number;
  /** Peers whose X-Forwarded-* headers are believed: IP addresses or CIDR blocks, v4 or v6. */
  readonly trustedProxies?: readonly string[];
  /** Code of a thrown coded error -> status, merged over `defaultStatusForCode`. */
  readonly statusForCode?: Readonly<Record<string, number>>;
  /** Required when a route declares a permission. */
  readonly authorize?: AuthorizeHook;
  readonly log?: Logger;
  /** How long close() waits for requests in progress before dropping their connections. Default 10 s. */
  readonly closeGraceMs?: number;
  /** Other protocols on the same uWS app (MQTT over WebSocket): each is called with the app before
   *  it listens, and what it returns is stopped when the server closes, before the app is. */
  readonly attach?: ReadonlyArray<HttpAttach>;
}

/** Adds handlers (e.g. `app.ws(...)`) to the server's uWS app. */
export type HttpAttach = (app: UwsAppOf) => Promise<{ stop(): Promise<void> | void }>;
type UwsAppOf = ReturnType<typeof import('../uws.js').uws.App>;

export const httpDefaults = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxUrlLength: 8 * 1024,
  maxInflight: 10_000,
  closeGraceMs: 10_000,
});

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly Route[];
  readonly maxBodyBytes: number;
  readonly maxUrlLength: number;
  readonly maxInflight: number;
  readonly trustedProxies: readonly string[];
  readonly statusForCode: Readonly<Record<string, number>>;
  readonly authorize: AuthorizeHook | undefined;
  readonly log: Logger;
  readonly closeGraceMs: number;
}

const KEYS = new Set([
  'host',
  'port',
  'routes',
  'maxBodyBytes',
  'maxUrlLength',
  'maxInflight',
  'trustedProxies',
  'statusForCode',
  'authorize',
  'log',
  'closeGraceMs',
  'attach',
]);
const RENAMED: Readonly<Record<string, string>> = {
  trustProxy: 'trustedProxies',
  trustedProxy: 'trustedProxies',
  bodyLimit: 'maxBodyBytes',
  maxBodySize: 'maxBodyBytes',
  maxConcurrent: 'maxInflight',
};

function bad(key: string, value: unknown, rule: string): TypeError {
  let shown: string;
  try {
    shown = typeof value === 'function' ? 'a function' : JSON.stringify(value) ?? String(value);
  } catch {
    shown = typeof value;
  }
  return new TypeError(`http server option ${key}: ${shown} ${rule}`);
}

function int(o: HttpServerOptions, key: keyof typeof httpDefaults, min: number): number {
  const v = o[key] ?? httpDefaults[key];
  if (!Number.isSafeInteger(v) || v < min) throw bad(key, v, `must be an integer >= ${min}`);
  return v;
}

export function resolveOptions(o: HttpServerOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError('http server options must be an object');
  for (const key of Object.keys(o)) {
    if (KEYS.has(key)) continue;
    const hint = RENAMED[key];
    throw new TypeError(`http server option ${key} is unknown${hint ? `; did you mean ${hint}?` : ''}`);
  }
  if (typeof o.host !== 'string' || o.host === '') throw bad('host', o.host, 'must be a non-empty string');
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw bad('port', o.port, 'must be an integer from 0 to 65535');
  if (!Array.isArray(o.routes)) throw bad('routes', o.routes, 'must be an array of routes');
  const proxies = o.trustedProxies ?? [];
  if (!Array.isArray(proxies) || proxies.some((p) => typeof p !== 'string')) {
    throw bad('trustedProxies', proxies, 'must be an array of IP addresses or CIDR blocks');
  }
  const table = { ...defaultStatusForCode, ...o.statusForCode };
  for (const [code, status] of Object.entries(table)) {
    if (!Number.isInteger(status) || status < 400 || status > 599) throw bad(`statusForCode.${code}`, status, 'must be an error status (400-599)');
  }
  if (o.authorize !== undefined && typeof o.authorize !== 'function') throw bad('authorize', o.authorize, 'must be a function');
  return {
    host: o.host,
    port: o.port,
    routes: o.routes,
    maxBodyBytes: int(o, 'maxBodyBytes', 0),
    maxUrlLength: int(o, 'maxUrlLength', 1),
    maxInflight: int(o, 'maxInflight', 1),
    trustedProxies: proxies,
    statusForCode: table,
    authorize: o.authorize,
    log: o.log ?? logger('http'),
    closeGraceMs: int(o, 'closeGraceMs', 0),
  };
}
