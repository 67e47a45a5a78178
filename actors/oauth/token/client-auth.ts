/**
 * Which client authentication a request presents (RFC 6749 2.3, RFC 7523 2.2), read from the
 * Authorization header and the form, before anything is verified:
 *  - client_secret_basic: `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`
 *    (2.3.1: both parts are form-urlencoded before base64);
 *  - client_secret_post: client_id and client_secret in the body;
 *  - private_key_jwt: client_assertion_type jwt-bearer and client_assertion (client_id optional).
 * More than one at once is invalid_request ("MUST NOT use more than one authentication method in
 * each request", 2.3); none is invalid_client.
 */
import { invalidRequest, OAuthError } from './errors.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 6749 5.2: the challenge sent back when the client tried Basic. */
export const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="fleetgate"' } as const;

export type Presented =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly assertion: string };

/** Bounds: a client id is at most 255 characters (storage), a secret at most 1024. */
const MAX_ID = 255;
const MAX_SECRET = 1024;
const MAX_ASSERTION = 16_384;
/** base64 of an id and a secret, each percent-encoded (3 bytes a character at most), and a colon. */
const MAX_BASIC = 4 * Math.ceil((3 * (MAX_ID + MAX_SECRET) + 1) / 3);
// Visible ASCII and space, as RFC 6749 A.1 (VSCHAR) allows for client_id and client_secret.
const VSCHAR = /^[\x20-\x7e]+$/;

export function invalidClient(detail: string, basic: boolean): OAuthError {
  return new OAuthError('invalid_client', 401, 'client authentication failed', { detail, ...(basic ? { headers: { ...BASIC_CHALLENGE } } : {}) });
}

function formDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function basic(header: string): { clientId: string; secret: string } {
  const b64 = header.slice(6).trim();
  if (b64.length > MAX_BASIC || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw invalidClient('malformed Basic credentials', true);
  }
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon === -1) throw invalidClient('malformed Basic credentials', true);
  const clientId = formDecode(text.slice(0, colon));
  const secret = formDecode(text.slice(colon + 1));
  if (clientId === undefined || secret === undefined) throw invalidClient('malformed Basic credentials', true);
  return { clientId, secret };
}

/** Throws invalid_request (several methods, missing parts) or invalid_client (none, malformed). */
export function presented(authorization: string | undefined, form: ReadonlyMap<string, string>): Presented {
  const isBasic = authorization !== undefined && /^basic /i.test(authorization);
  const post = form.has('client_secret');
  const jwt = form.has('client_assertion') || form.has('client_assertion_type');
  const count = Number(isBasic) + Number(post) + Number(jwt);
  if (count > 1) throw invalidRequest('more than one client authentication method in the request (RFC 6749 2.3)');
  const formId = form.get('client_id');
  let p: Presented;
  if (isBasic) {
    const b = basic(authorization);
    // RFC 6749 2.3.1 allows client_id in the body with Basic only if it names the same client.
    if (formId !== undefined && formId !== b.clientId) throw invalidRequest('client_id does not match the client of the Authorization header');
    p = { method: 'client_secret_basic', ...b };
  } else if (post) {
    if (formId === undefined) throw invalidRequest('client_secret without client_id');
    p = { method: 'client_secret_post', clientId: formId, secret: form.get('client_secret') as string };
  } else if (jwt) {
    const type = form.get('client_assertion_type');
    const assertion = form.get('client_assertion');
    if (type === undefined || assertion === undefined) throw invalidRequest('client_assertion and client_assertion_type go together (RFC 7521 4.2)');
    if (type !== JWT_BEARER) throw invalidRequest(`client_assertion_type must be ${JWT_BEARER}`);
    if (assertion.length > MAX_ASSERTION) throw invalidClient('client assertion too long', false);
    const clientId = formId ?? assertionSubject(assertion);
    if (clientId === undefined) throw invalidClient('client assertion without a subject', false);
    p = { method: 'private_key_jwt', clientId, assertion };
  } else {
    throw invalidClient('no client authentication', false);
  }
  if (p.clientId.length === 0 || p.clientId.length > MAX_ID || !VSCHAR.test(p.clientId)) throw invalidClient('malformed client id', isBasic);
  if (p.method !== 'private_key_jwt' && (p.secret.length === 0 || p.secret.length > MAX_SECRET)) throw invalidClient('malformed client secret', isBasic);
  return p;
}

/** The `sub` of an unverified assertion: only to know whose keys to verify it with. */
function assertionSubject(assertion: string): string | undefined {
  const payload = assertion.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    const sub = typeof claims === 'object' && claims !== null ? (claims as { sub?: unknown }).sub : undefined;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
