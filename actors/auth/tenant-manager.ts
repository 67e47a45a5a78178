/**
 * The Tenant Manager client: which issuer a tenant's tokens come from. Kaa's Tenant Manager
 * (REST v1) describes a tenant as `{ id, realm_name, issuer, status, ... }`; fleetgate reads
 * `GET <url>/api/v1/tenants/{tenantId}` (one tenant, rather than paging through `GET /tenants`,
 * so the answer stays small however many tenants there are).
 *
 * The JWKS of the issuer is the tenant's `jwks_uri` when the Tenant Manager gives one, else
 * Keycloak's certificate endpoint of the realm (`<issuer>/protocol/openid-connect/certs`),
 * as each Kaa tenant is a Keycloak realm. A tenant whose `status` is present and not
 * `AVAILABLE` has no issuer yet (it is being created or deleted).
 *
 * Answers, including "no such tenant", are cached (lru-cache) for `auth.tenantManager.cacheTtlMs`;
 * concurrent lookups of one tenant share one request. When the Tenant Manager cannot be reached,
 * a stale answer is used if there is one; with nothing cached the lookup fails closed
 * (ERR_AUTH_UNAVAILABLE, answered 503).
 */
import { LRUCache } from 'lru-cache';
import { unavailable } from './errors.js';

export interface TenantSecurity {
  readonly tenantId: string;
  readonly issuer: string;
  readonly jwksUrl: string;
}

export interface TenantManagerOptions {
  /** Base URL, without the /api/v1 part. */
  url: string;
  /** Sent as `Authorization: Bearer`; null sends none. */
  token: string | null;
  cacheTtlMs: number;
  timeoutMs: number;
  /** Tenants remembered (default 10,000). */
  maxEntries?: number;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

/** What the cache holds: a tenant, or the Tenant Manager's "no such tenant". */
type Entry = { found: true; tenant: TenantSecurity } | { found: false };

const TENANT = /^[A-Za-z0-9._~-]{1,128}$/;
const URL_TEXT = /^https?:\/\/[^\s]{1,2040}$/;
const MAX_ANSWER_BYTES = 64 * 1024;

export class TenantManager {
  readonly #o: TenantManagerOptions;
  readonly #fetch: typeof fetch;
  readonly #cache: LRUCache<string, Entry>;
  /** Requests made so far (tests check the cache with it). */
  requests = 0;

  constructor(o: TenantManagerOptions) {
    if (!URL_TEXT.test(o.url)) throw new TypeError(`TenantManager: url must be an http(s) URL, got ${JSON.stringify(o.url)}`);
    this.#o = { ...o, url: o.url.replace(/\/+$/, '') };
    this.#fetch = o.fetch ?? fetch;
    this.#cache = new LRUCache<string, Entry>({
      max: o.maxEntries ?? 10_000,
      ttl: o.cacheTtlMs,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      fetchMethod: (tenantId, _stale, { signal }) => this.#ask(tenantId, signal),
    });
  }

  /** The tenant's issuer, or null when the Tenant Manager does not know the tenant (or it is
   *  not available). Rejects with ERR_AUTH_UNAVAILABLE when it cannot be asked and nothing is
   *  cached. */
  async lookup(tenantId: string): Promise<TenantSecurity | null> {
    if (!TENANT.test(tenantId)) return null;
    let entry: Entry | undefined;
    try {
      entry = await this.#cache.fetch(tenantId);
    } catch (err) {
      throw unavailable('the Tenant Manager cannot be reached', err);
    }
    if (entry === undefined) throw unavailable('the Tenant Manager cannot be reached');
    return entry.found ? entry.tenant : null;
  }

  async #ask(tenantId: string, signal: AbortSignal): Promise<Entry> {
    this.requests++;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#o.token !== null) headers.authorization = `Bearer ${this.#o.token}`;
    const res = await this.#fetch(`${this.#o.url}/api/v1/tenants/${encodeURIComponent(tenantId)}`, {
      headers,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.#o.timeoutMs)]),
      redirect: 'error',
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return { found: false };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`Tenant Manager answered ${res.status}`);
    }
    const text = await res.text();
    if (text.length > MAX_ANSWER_BYTES) throw new Error('Tenant Manager answer too large');
    const body = JSON.parse(text) as Record<string, unknown>;
    if (body === null || typeof body !== 'object') throw new Error('Tenant Manager answer is not an object');
    const { id, issuer, status, jwks_uri: jwksUri } = body;
    if (id !== undefined && id !== tenantId) throw new Error('Tenant Manager answered for another tenant');
    if (status !== undefined && status !== 'AVAILABLE') return { found: false };
    if (typeof issuer !== 'string' || !URL_TEXT.test(issuer)) return { found: false };
    const jwksUrl = typeof jwksUri === 'string' && URL_TEXT.test(jwksUri) ? jwksUri : `${issuer.replace(/\/+$/, '')}/protocol/openid-connect/certs`;
    return { found: true, tenant: { tenantId, issuer, jwksUrl } };
  }
}
