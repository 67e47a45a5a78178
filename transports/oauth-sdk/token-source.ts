/**
 * A token source for a service that calls fleetgate-protected APIs: it obtains access tokens
 * with the client_credentials grant, keeps the current one, and asks again before it expires.
 *
 * - One request in flight: however many callers wait, they share it (single flight).
 * - Refresh ahead: past `refreshAt` (expiry minus the skew) callers still get the current,
 *   still valid token at once while one background request fetches the next; only a caller
 *   who finds no valid token waits.
 * - After a failure, further requests wait out a bounded exponential backoff (or the server's
 *   Retry-After); callers in that window get the last error at once instead of a new request.
 * - `authorizedFetch` adds the bearer token and, when the API answers 401 with
 *   `error="invalid_token"` (RFC 6750 3), drops that token and retries once with a fresh one.
 */
import { causeText, discover, isHttpUrl } from './discovery.js';
import { OAuthSdkCodes, OAuthSdkError } from './errors.js';
import { buildTokenRequest, isInvalidTokenChallenge, readBounded, readTokenAnswer, type ClientAuthMethod, type IssuedToken } from './wire.js';

export interface TokenSourceOptions {
  /** The token endpoint. Give this or `issuer`. */
  readonly tokenUrl?: string;
  /** The issuer; its token endpoint is found through RFC 8414 metadata. */
  readonly issuer?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `client_secret_basic` (RFC 6749 2.3.1). */
  readonly authMethod?: ClientAuthMethod;
  /** Requested scopes (space-separated or a list); none: everything the client may have. */
  readonly scope?: string | readonly string[];
  /** How long before expiry a new token is fetched. Default: 60 s or 10 % of the lifetime,
   *  whichever is shorter. Never more than half the lifetime. */
  readonly refreshSkewMs?: number;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch. Default: Date.now. */
  readonly clock?: () => number;
  /** Per token request (discovery included). Default 10 s. */
  readonly timeoutMs?: number;
  /** Backoff after failures: first delay and ceiling. Default 250 ms, 30 s. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** In [0, 1): jitter of the backoff (each delay is 50-100 % of the nominal one). Default Math.random. */
  readonly random?: () => number;
  /** Lifetime assumed when the answer has neither expires_in nor a JWT exp. Default 60 s. */
  readonly fallbackLifetimeMs?: number;
}

export interface TokenSource {
  /** A valid access token (cached, refreshed ahead of expiry). */
  token(): Promise<string>;
  /** fetch with `Authorization: Bearer`; one retry with a fresh token on a 401 invalid_token.
   *  The request body is kept (teed) for that one retry. */
  authorizedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Drops the cached token (only if it is still `token`, when given): the next call fetches. */
  invalidate(token?: string): void;
  /** Aborts a request in flight; every later call rejects with ERR_TOKEN_SOURCE_CLOSED. */
  close(): void;
}

const DEFAULT_SKEW_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_BACKOFF_INITIAL_MS = 250;
const DEFAULT_BACKOFF_MAX_MS = 30_000;
const DEFAULT_FALLBACK_LIFETIME_MS = 60_000;
/** RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  return new ClientCredentialsSource(checkOptions(options));
}

interface Checked {
  readonly tokenUrl: string | undefined;
  readonly issuer: string | undefined;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authMethod: ClientAuthMethod;
  readonly scope: string | undefined;
  readonly refreshSkewMs: number | undefined;
  readonly fetch: typeof fetch;
  readonly clock: () => number;
  readonly timeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly random: () => number;
  readonly fallbackLifetimeMs: number;
}

/** Misuse by the calling code is a TypeError here, at construction (never a secret in it). */
function checkOptions(o: TokenSourceOptions): Checked {
  if (typeof o !== 'object' || o === null) throw new TypeError('createTokenSource: options must be an object');
  if ((o.tokenUrl === undefined) === (o.issuer === undefined)) {
    throw new TypeError('createTokenSource: give exactly one of tokenUrl and issuer');
  }
  for (const key of ['tokenUrl', 'issuer'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || !isHttpUrl(v))) {
      throw new TypeError(`createTokenSource: ${key} must be an http(s) URL without credentials`);
    }
  }
  if (typeof o.clientId !== 'string' || o.clientId.length === 0 || o.clientId.length > 512) {
    throw new TypeError('createTokenSource: clientId must be a non-empty string of at most 512 characters');
  }
  if (typeof o.clientSecret !== 'string' || o.clientSecret.length === 0 || o.clientSecret.length > 4096) {
    throw new TypeError('createTokenSource: clientSecret must be a non-empty string of at most 4096 characters');
  }
  const authMethod = o.authMethod ?? 'client_secret_basic';
  if (authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    throw new TypeError(`createTokenSource: authMethod must be client_secret_basic or client_secret_post, got "${String(authMethod)}"`);
  }
  let scope: string | undefined;
  if (o.scope !== undefined) {
    const list = typeof o.scope === 'string' ? o.scope.split(' ').filter((s) => s !== '') : [...o.scope];
    for (const s of list) {
      if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) throw new TypeError(`createTokenSource: "${String(s)}" is not a scope token (RFC 6749 3.3)`);
    }
    scope = list.length === 0 ? undefined : list.join(' ');
  }
  const ms = (name: string, v: number | undefined, dflt: number | undefined, min: number): number | undefined => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new TypeError(`createTokenSource: ${name} must be a number >= ${min}, got ${String(v)}`);
    return v;
  };
  const backoffInitialMs = ms('backoff.initialMs', o.backoff?.initialMs, DEFAULT_BACKOFF_INITIAL_MS, 1) as number;
  const backoffMaxMs = ms('backoff.maxMs', o.backoff?.maxMs, DEFAULT_BACKOFF_MAX_MS, backoffInitialMs) as number;
  for (const key of ['fetch', 'clock', 'random'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') throw new TypeError(`createTokenSource: ${key} must be a function`);
  }
  return {
    tokenUrl: o.tokenUrl,
    issuer: o.issuer,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    authMethod,
    scope,
    refreshSkewMs: ms('refreshSkewMs', o.refreshSkewMs, undefined, 0),
    fetch: o.fetch ?? ((input, init) => fetch(input, init)),
    clock: o.clock ?? Date.now,
    timeoutMs: ms('timeoutMs', o.timeoutMs, DEFAULT_TIMEOUT_MS, 1) as number,
    backoffInitialMs,
    backoffMaxMs,
    random: o.random ?? Math.random,
    fallbackLifetimeMs: ms('fallbackLifetimeMs', o.fallbackLifetimeMs, DEFAULT_FALLBACK_LIFETIME_MS, 1) as number,
  };
}

