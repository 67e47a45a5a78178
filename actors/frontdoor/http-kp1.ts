/**
 * 1/KP over HTTP: `POST /kp1/<appversion>/<extension>/[<token>/]<path>` with the request payload
 * as the body, answered synchronously with the extension's answer (status = its statusCode,
 * body = its payload). Stateless: the endpoint token is the only identification (no client
 * authentication on this transport), validated through 16/ECAP and remembered briefly per shard.
 * Also the KPC REST call that hands out the MQTT/TLS server certificate for client trust stores.
 */
import { LRUCache } from 'lru-cache';
import { encodeClientData, espClientDataSubject } from '../../transports/bus/index.js';
import { problem, type HttpResponse, type Route } from '../../transports/http/index.js';
import type { KpcDeps } from './deps.js';
import { parseKp1 } from './kp1.js';
import { revokedTokenKey, type EspAnswer } from './registry.js';

/** Resource path levels after `kp1/<appversion>/<extension>` that the binding accepts. */
const MAX_LEVELS = 8;

/** Validated tokens per shard, briefly: a revocation event removes an entry at once. */
export class HttpTokenCache {
  readonly #byKey: LRUCache<string, { tokenId: string; endpointId: string }>;
  readonly #keysOfToken = new Map<string, string>();
  constructor(max: number, ttlMs: number) {
    this.#byKey = new LRUCache({ max, ttl: ttlMs, dispose: (v) => this.#keysOfToken.delete(v.tokenId) });
  }
  get(key: string): { tokenId: string; endpointId: string } | undefined {
    return this.#byKey.get(key);
  }
  set(key: string, v: { tokenId: string; endpointId: string }): void {
    this.#byKey.set(key, v);
    this.#keysOfToken.set(v.tokenId, key);
  }
  revoke(tokenId: string): void {
    const key = this.#keysOfToken.get(tokenId);
    if (key !== undefined) this.#byKey.delete(key);
  }
}

