/**
 * The uWS side of the HTTP layer: one `any('/*')` handler that copies the request head out of
 * uWS, hands it to the pipeline, reads the body, and writes what comes back.
 *
 * It runs in every shard worker on the same port (uWS listens with SO_REUSEPORT and the kernel
 * spreads connections). A uWS app in a worker must close its listen socket before the worker
 * exits or the process aborts: `close()` does, and waits for the requests in progress.
 */
import { FleetgateError, type Service } from '../../runtime/index.js';
import { uws, uwsBuild } from '../uws.js';
import { addressText } from './address.js';
import { readBody, type BodyReader } from './body.js';
import { internalError, summary } from './error-map.js';
import { resolveOptions, type HttpServerOptions, type ResolvedOptions } from './options.js';
import { Pipeline, type RequestHead } from './pipeline.js';
import { ProxyTrust } from './proxy.js';
import { Exchange, serialize, type WireResponse } from './reply.js';
import { HttpCodes, problem } from './responses.js';
import { reasonPhrase } from './status.js';
import type { HttpResponse } from './types.js';

export interface HttpServer {
  readonly port: number;
  /** Stops accepting at once; resolves when the requests in progress are answered (or the grace
   *  period ran out and their connections were dropped) and every connection is closed. */
  close(): Promise<void>;
}

type App = ReturnType<typeof uws.App>;
type UwsResponse = Parameters<Parameters<App['any']>[1]>[0];
type UwsRequest = Parameters<Parameters<App['any']>[1]>[1];
type ListenSocket = Parameters<typeof uws.us_listen_socket_close>[0];

export const ServerCodes = {
  LISTEN_FAILED: 'ERR_HTTP_LISTEN_FAILED',
} as const;

/** TypeError for bad options or routes; ERR_HTTP_LISTEN_FAILED when the address is taken. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const o = resolveOptions(options);
  const pipeline = new Pipeline(o.routes, {
    maxBodyBytes: o.maxBodyBytes,
    maxUrlLength: o.maxUrlLength,
    statusForCode: o.statusForCode,
    authorize: o.authorize,
    trust: new ProxyTrust(o.trustedProxies),
    log: o.log,
  });
  const app = uws.App();
  const state = { inflight: 0, closing: false, drained: undefined as (() => void) | undefined };
  const done = (): void => {
    state.inflight--;
    if (state.inflight === 0) state.drained?.();
  };

  app.any('/*', (res, req) => {
    let head: RequestHead;
    try {
      // uWS's request is valid only during this callback: everything is copied out now.
      head = readHead(res, req);
    } catch (err) {
      o.log.error({ err: summary(err) }, 'http request head could not be read');
      res.cork(() => res.writeStatus('400 Bad Request').end('', true));
      return;
    }
    state.inflight++;
    let reader: BodyReader | undefined;
    const ex = new Exchange(res, done, () => reader?.abort());
    const isHead = head.method === 'HEAD';
    try {
      reader = dispatch(res, head, ex, isHead);
    } catch (err) {
      // A throw escaping into uWS would take the process down: a bug of ours, answered 500.
      o.log.error({ err: summary(err) }, 'http request callback failed');
      ex.send(wire(internalError(), o), isHead, true);
    }
  });

  /** Everything after the head; returns the body reader when the request goes on to a handler. */
  function dispatch(res: UwsResponse, head: RequestHead, ex: Exchange, isHead: boolean): BodyReader | undefined {
    if (state.inflight > o.maxInflight) {
      // Shed load before any work: the client may retry (RFC 9110 15.6.4, 10.2.3).
      const busy = problem(503, HttpCodes.OVERLOADED, reasonPhrase(503), 'the server has too many requests in progress', undefined, {
        'retry-after': '1',
      });
      ex.send(wire(busy, o), isHead, state.closing);
      return undefined;
    }
    const prepared = pipeline.prepare(head);
    if (prepared.kind === 'reply') {
      ex.send(wire(prepared.response, o), isHead, prepared.close || state.closing);
      return undefined;
    }
    const body = readBody(res, prepared.limit, prepared.contentLength);
    pipeline
      .run(prepared.route, prepared.req, body.done)
      .then((response) => ex.send(wire(response, o), isHead, body.overflowed || state.closing))
      .catch((err: unknown) => o.log.error({ err: summary(err) }, 'http response could not be written'));
    return body;
  }

  const attached: Array<{ stop(): Promise<void> | void }> = [];
  try {
    for (const a of options.attach ?? []) attached.push(await a(app));
  } catch (err) {
    for (const a of attached) await a.stop();
    closeApp(app);
    throw err;
  }
  const listenSocket = await listen(app, o).catch(async (err: unknown) => {
    for (const a of attached) await a.stop();
    throw err;
  });
  const port = uws.us_socket_local_port(listenSocket);
  o.log.info({ host: o.host, port, build: uwsBuild(), routes: o.routes.length }, 'http server listening');

  let closed: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closed ??= (async () => {
        for (const a of attached) await a.stop();
        await shutdown(app, listenSocket, port, state, o);
      })()),
  };
}

