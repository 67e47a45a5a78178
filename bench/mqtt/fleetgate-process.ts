/**
 * fleetgate as the MQTT scenarios measure it: `node bin/fleetgate.js start` in a child process
 * of its own, as the peers run, so that its CPU and resident memory (`/proc/<pid>`) are its own
 * and not the load generator's. Configured by a YAML file in a private temp dir (ports picked
 * here, embedded database in the same dir); every FLEETGATE_* variable of the shell is left
 * out of its environment so that nothing but this file decides what is measured.
 *
 * The REST API is reached as a gateway would call it (`api.auth: trusted-header`, tenant
 * `bench`, every credential permission), from loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Permissions } from '../../actors/credentials/routes.js';
import { BenchError } from '../errors.js';
import { TailBuffer, freeLoopbackPort, stopChild } from '../peers/process.js';
import type { RestClient } from '../scenarios/credentials-rest.js';

const FLEETGATE_JS = new URL('../../bin/fleetgate.js', import.meta.url);
const START_TIMEOUT_MS = 60_000;

export const BENCH_TENANT = 'bench';
/** Every credential permission: what a gateway grants the bench. */
export const ALL_SCOPES = Object.values(Permissions).join(' ');

export const FleetgateProcessCodes = {
  /** The child exited or did not listen in time; the message holds the tail of its output. */
  START_FAILED: 'ERR_BENCH_FLEETGATE_START_FAILED',
} as const;

export interface FleetgateProcessOptions {
  /** Settings by dotted key, over the bench's own (ports, dataDir, log level, listen host). */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly say?: (line: string) => void;
}

export interface FleetgateProcess {
  readonly pid: number;
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly managementPort: number;
  readonly dataDir: string;
  /** The REST API as tenant `bench` with every credential permission. */
  readonly rest: RestClient;
  /** SIGTERM (graceful stop), SIGKILL after a grace; removes the temp dir. */
  stop(): Promise<void>;
}

/** Dotted keys as nested maps, the YAML shape of the configuration file. */
export function nestSettings(flat: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
      else node = node[p] = {};
    }
    node[parts[parts.length - 1] as string] = value;
  }
  return out;
}

/** Polls GET /health on the management port until it answers 200; throws what `dead` says, or
 *  a timeout. */
export async function waitForHealth(port: number, timeoutMs: number, dead: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    const why = dead();
    if (why !== undefined) throw new BenchError(FleetgateProcessCodes.START_FAILED, why);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `GET /health answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = `GET /health failed: ${(err as Error).message}`;
    }
    if (Date.now() > deadline) throw new BenchError(FleetgateProcessCodes.START_FAILED, `not healthy within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startFleetgateProcess(o: FleetgateProcessOptions = {}): Promise<FleetgateProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-mqtt-'));
  let child: ChildProcess | undefined;
  try {
    const [mqttPort, httpPort, managementPort] = await distinctPorts(3);
    const flat: Record<string, unknown> = {
      dataDir: join(dir, 'data'),
      'listen.host': '127.0.0.1',
      'http.port': httpPort,
      'management.port': managementPort,
      'mqtt.tcp.port': mqttPort,
      'api.auth': 'trusted-header',
      'log.level': 'warn',
      ...o.settings,
    };
    const file = join(dir, 'fleetgate.yaml');
    await writeFile(file, stringify(nestSettings(flat)), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLEETGATE_')) env[k] = v;
    const launch = async (): Promise<ChildProcess> => {
      const output = new TailBuffer(8192);
      const c = spawn(process.execPath, [FLEETGATE_JS.pathname, 'start', '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout?.on('data', (d: Buffer) => output.push(d));
      c.stderr?.on('data', (d: Buffer) => output.push(d));
      let spawnError: Error | undefined;
      c.once('error', (err) => (spawnError = err));
      const dead = (): string | undefined => {
        if (spawnError !== undefined) return `could not be spawned: ${spawnError.message}`;
        if (c.exitCode !== null || c.signalCode !== null) return `exited (${c.exitCode ?? c.signalCode}): ${output.text}`;
        return undefined;
      };
      try {
        // Not a TCP connect to the HTTP or MQTT port: at start-up each configured port is
        // listened on for a moment without SO_REUSEPORT (bin/platform.ts), and a connect that
        // lands in that moment says nothing. The management port listens last, and /health
        // answers 200 only when every shard is up.
        await waitForHealth(managementPort, START_TIMEOUT_MS, dead);
      } catch (err) {
        throw new BenchError(FleetgateProcessCodes.START_FAILED, `fleetgate did not start: ${(err as Error).message}`, { cause: err });
      }
      return c;
    };
    // A first start creates the embedded database (initdb), which leaves some 450 MB of buffers
    // that V8 gives back only 40 to 60 s later, in the middle of a measurement. The measured
    // process starts on the database that first one made, as a platform restarts in service.
    o.say?.('preparing fleetgate\'s data directory');
    await stopChild(await launch(), 10_000);
    const c = await launch();
    o.say?.(`fleetgate (pid ${c.pid ?? '?'}), MQTT on 127.0.0.1:${mqttPort}`);
    if (c.pid === undefined) throw new BenchError(FleetgateProcessCodes.START_FAILED, 'fleetgate has no pid');
    const pid = c.pid;
    return {
      pid,
      mqttPort,
      httpPort,
      managementPort,
      dataDir: flat['dataDir'] as string,
      rest: { base: `http://127.0.0.1:${httpPort}`, tenant: BENCH_TENANT, scopes: ALL_SCOPES },
      async stop() {
        await stopChild(c, 10_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child !== undefined) await stopChild(child, 2000);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function distinctPorts(n: 3): Promise<[number, number, number]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freeLoopbackPort());
  const [a, b, c] = [...ports] as [number, number, number];
  return [a, b, c];
}
