/**
 * The bytes of one client_credentials exchange (RFC 6749 4.4): the request a confidential
 * client sends, and the reading of the answer, success (5.1) or error (5.2). Pure apart from
 * the bounded body read, so every rule is tested on values, without a server.
 */
import { decodeJwt } from 'jose';
import { OAuthSdkCodes, OAuthSdkError, TokenRequestError } from './errors.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** Token and metadata answers are small; a larger body is a broken or hostile server. */
export const MAX_BODY_BYTES = 64 * 1024;
/** RFC 6749 5.2 descriptions are short; a server's novel is cut before it reaches a log line. */
const MAX_DESCRIPTION_CHARS = 512;

export interface TokenRequestInit {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authMethod: ClientAuthMethod;
  readonly scope: string | undefined;
}

/** `application/x-www-form-urlencoded` encoding of one value (space as '+', as servers decode). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** Headers and body of the token request. */
export function buildTokenRequest(init: TokenRequestInit): { headers: Record<string, string>; body: string } {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (init.scope !== undefined) form.set('scope', init.scope);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (init.authMethod === 'client_secret_basic') {
    // RFC 6749 2.3.1: id and secret are form-encoded before they are joined and base64-encoded,
    // so a ':' or a non-ASCII character in either survives the trip.
    const pair = `${formEncode(init.clientId)}:${formEncode(init.clientSecret)}`;
    headers['authorization'] = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  } else {
    form.set('client_id', init.clientId);
    form.set('client_secret', init.clientSecret);
  }
  return { headers, body: form.toString() };
}

/** A usable access token and when it stops being one (ms on the source's clock). */
export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresAt: number;
  readonly scope: string | undefined;
}

/**
 * Reads a token answer. `sentAt` is the clock when the request left: the lifetime counts from
 * there, never from arrival, so a slow answer shortens the token's life rather than extends it.
 * Without `expires_in` (only RECOMMENDED by RFC 6749 5.1) a JWT's `exp` is read, unverified,
 * for caching only; failing both, `fallbackLifetimeMs` applies.
 */
export function readTokenAnswer(status: number, headers: Headers, text: string, sentAt: number, fallbackLifetimeMs: number): IssuedToken {
  const body = parseJsonObject(text);
  if (status !== 200) throw refusal(status, headers, body);
  if (body === undefined) throw malformed('the token answer is not a JSON object');
  const accessToken = body['access_token'];
  if (typeof accessToken !== 'string' || accessToken.length === 0) throw malformed('the token answer has no access_token');
  const tokenType = body['token_type'];
  // RFC 6749 7.1: the type is case-insensitive; only Bearer (RFC 6750) can be presented here.
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw malformed(`the token type is ${typeof tokenType === 'string' ? `"${tokenType.slice(0, 40)}"` : 'missing'}, not Bearer`);
  }
  const scope = typeof body['scope'] === 'string' ? body['scope'] : undefined;
  const expiresIn = body['expires_in'];
  if (expiresIn !== undefined) {
    if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw malformed('expires_in is not a positive number of seconds');
    }
    return { accessToken, expiresAt: sentAt + expiresIn * 1000, scope };
  }
  return { accessToken, expiresAt: jwtExpiry(accessToken, sentAt) ?? sentAt + fallbackLifetimeMs, scope };
}

function jwtExpiry(token: string, sentAt: number): number | undefined {
  try {
    const { exp, iat } = decodeJwt(token);
    if (typeof exp !== 'number') return undefined;
    // Measured against the server's own iat when there is one, so clock skew does not matter.
    const lifetimeMs = typeof iat === 'number' ? (exp - iat) * 1000 : exp * 1000 - sentAt;
    return lifetimeMs > 0 ? sentAt + lifetimeMs : undefined;
  } catch {
    return undefined;
  }
}

/** The error of a non-200 answer: RFC 6749 5.2 fields when the body has them. */
export function refusal(status: number, headers: Headers, body: Record<string, unknown> | undefined): TokenRequestError {
  const code = body?.['error'];
  const desc = body?.['error_description'];
  return new TokenRequestError({
    error: typeof code === 'string' && /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,128}$/.test(code) ? code : `http_${status}`,
    errorDescription: typeof desc === 'string' ? desc.slice(0, MAX_DESCRIPTION_CHARS) : undefined,
    status,
    retryAfterMs: retryAfterMs(headers.get('retry-after')),
  });
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 10.2.3), in ms; undefined otherwise. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function malformed(why: string): OAuthSdkError {
  return new OAuthSdkError(OAuthSdkCodes.TOKEN_RESPONSE, why);
}

/** The body as text, refusing more than `max` bytes (the rest is not read). */
export async function readBounded(res: Response, max: number = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new OAuthSdkError(OAuthSdkCodes.TOKEN_RESPONSE, `the answer is ${declared} bytes, more than the ${max} accepted`);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new OAuthSdkError(OAuthSdkCodes.TOKEN_RESPONSE, `the answer is more than the ${max} bytes accepted`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * RFC 8414 3.1: the metadata URL of an issuer, the well-known segment inserted between the host
 * and the issuer's path (`https://a.example/t1` -> `https://a.example/.well-known/oauth-authorization-server/t1`).
 */
export function metadataUrl(issuer: string): string {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}/.well-known/oauth-authorization-server${path}`;
}

/**
 * RFC 6750 3: does this 401 say the presented token itself is bad (`error="invalid_token"`)?
 * Only then is a fresh token worth one retry; a missing scope (403) or no challenge is not.
 */
export function isInvalidTokenChallenge(wwwAuthenticate: string | null): boolean {
  if (wwwAuthenticate === null) return false;
  return /(?:^|,|\s)bearer\b[^]*?\berror\s*=\s*"?invalid_token"?/i.test(wwwAuthenticate);
}
