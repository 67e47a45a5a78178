/**
 * Backend configuration as the caller gives it, checked once. A wrong option is a programming
 * or configuration mistake, so it is a TypeError naming the key and the rule (never echoing a
 * URL: it may carry a password).
 */
import type { MariadbOptions } from './mariadb/sql.js';

export type BackendConfig =
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'mariadb'; url: string; poolSize?: number };

const KEYS: Record<BackendConfig['kind'], readonly string[]> = {
  pglite: ['kind', 'dataDir'],
  postgres: ['kind', 'url', 'poolSize'],
  mariadb: ['kind', 'url', 'poolSize'],
};

/** Refuses keys that the kind does not take: a misspelt `poolsize` must not pass silently. */
export function checkKeys(cfg: BackendConfig): void {
  const allowed = KEYS[cfg.kind];
  for (const key of Object.keys(cfg)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`storage ${cfg.kind}: unknown option "${key}" (accepted: ${allowed.join(', ')})`);
    }
  }
}

export const DEFAULT_POOL_SIZE = 10;
const MAX_POOL_SIZE = 1000;
const MARIADB_DEFAULT_PORT = 3306;

export function checkPoolSize(kind: string, poolSize: unknown): number {
  if (poolSize === undefined) return DEFAULT_POOL_SIZE;
  if (typeof poolSize !== 'number' || !Number.isInteger(poolSize) || poolSize < 1 || poolSize > MAX_POOL_SIZE) {
    throw new TypeError(`storage ${kind}: poolSize must be an integer in 1..${MAX_POOL_SIZE}`);
  }
  return poolSize;
}

function parseUrl(kind: string, url: unknown, protocols: readonly string[]): URL {
  let parsed: URL | undefined;
  if (typeof url === 'string') {
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
  }
  if (parsed === undefined || !protocols.includes(parsed.protocol) || parsed.hostname === '') {
    throw new TypeError(`storage ${kind}: url must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL with a host`);
  }
  return parsed;
}

export function checkPostgresUrl(url: unknown): string {
  // pg itself reads the URL (and its sslmode & co. parameters); only its shape is checked here.
  parseUrl('postgres', url, ['postgres:', 'postgresql:']);
  return url as string;
}

export function mariadbOptions(url: unknown, poolSize: unknown): MariadbOptions {
  const u = parseUrl('mariadb', url, ['mariadb:', 'mysql:']);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (u.username === '' || database === '' || database.includes('/')) {
    throw new TypeError('storage mariadb: url must name a user and a database (mariadb://user:password@host:port/database)');
  }
  const unknownKeys = [...u.searchParams.keys()];
  if (unknownKeys.length > 0) {
    throw new TypeError(`storage mariadb: url query parameters are not supported (got ${unknownKeys.join(', ')})`);
  }
  return {
    host: u.hostname,
    port: u.port === '' ? MARIADB_DEFAULT_PORT : Number(u.port),
    user: decodeURIComponent(u.username),
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
    database,
    connectionLimit: checkPoolSize('mariadb', poolSize),
  };
}
