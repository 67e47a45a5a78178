/** Shared by the extension tests: ClientData as the front door sends it, and answer collection. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { dataCollectionExtension, type DcxExtension } from '../../actors/extensions/dcx.js';
import { echoExtension } from '../../actors/extensions/echo.js';
import { ExtensionMetrics } from '../../actors/extensions/metrics.js';
import { logger, type Service } from '../../runtime/index.js';
import {
  decodeExtensionData,
  encodeClientData,
  espClientDataSubject,
  type Bus,
  type ClientData,
  type ExtensionData,
} from '../../transports/bus/index.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (u: Uint8Array | null): string => (u === null ? '<null>' : Buffer.from(u).toString('utf8'));

let seq = 0;
export function clientData(over: Partial<ClientData> = {}): ClientData {
  seq++;
  return {
    correlationId: `corr-${seq}`,
    timestamp: 1_700_000_000_000 + seq,
    timeout: 5000,
    appVersionName: 'demo_app-v1',
    endpointId: 'a5f9c1e2-0d4b-4d1c-9b55-6f0c1a2b3c4d',
    resourcePath: '/json',
    requestId: seq % 1000,
    payload: enc('[1]'),
    configName: null,
    ...over,
  };
}

/** Collects every ExtensionData published to `subject`, decoded. */
export class Answers {
  readonly got: ExtensionData[] = [];
  #waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(bus: Bus, subject: string) {
    bus.subscribe(subject, (m) => {
      this.got.push(decodeExtensionData(m.data));
      this.#waiters = this.#waiters.filter((w) => {
        if (this.got.length < w.n) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** Resolves once `n` answers arrived in all; rejects, saying how many came, after `timeoutMs`
   *  (a lost answer fails the test instead of holding it until the runner's own timeout). */
  async count(n: number, timeoutMs = 30_000): Promise<ExtensionData[]> {
    if (this.got.length < n) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          this.#waiters.push({ n, resolve });
          timer = setTimeout(() => reject(new Error(`${this.got.length} of ${n} answers within ${timeoutMs} ms`)), timeoutMs);
        });
      } finally {
        clearTimeout(timer);
      }
    }
    return this.got;
  }
}

export function sendClientData(bus: Bus, instance: string, cd: ClientData, replyTo?: string): void {
  bus.publish(espClientDataSubject(instance), encodeClientData(cd), replyTo === undefined ? undefined : { replyTo });
}

export interface Extensions {
  dataDir: string;
  metrics: ExtensionMetrics;
  registry: Registry;
  echo: Service;
  dcx: DcxExtension;
  /** The data file's lines, parsed. */
  lines(app: string): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts echo and dcx on `bus` as the module would, with a fixed receive time. */
export async function startExtensions(
  bus: Bus,
  over: { maxPayloadBytes?: number; maxQueueBytes?: number; maxOpenFiles?: number; flushDelayMs?: number; now?: () => number } = {},
): Promise<Extensions> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetgate-ext-'));
  const registry = new Registry();
  const metrics = new ExtensionMetrics(registry);
  const log = logger('extensions-test');
  const echo = echoExtension({ bus, instanceName: 'echo', kpcInstanceName: 'kpc', log, metrics });
  const dcx = dataCollectionExtension({
    bus,
    instanceName: 'dcx',
    kpcInstanceName: 'kpc',
    dataDir,
    maxPayloadBytes: over.maxPayloadBytes ?? 1024,
    maxQueueBytes: over.maxQueueBytes ?? 1024 * 1024,
    maxOpenFiles: over.maxOpenFiles ?? 8,
    flushDelayMs: over.flushDelayMs ?? 0,
    log,
    metrics,
    now: over.now ?? (() => 1_700_000_123_456),
  });
  await echo.start();
  await dcx.service.start();
  await bus.flush();
  return {
    dataDir,
    metrics,
    registry,
    echo,
    dcx,
    lines(app) {
      let text: string;
      try {
        text = readFileSync(join(dataDir, 'dcx', `${app}.jsonl`), 'utf8');
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return [];
        throw err;
      }
      return text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async stop() {
      await echo.stop();
      await dcx.service.stop();
      await dcx.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
