/**
 * Starts the whole platform in-process for integration tests (real HTTP, real bus, real storage)
 * and gives a small REST client with the gateway headers of `api.auth: trusted-header`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../../bin/platform.js';
import { Permissions } from '../../actors/credentials/routes.js';
import { loadConfig, rootLogger, settings } from '../../runtime/index.js';

export const ALL_SCOPES = Object.values(Permissions).join(' ');

export interface TestPlatform {
  platform: Platform;
  base: string;
  dataDir: string;
  /** Calls the REST API as tenant `tenant` (default 'acme') with `scopes` (default: all). */
  api(method: string, path: string, body?: unknown, as?: { tenant?: string; scopes?: string }): Promise<{ status: number; headers: Headers; body: any }>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startTestPlatform(overrides: Record<string, unknown> = {}, dataDir?: string): Promise<TestPlatform> {
  rootLogger().level = 'warn';
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'fleetgate-it-'));
  const config = loadConfig(settings, {
    env: {},
    overrides: {
      dataDir: dir,
      'listen.host': '127.0.0.1',
      'http.port': 0,
      'management.port': 0,
      'runtime.shards': 2,
      'hashing.threads': 2,
      'hashing.memoryCost': 1024,
      'hashing.timeCost': 1,
      'log.level': 'warn',
      ...overrides,
    },
  });
  const platform = await startPlatform(config);
  const base = `http://127.0.0.1:${platform.httpPort}`;
  return {
    platform,
    base,
    dataDir: dir,
    async api(method, path, body, as = {}) {
      const headers: Record<string, string> = { 'x-fleetgate-tenant': as.tenant ?? 'acme', 'x-fleetgate-scopes': as.scopes ?? ALL_SCOPES };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    async stop(opts = {}) {
      await platform.stop();
      if (!opts.keepData && dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
