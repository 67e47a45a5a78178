/**
 * Process plumbing for peers: a free loopback port, waiting until a child listens (or
 * notices it died), stopping it with a grace period, and finding an executable.
 */
import type { ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';

/**
 * A port the kernel just handed out on 127.0.0.1. Another process could take it before the
 * peer binds it; on loopback in a bench run that race is rare, and start fails loudly if lost.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the kernel'))));
    });
  });
}

/** Resolves once `host:port` accepts a TCP connection; rejects on timeout or when `dead()` says why. */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  dead: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = dead();
    if (why !== undefined) throw new Error(why);
    if (await canConnect(host, port)) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The first executable `name` on PATH or in `extraDirs` (sbin is often off a user's PATH). */
export async function findExecutable(name: string, extraDirs: readonly string[] = []): Promise<string | undefined> {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), ...extraDirs];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Keeps the last `max` characters written to a stream, for the error of a failed start. */
export class TailBuffer {
  #text = '';
  readonly #max: number;

  constructor(max = 4096) {
    this.#max = max;
  }

  push(chunk: Buffer | string): void {
    this.#text = (this.#text + chunk.toString()).slice(-this.#max);
  }

  get text(): string {
    return this.#text.trim();
  }
}

/**
 * Stops a peer child that speaks the `{ type: 'stop' }` IPC message: asks it to stop, waits
 * `graceMs` for it to exit on its own, then falls back to signals (stopChild).
 */
export async function stopIpcChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'stop' });
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
  clearTimeout(timer);
  if (!graceful) await stopChild(child, 1000);
}
