/**
 * The management interface: GET /health and GET /metrics on their own port, so that probes and
 * scrapers never queue behind device traffic. It lives on the main thread with node:http: a
 * handful of requests a second, and the main thread is the one that can see every shard.
 *
 * /health is 200 when every shard answers its ping and every registered check passes (storage
 * reachable, bus connected...), 500 otherwise, with a JSON body that names what is wrong.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthReport } from './cluster.js';
import { toWireError } from './errors.js';
import { logger } from './log.js';
import { errSummary } from './shard.js';
import type { HealthProblem } from './messages.js';

export interface ManagementSource {
  health(): Promise<HealthReport>;
  metrics(): Promise<string>;
  readonly metricsContentType: string;
}

export interface ManagementServer {
  readonly port: number;
  close(): Promise<void>;
}

function problem(res: ServerResponse, status: number, code: string, title: string, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail, code });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(src: ManagementSource, extraChecks: Array<() => Promise<HealthProblem[]>>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/health' && path !== '/metrics') {
    problem(res, 404, 'ERR_NOT_FOUND', 'Not Found', `no resource at ${path}; try /health or /metrics`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    problem(res, 405, 'ERR_METHOD_NOT_ALLOWED', 'Method Not Allowed', `${path} answers GET only`);
    return;
  }
  if (path === '/metrics') {
    const text = await src.metrics();
    res.writeHead(200, { 'content-type': src.metricsContentType, 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
    return;
  }
  const report = await src.health();
  for (const check of extraChecks) report.problems.push(...(await check()));
  const ok = report.problems.length === 0;
  const body = JSON.stringify({ status: ok ? 'UP' : 'DOWN', shards: report.shards, problems: report.problems });
  res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function startManagement(
  src: ManagementSource,
  opts: { host: string; port: number; extraChecks?: Array<() => Promise<HealthProblem[]>> },
): Promise<ManagementServer> {
  const log = logger('management');
  const server: Server = createServer((req, res) => {
    handle(src, opts.extraChecks ?? [], req, res).catch((err: unknown) => {
      log.error({ path: req.url, err: errSummary(err) }, 'management request failed');
      const w = toWireError(err);
      if (!res.headersSent) problem(res, 500, w.code, 'Internal Server Error', 'the management endpoint failed; see the log');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
