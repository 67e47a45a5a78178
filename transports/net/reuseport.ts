/**
 * Several threads accepting on one TCP port. Node's `net` asks the kernel for SO_REUSEPORT from
 * 22.12 on (`reusePort: true`); before that, a small native helper opens the socket and the
 * server adopts its descriptor. Each thread owns the socket it opened, and the kernel spreads new
 * connections over the threads' accept queues. Without either, only one thread may listen.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ListenOptions, Server } from 'node:net';

interface NativeHelper {
  listen(host: string, port: number, backlog: number): number;
}

export type SharedListen = 'node' | 'native';

const BACKLOG = 511;
let native: NativeHelper | null | undefined;

function nodeHasReusePort(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** Where the build put the helper: beside this module in dist/. */
const NATIVE_HELPER = new URL('./reuseport.node', import.meta.url).pathname;

function loadNative(): NativeHelper | null {
  if (native !== undefined) return native;
  native = null;
  if (process.platform !== 'linux' || !existsSync(NATIVE_HELPER)) return native;
  try {
    const m = createRequire(import.meta.url)(NATIVE_HELPER) as Partial<NativeHelper>;
    if (typeof m.listen === 'function') native = m as NativeHelper;
  } catch {
    native = null;
  }
  return native;
}

/** How this process can share a listening port between threads, or undefined when it cannot. */
export function sharedListenSupport(): SharedListen | undefined {
  if (nodeHasReusePort()) return 'node';
  return loadNative() === null ? undefined : 'native';
}

/**
 * Starts `server` listening on a port other threads may listen on too. The caller has checked
 * sharedListenSupport(); listening errors (EADDRINUSE against a socket without SO_REUSEPORT)
 * reach the server's 'error' event like any other listen error.
 */
export function listenShared(server: Server, where: { host: string; port: number }, how: SharedListen, done: () => void): void {
  if (how === 'node') {
    const options: ListenOptions & { reusePort: boolean } = { host: where.host, port: where.port, backlog: BACKLOG, reusePort: true };
    server.listen(options, done);
    return;
  }
  let fd: number;
  try {
    fd = loadNative()!.listen(where.host, where.port, BACKLOG);
  } catch (err) {
    process.nextTick(() => server.emit('error', err));
    return;
  }
  server.listen({ fd }, done);
}
