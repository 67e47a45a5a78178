/**
 * Building responses: JSON, RFC 9457 problem details, and the codes this layer answers with.
 */
import type { HttpResponse } from './types.js';

/** The codes the HTTP layer itself puts in problem bodies; clients match on them. */
export const HttpCodes = {
  NOT_FOUND: 'ERR_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'ERR_METHOD_NOT_ALLOWED',
  METHOD_NOT_IMPLEMENTED: 'ERR_METHOD_NOT_IMPLEMENTED',
  BAD_PATH: 'ERR_BAD_PATH',
  VALIDATION: 'ERR_VALIDATION',
  BAD_JSON: 'ERR_BAD_JSON',
  UNSUPPORTED_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  URL_TOO_LONG: 'ERR_URL_TOO_LONG',
  OVERLOADED: 'ERR_OVERLOADED',
  INTERNAL: 'ERR_INTERNAL',
  /** The client went away before its body arrived; nothing is sent, the code only travels inside. */
  CLIENT_ABORTED: 'ERR_CLIENT_ABORTED',
} as const;

/**
 * Codes of the other areas and the status they mean on HTTP. 503 is for the transient ones:
 * the request was fine and may be retried later (RFC 9110 15.6.4), and the server adds
 * `Retry-After`. ERR_VERSION_CONFLICT is 409, not 412: the version is in the body, not in a
 * conditional header (RFC 9110 15.5.10 vs 13.1).
 */
export const defaultStatusForCode: Readonly<Record<string, number>> = Object.freeze({
  ERR_NOT_FOUND: 404,
  ERR_DUPLICATE: 409,
  ERR_VERSION_CONFLICT: 409,
  ERR_MAILBOX_FULL: 503,
  ERR_HASHING_BUSY: 503,
  ERR_ASK_TIMEOUT: 503,
  ERR_SHARD_UNAVAILABLE: 503,
  ERR_STORAGE_UNAVAILABLE: 503,
  ERR_STOPPING: 503,
});

export function json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): HttpResponse {
  return headers === undefined ? { status, body } : { status, body, headers };
}

export function noContent(headers?: Readonly<Record<string, string>>): HttpResponse {
  return headers === undefined ? { status: 204 } : { status: 204, headers };
}

/** Members of the problem object itself; an extension may not overwrite them. */
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'code']);
/** RFC 9457 3.2: extension names SHOULD start with a letter, use ALPHA / DIGIT / "_", and be
 *  three characters or longer (so that clients of any language can map them). */
const EXTENSION_NAME = /^[A-Za-z][A-Za-z0-9_]{2,}$/;

/** The members of `data` that can go into a problem body: well-formed names, not reserved,
 *  JSON-serialisable values (a BigInt or a cycle drops the member, not the response). */
export function safeExtensions(data: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (data === undefined || data === null || typeof data !== 'object') return out;
  for (const [name, value] of Object.entries(data)) {
    if (!EXTENSION_NAME.test(name) || RESERVED.has(name) || value === undefined) continue;
    try {
      JSON.stringify(value);
    } catch {
      continue;
    }
    out[name] = value;
  }
  return out;
}

/**
 * An RFC 9457 problem: `type` is `about:blank` (the status alone says what happened), `code` is
 * fleetgate's stable code, and the extensions that pass `safeExtensions` are merged in.
 */
export function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  extensions?: Readonly<Record<string, unknown>>,
  headers?: Readonly<Record<string, string>>,
): HttpResponse {
  const body = { type: 'about:blank', title, status, detail, code, ...safeExtensions(extensions) };
  const all = { ...headers, 'content-type': 'application/problem+json' };
  return { status, headers: all, body };
}
