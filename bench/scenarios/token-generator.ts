/**
 * Load generator of the `token` bench (runs in the bench's worker threads): each call is one
 * client_credentials token request (RFC 6749 4.4, client_secret_basic, the bench's scopes) on
 * a kept-alive connection, and succeeds only on a 200 whose body is a Bearer token answer.
 * A refusal counts under `OAUTH_<error>` (or `HTTP_<status>`), a broken connection under its
 * code, and the connection is replaced.
 *
 * Closed loop: one connection per lane, opened in setup. Open loop: a pool that grows on demand
 * up to the in-flight cap (`lanes`), part of it opened in setup.
 */
import { BenchError } from '../errors.js';
import type { CreateGenerator } from '../generator.js';
import { encodePost, FixedRequestConnection, type HttpAnswer } from './token-http.js';

export interface TokenLoadParams {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** `Basic ...` of the bench client (never logged). */
  readonly authorization: string;
  /** `grant_type=client_credentials&scope=...` */
  readonly body: string;
  readonly mode: 'open' | 'closed';
}

/** Open loop: connections opened before the start line; more are opened as sends overlap. */
const OPEN_LOOP_PREOPEN = 64;

/** Checks one answer; throws the coded error the bench counts. */
export function checkTokenAnswer(a: HttpAnswer): void {
  let body: unknown;
  try {
    body = JSON.parse(a.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  const o = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (a.status !== 200) {
    const code = typeof o['error'] === 'string' ? `OAUTH_${o['error']}` : `HTTP_${a.status}`;
    throw new BenchError(code, `token request refused: HTTP ${a.status} ${code}`);
  }
  if (typeof o['access_token'] !== 'string' || o['access_token'].length === 0 || String(o['token_type']).toLowerCase() !== 'bearer') {
    throw new BenchError('ERR_TOKEN_ANSWER', 'a 200 answer without a Bearer access_token');
  }
}

export const createGenerator: CreateGenerator<TokenLoadParams> = async (init) => {
  const p = init.params;
  const request = encodePost(p.host, p.port, p.path, {
    authorization: p.authorization,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }, p.body);
  const open = () => FixedRequestConnection.open(p.host, p.port);
  const preopen = p.mode === 'closed' ? init.lanes : Math.min(init.lanes, OPEN_LOOP_PREOPEN);
  const idle: FixedRequestConnection[] = [];
  for (let i = 0; i < preopen; i++) idle.push(await open());
  const all = new Set(idle);
  // Each worker proves its connections answer before the start line (and warms them).
  for (const c of idle) checkTokenAnswer(await c.send(request));
  return {
    async call(): Promise<void> {
      let c = idle.pop();
      while (c !== undefined && !c.alive) {
        all.delete(c);
        c = idle.pop();
      }
      if (c === undefined) {
        c = await open();
        all.add(c);
      }
      let answer: HttpAnswer;
      try {
        answer = await c.send(request);
      } catch (e) {
        all.delete(c);
        c.close();
        throw e;
      }
      idle.push(c);
      checkTokenAnswer(answer);
    },
    async close(): Promise<void> {
      for (const c of all) c.close();
      all.clear();
    },
  };
};
