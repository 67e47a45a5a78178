/**
 * RFC 8414 discovery: from an issuer to its token endpoint. The metadata's `issuer` must be
 * exactly the configured one (RFC 8414 3.3), or an attacker who can answer the metadata URL
 * could point the client, and its secret, at an endpoint of its choosing.
 */
import { OAuthSdkCodes, OAuthSdkError } from './errors.js';
import { metadataUrl, parseJsonObject, readBounded, type ClientAuthMethod } from './wire.js';

export interface DiscoveredServer {
  readonly issuer: string;
  readonly tokenEndpoint: string;
}

/** Checks a fetched metadata document against the issuer and the client's auth method. */
export function checkMetadata(issuer: string, status: number, text: string, method: ClientAuthMethod): DiscoveredServer {
  const where = metadataUrl(issuer);
  if (status !== 200) throw discoveryError(`${where} answered HTTP ${status}`);
  const doc = parseJsonObject(text);
  if (doc === undefined) throw discoveryError(`${where} did not answer a JSON object`);
  if (doc['issuer'] !== issuer) {
    const got = typeof doc['issuer'] === 'string' ? `"${doc['issuer'].slice(0, 200)}"` : 'none';
    throw discoveryError(`${where} names issuer ${got}, not "${issuer}" (RFC 8414 3.3)`);
  }
  const endpoint = doc['token_endpoint'];
  if (typeof endpoint !== 'string' || !isHttpUrl(endpoint)) throw discoveryError(`${where} has no http(s) token_endpoint`);
  const methods = doc['token_endpoint_auth_methods_supported'];
  // RFC 8414 2: when omitted, the default is client_secret_basic.
  const supported = Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : ['client_secret_basic'];
  if (!supported.includes(method)) {
    throw discoveryError(`${where} does not list ${method} in token_endpoint_auth_methods_supported (${supported.join(', ')})`);
  }
  return { issuer, tokenEndpoint: endpoint };
}

export async function discover(
  issuer: string,
  method: ClientAuthMethod,
  fetchFn: typeof fetch,
  signal: AbortSignal,
): Promise<DiscoveredServer> {
  const where = metadataUrl(issuer);
  let res: Response;
  try {
    res = await fetchFn(where, { headers: { accept: 'application/json' }, signal, redirect: 'error' });
  } catch (err) {
    throw new OAuthSdkError(OAuthSdkCodes.NETWORK, `${where} could not be reached: ${causeText(err)}`, { cause: err });
  }
  const text = await readBounded(res);
  return checkMetadata(issuer, res.status, text, method);
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** A transport failure in a few words: the error's code or name, never a request's headers. */
export function causeText(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return err.name === 'TimeoutError' ? 'timed out' : 'aborted';
    const cause = (err as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? code : err.message.slice(0, 200);
  }
  return 'unknown failure';
}

function discoveryError(message: string): OAuthSdkError {
  return new OAuthSdkError(OAuthSdkCodes.DISCOVERY, message);
}