interface Held extends IssuedToken {
  readonly refreshAt: number;
}

class ClientCredentialsSource implements TokenSource {
  readonly #o: Checked;
  readonly #closing = new AbortController();
  #current: Held | undefined;
  #inflight: Promise<Held> | undefined;
  #tokenUrl: string | undefined;
  #failures = 0;
  #retryAt = 0;
  #lastError: unknown;

  constructor(o: Checked) {
    this.#o = o;
    this.#tokenUrl = o.tokenUrl;
  }

  async token(): Promise<string> {
    if (this.#closing.signal.aborted) throw closedError();
    const now = this.#o.clock();
    const cur = this.#current;
    if (cur !== undefined && now < cur.expiresAt) {
      // Still valid: hand it out now; past refreshAt, one background request fetches the next.
      // A failure there is kept for the backoff and seen by whoever must wait for a token.
      if (now >= cur.refreshAt) this.#refresh(now).catch(() => undefined);
      return cur.accessToken;
    }
    return (await this.#refresh(now)).accessToken;
  }

  invalidate(token?: string): void {
    if (token === undefined || this.#current?.accessToken === token) this.#current = undefined;
  }

  close(): void {
    this.#current = undefined;
    this.#closing.abort();
  }

  async authorizedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const base = new Request(input, init);
    const first = await this.token();
    // A clone for the first attempt keeps the body of `base` for the one retry.
    const res = await this.#o.fetch(withBearer(base.clone(), first));
    if (res.status !== 401 || !isInvalidTokenChallenge(res.headers.get('www-authenticate'))) return res;
    await res.body?.cancel().catch(() => undefined);
    this.invalidate(first);
    const fresh = await this.token();
    return this.#o.fetch(withBearer(base, fresh));
  }

  /** The single flight: joins the request in progress, or starts one unless backing off. */
  #refresh(now: number): Promise<Held> {
    if (this.#inflight !== undefined) return this.#inflight;
    if (now < this.#retryAt) return Promise.reject(this.#lastError);
    const p = this.#request().then(
      (held) => {
        this.#inflight = undefined;
        this.#failures = 0;
        this.#retryAt = 0;
        if (!this.#closing.signal.aborted) this.#current = held;
        return held;
      },
      (err: unknown) => {
        this.#inflight = undefined;
        const e = this.#closing.signal.aborted ? closedError() : err;
        this.#noteFailure(e);
        throw e;
      },
    );
    this.#inflight = p;
    return p;
  }

  #noteFailure(err: unknown): void {
    this.#failures += 1;
    this.#lastError = err;
    const nominal = Math.min(this.#o.backoffMaxMs, this.#o.backoffInitialMs * 2 ** Math.min(this.#failures - 1, 30));
    let delay = nominal * (0.5 + 0.5 * Math.min(1, Math.max(0, this.#o.random())));
    const asked = (err as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof asked === 'number') delay = Math.max(delay, Math.min(asked, this.#o.backoffMaxMs));
    this.#retryAt = this.#o.clock() + delay;
  }

  async #request(): Promise<Held> {
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#o.timeoutMs)]);
    let url = this.#tokenUrl;
    if (url === undefined) {
      const found = await discover(this.#o.issuer as string, this.#o.authMethod, this.#o.fetch, signal);
      url = found.tokenEndpoint;
      this.#tokenUrl = url;
    }
    const { headers, body } = buildTokenRequest(this.#o);
    const sentAt = this.#o.clock();
    let res: Response;
    try {
      // No redirects: a 3xx would carry the credentials to wherever it points.
      res = await this.#o.fetch(url, { method: 'POST', headers, body, signal, redirect: 'error' });
    } catch (err) {
      throw new OAuthSdkError(OAuthSdkCodes.NETWORK, `token endpoint ${url} could not be reached: ${causeText(err)}`, { cause: err });
    }
    let text: string;
    try {
      text = await readBounded(res);
    } catch (err) {
      if (err instanceof OAuthSdkError) throw err;
      throw new OAuthSdkError(OAuthSdkCodes.NETWORK, `token endpoint ${url}: the answer broke off: ${causeText(err)}`, { cause: err });
    }
    const issued = readTokenAnswer(res.status, res.headers, text, sentAt, this.#o.fallbackLifetimeMs);
    const lifetime = issued.expiresAt - sentAt;
    const skew = Math.min(this.#o.refreshSkewMs ?? Math.min(DEFAULT_SKEW_MS, lifetime * 0.1), lifetime / 2);
    return { ...issued, refreshAt: issued.expiresAt - skew };
  }
}

function withBearer(req: Request, token: string): Request {
  const headers = new Headers(req.headers);
  headers.set('authorization', `Bearer ${token}`);
  return new Request(req, { headers });
}

function closedError(): OAuthSdkError {
  return new OAuthSdkError(OAuthSdkCodes.CLOSED, 'the token source is closed');
}
