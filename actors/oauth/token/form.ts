/**
 * The body of the token, introspection and revocation endpoints: application/x-www-form-urlencoded
 * (RFC 6749 3.2, RFC 7662 2.1, RFC 7009 2.1), read strictly, because a lenient reader turns a
 * malformed request into a different one:
 *  - a percent escape that is not two hex digits, or bytes that are not UTF-8, is invalid_request
 *    (URLSearchParams would keep "%zz" as text and replace bad bytes);
 *  - a parameter sent twice is invalid_request ("MUST NOT be included more than once", 3.2);
 *  - a parameter sent without a value counts as absent ("MUST be treated as if omitted", 3.1).
 */
import { invalidRequest } from './errors.js';

export const FORM_TYPE = 'application/x-www-form-urlencoded';
/** Parameters one request may carry: the endpoints know a handful. */
const MAX_PARAMS = 64;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** `type/subtype` of a Content-Type, lower-case, without parameters (RFC 9110 8.3.1). */
function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/** One name or value: `+` is a space, `%XX` escapes are UTF-8 bytes. decodeURIComponent is as
 *  strict as required (a bad escape or bytes that are not UTF-8 throw); the text around the
 *  escapes is already valid (decoded from the body with a fatal decoder). */
function decode(part: string): string | undefined {
  const spaced = part.indexOf('+') === -1 ? part : part.replace(/\+/g, ' ');
  if (spaced.indexOf('%') === -1) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/** The parameters of a form body; throws an invalid_request OAuthError when it is malformed. */
export function parseForm(contentType: string | undefined, raw: Buffer): Map<string, string> {
  if (mediaType(contentType) !== FORM_TYPE) throw invalidRequest(`the request body must be ${FORM_TYPE}`);
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw invalidRequest('the request body is not UTF-8');
  }
  const out = new Map<string, string>();
  if (text === '') return out;
  const pairs = text.split('&');
  if (pairs.length > MAX_PARAMS) throw invalidRequest(`the request has more than ${MAX_PARAMS} parameters`);
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    if (name === undefined || value === undefined) throw invalidRequest('the request body is not valid form encoding');
    if (out.has(name)) throw invalidRequest(`the parameter ${safeName(name)} is given more than once`);
    out.set(name, value);
  }
  // RFC 6749 3.1: a parameter without a value is as if it were not sent. Removed after the
  // duplicate check, so "scope=&scope=x" is still a duplicate.
  for (const [k, v] of out) if (v === '') out.delete(k);
  return out;
}

/** A parameter name for a message: names are chosen by the caller, so shown only when tame. */
export function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : '(unnamed)';
}
