/**
 * A REST client of the credential API as a gateway in front of fleetgate calls it
 * (`api.auth: trusted-header`: the tenant and the scopes come in headers). Kept apart from the
 * platform starter so that the load-generator workers import nothing but this.
 */

export interface RestClient {
  readonly base: string;
  readonly tenant: string;
  readonly scopes: string;
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export async function callApi(c: RestClient, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const headers: Record<string, string> = { 'x-fleetgate-tenant': c.tenant, 'x-fleetgate-scopes': c.scopes };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${c.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: kept as text */
  }
  return { status: res.status, body: parsed };
}

/** The code of a failed answer: the problem body's `code` (RFC 9457 extension), else `HTTP_<status>`. */
export function answerCode(a: ApiAnswer): string {
  const code = typeof a.body === 'object' && a.body !== null ? (a.body as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length > 0 ? code : `HTTP_${a.status}`;
}

/** A failed answer as a coded error (the bench's loops count rejections by `code`). */
export class AnswerError extends Error {
  readonly code: string;
  constructor(what: string, a: ApiAnswer) {
    const code = answerCode(a);
    super(`${what}: HTTP ${a.status} ${code}`);
    this.code = code;
  }
}
