/**
 * Shared plumbing of the real-server launchers (postgres.ts, mariadb.ts, nats.ts): locating
 * binaries, free ports, temp dirs, starting a server process and stopping it by the pid we
 * started. They live in bench/ because the bench starts real servers for its `--backend` and
 * `--bus` runs; the integration tests reach them through thin re-exports in test/harness/.
 * Nothing is mocked. In CI (FLEETGATE_REQUIRE_SERVERS=1, read by require-servers.ts) a missing
 * server is a failure, elsewhere a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { serversRequired } from './require-servers.js';

export interface RunningServer {
  /** Connection URL of a database the caller owns, with a user that has every right on it. */
  url: string;
  stop(): Promise<void>;
}

/** The user a server process runs as; null = the current user. */
export type RunAs = { uid: number; gid: number } | null;

/**
 * Returns the skip message for a missing server, or throws when servers are required
 * (FLEETGATE_REQUIRE_SERVERS=1), so CI fails instead of skipping silently.
 */
export function missingServer(name: string, reason: string): string {
  const message = `${name} not available: ${reason}`;
  if (serversRequired()) {
    throw new Error(`${message} (FLEETGATE_REQUIRE_SERVERS=1 requires it)`);
  }
  return `${message}; install it or set FLEETGATE_REQUIRE_SERVERS=1 to make this a failure`;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable named `name` in `dirs`, then on PATH. */
export function findExecutable(name: string, dirs: string[] = []): string | null {
  const path = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...dirs, ...path]) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Sub-directories of `dir` (sorted, newest version last for numbered names); [] if absent. */
export function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

/** uid/gid of a local account, read from /etc/passwd (no `id` subprocess needed). */
export function lookupUser(name: string): { uid: number; gid: number } | null {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export async function tempDir(prefix: string, runAs: RunAs): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (runAs !== null) await chown(dir, runAs.uid, runAs.gid);
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

// Every live child, killed synchronously if the process exits without stopping it (a failed
// `before`, an uncaught error, a bench run cut short): no server outlives the process.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const OUTPUT_TAIL = 4_000;

export interface ServerProcess {
  readonly pid: number;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<string>;
  /** True once the process has ended. */
  hasExited(): boolean;
  /** The last few KB of stdout+stderr, for failure messages. */
  output(): string;
  /** `signal` first, SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(signal: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** Stops the process (and its output pipes) from keeping this one alive: a test file that
   *  failed before stopping its servers still exits, and the exit hook kills them. */
  unref(): void;
}

export function startProcess(command: string, args: string[], runAs: RunAs): ServerProcess {
  // uid/gid make the child itself the server process (no runuser/su in between), so the pid
  // we hold is the one to signal; libuv also drops root's supplementary groups.
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(runAs === null ? {} : { uid: runAs.uid, gid: runAs.gid }),
  });
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      live.delete(child);
      resolve(`spawn failed: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(signal ?? `exit code ${String(code)}`);
    });
  });
  return {
    pid: child.pid ?? -1,
    exited,
    hasExited: () => !live.has(child),
    output: () => tail,
    unref() {
      child.unref();
      (child.stdout as { unref?: () => void } | null)?.unref?.();
      (child.stderr as { unref?: () => void } | null)?.unref?.();
    },
    async stop(signal, graceMs = 10_000) {
      if (!live.has(child)) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion; throws with its output when it fails. */
export async function runToCompletion(command: string, args: string[], runAs: RunAs): Promise<void> {
  const p = startProcess(command, args, runAs);
  const how = await p.exited;
  if (how !== 'exit code 0') throw new Error(`${command} failed (${how}):\n${p.output()}`);
}

/**
 * Polls `probe` until it resolves true. Fails early when the server process exits, and after
 * `timeoutMs` with the server's output. Polling belongs to start-up only, never to assertions.
 */
export async function waitUntilReady(
  name: string,
  server: ServerProcess,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.hasExited()) throw new Error(`${name} exited during start-up (${await server.exited}):\n${server.output()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a server on a free port and waits until `probe` succeeds. The port is free when
 * chosen but another process may take it before the server binds: if the server exits during
 * start-up, it is tried again on a new port (a server that hangs is not retried).
 */
export async function startOnFreePort(
  name: string,
  start: (port: number) => ServerProcess,
  probe: (port: number) => Promise<boolean>,
  attempts = 3,
): Promise<{ server: ServerProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = start(port);
    try {
      await waitUntilReady(name, server, () => probe(port));
      server.unref();
      return { server, port };
    } catch (err) {
      const exited = server.hasExited();
      await server.stop('SIGKILL');
      if (!exited || attempt >= attempts) throw err;
    }
  }
}