function readHead(res: UwsResponse, req: UwsRequest): RequestHead {
  // A null prototype: a header named "constructor" or "__proto__" is a header, nothing more.
  const headers = Object.create(null) as Record<string, string>;
  req.forEach((key, value) => {
    const prev = headers[key];
    // RFC 9110 5.3: repeated fields combine with ", "; Cookie uses "; " (RFC 6265 5.4).
    headers[key] = prev === undefined ? value : `${prev}${key === 'cookie' ? '; ' : ', '}${value}`;
  });
  return {
    method: req.getCaseSensitiveMethod(),
    path: req.getUrl(),
    // getQuery() is undefined, not '', when the target has no "?".
    query: (req.getQuery() as string | undefined) ?? '',
    headers,
    remoteAddress: addressText(res.getRemoteAddress()),
  };
}

/** A response that does not serialise (bad header, a cycle in the body) is a handler bug: 500. */
function wire(r: HttpResponse, o: ResolvedOptions): WireResponse {
  try {
    return serialize(r);
  } catch (err) {
    o.log.error({ status: r.status, err: summary(err) }, 'response could not be serialised');
    return serialize(internalError());
  }
}

function listen(app: App, o: ResolvedOptions): Promise<ListenSocket> {
  return new Promise((resolve, reject) => {
    app.listen(o.host, o.port, (ls) => {
      if (ls) {
        resolve(ls);
        return;
      }
      closeApp(app);
      reject(new FleetgateError(ServerCodes.LISTEN_FAILED, `cannot listen on ${o.host}:${o.port}`, { data: { host: o.host, port: o.port } }));
    });
  });
}

async function shutdown(
  app: App,
  ls: ListenSocket,
  port: number,
  state: { inflight: number; closing: boolean; drained: (() => void) | undefined },
  o: ResolvedOptions,
): Promise<void> {
  state.closing = true; // answers from now on say Connection: close
  uws.us_listen_socket_close(ls);
  if (state.inflight > 0) {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      state.drained = resolve;
      timer = setTimeout(resolve, o.closeGraceMs);
    });
    clearTimeout(timer);
    if (state.inflight > 0) o.log.warn({ port, inflight: state.inflight }, 'http server dropped requests still in progress');
  }
  // Idle keep-alive connections (and requests past the grace period) are dropped here, so that
  // nothing of this app outlives the worker.
  closeApp(app);
  o.log.info({ port }, 'http server closed');
}

/** `close()` is in uWS.js 20.30 but not in its type declarations. */
function closeApp(app: App): void {
  (app as unknown as { close?: () => void }).close?.();
}

/** The server as a shard Service: started after the modules are set up, stopped first. */
export function httpService(name: string, options: HttpServerOptions): Service & { readonly port: number } {
  let server: HttpServer | undefined;
  return {
    name,
    get port(): number {
      if (server === undefined) throw new TypeError(`http service ${name} is not started`);
      return server.port;
    },
    async start(): Promise<void> {
      server ??= await startHttpServer(options);
    },
    async stop(): Promise<void> {
      await server?.close();
    },
  };
}