export function kp1HttpRoutes(d: KpcDeps, tokens: HttpTokenCache, timeoutMs: number, maxBodyBytes: number): Route[] {
  let requestSeq = 0;
  const handler = async (req: { path: string; rawBody: Buffer }): Promise<HttpResponse> => {
    const levels = req.path.slice(1).split('/');
    let topic: string;
    try {
      const decoded = levels.map((l) => decodeURIComponent(l));
      if (decoded.some((l) => l.includes('/'))) return fail(400, 'a path level may not contain an encoded "/"');
      topic = decoded.join('/');
    } catch {
      return fail(400, 'the path is not valid percent-encoded UTF-8');
    }
    const config = d.config();
    const parsed = parseKp1(topic, (ext) => config.endpointAware(ext));
    if (!parsed.ok) return fail(parsed.problem === 'not-kp1' ? 404 : 400, parsed.detail);
    const r = parsed.request;
    const route = config.route(r.appVersion, r.extension);
    if ('refused' in route) return fail(404, route.refused);
    let endpointId: string | null = null;
    if (route.endpointAware) {
      const key = `${route.application}\n${r.token!}`;
      let known = tokens.get(key);
      if (known === undefined) {
        const mark = d.index.revocationMark();
        const v = await d.authenticator.token(route.application, r.token!).catch(() => undefined);
        if (v === undefined || v.statusCode >= 500) return fail(503, 'the endpoint token could not be checked now', { 'retry-after': '1' });
        if (v.statusCode === 403) return fail(403, 'the endpoint token is not active');
        if (v.statusCode !== 200 || v.tokenId === null || v.endpointId === null) return fail(401, 'unknown endpoint token');
        // Revoked while the check was on its way back: neither served nor remembered.
        if (d.index.revokedSince(revokedTokenKey(v.tokenId), mark)) return fail(403, 'the endpoint token is not active');
        known = { tokenId: v.tokenId, endpointId: v.endpointId };
        tokens.set(key, known);
      }
      endpointId = known.endpointId;
    }
    requestSeq = requestSeq >= 2_147_483_647 ? 1 : requestSeq + 1;
    const correlationId = d.nextCorrelationId();
    const answer = new Promise<EspAnswer | undefined>((resolve) => {
      const timer = setTimeout(() => {
        d.pending.take(correlationId);
        resolve(undefined);
      }, timeoutMs);
      d.pending.add(correlationId, { kind: 'http', resolve: (a) => (clearTimeout(timer), resolve(a)) }, Date.now());
    });
    try {
      d.bus.publish(
        espClientDataSubject(r.extension),
        encodeClientData({
          correlationId,
          timestamp: Date.now(),
          timeout: timeoutMs,
          appVersionName: r.appVersion,
          endpointId,
          resourcePath: r.resourcePath,
          requestId: r.requestId ?? requestSeq,
          payload: new Uint8Array(req.rawBody),
          configName: null,
        }),
        { replyTo: d.replySubject },
      );
    } catch {
      d.pending.take(correlationId);
      return fail(503, 'the extension cannot be reached now', { 'retry-after': '1' });
    }
    const a = await answer;
    if (a === undefined) return fail(504, `extension ${r.extension} did not answer within ${timeoutMs} ms`);
    const status = a.statusCode >= 200 && a.statusCode <= 599 ? a.statusCode : 502;
    if (status >= 400) return { status, body: { statusCode: a.statusCode, reasonPhrase: a.reasonPhrase ?? '' } };
    const body = Buffer.from(a.payload ?? new Uint8Array(0));
    return { status, body, contentType: looksLikeJson(body) ? 'application/json' : 'application/octet-stream' };
  };

  const routes: Route[] = [];
  for (let n = 1; n <= MAX_LEVELS + 2; n++) {
    const params: string[] = ['appVersion', 'extension'];
    for (let i = 1; i <= n; i++) params.push(`level${i}`);
    routes.push({
      method: 'POST',
      path: `/kp1/${params.map((p) => `{${p}}`).join('/')}`,
      operationId: `kp1Request${n}`,
      summary: n === 1 ? 'A 1/KP request over HTTP, answered with the extension\'s response' : `A 1/KP request over HTTP (${n} levels after the extension)`,
      description: 'The levels after the extension are the endpoint token (for endpoint-aware extensions) and the resource path. The body is the 1/KP payload; the answer carries the extension\'s status code and payload.',
      tags: ['1/KP'],
      maxBodyBytes,
      responses: {
        '200': { description: 'The extension\'s payload', contentType: 'application/octet-stream' },
        '400': { description: 'Malformed resource path' },
        '401': { description: 'Unknown endpoint token' },
        '403': { description: 'Endpoint token not active' },
        '404': { description: 'Unknown application version or extension' },
        '504': { description: 'The extension did not answer in time' },
      },
      handler,
    });
  }
  return routes;
}

/** `pem`: the certificate as configured now (it changes on SIGHUP), null without TLS. */
export function serverCertificateRoute(pem: () => string | null): Route {
  return {
    method: 'GET',
    path: '/kpc/api/v1/server-certificate',
    operationId: 'getServerCertificate',
    summary: 'The MQTT/TLS server certificate (PEM), for client trust stores',
    tags: ['1/KP'],
    responses: {
      '200': { description: 'The certificate chain', contentType: 'application/x-pem-file' },
      '404': { description: 'MQTT over TLS is not configured' },
    },
    handler: async () => {
      const now = pem();
      return now === null
        ? problem(404, 'ERR_KPC_NO_TLS', 'Not Found', 'MQTT over TLS is not configured on this instance', undefined)
        : { status: 200, body: now, contentType: 'application/x-pem-file', headers: { 'cache-control': 'max-age=300' } };
    },
  };
}

function fail(status: number, detail: string, headers?: Record<string, string>): HttpResponse {
  return problem(status, `ERR_KP1_${status}`, titleOf(status), detail, undefined, headers);
}

function titleOf(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable', 504: 'Gateway Timeout' } as Record<number, string>)[status] ?? 'Error';
}

function looksLikeJson(b: Buffer): boolean {
  if (b.length === 0) return false;
  const c = b[0]!;
  return c === 0x7b || c === 0x5b; // { or [
}
