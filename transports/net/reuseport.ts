/**
 * Several threads accepting on one TCP port. Node's `net` asks the kernel for SO_REUSEPORT from
 * 22.12 on (`reusePort: true`); before that, a small native helper opens the socket and the
 * server adopts its descriptor. Each thread owns the socket it opened, and the kernel spreads new
 * connections over the threads' accept queues. Without either, only one thread may listen.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ListenOptions, Server } from 'node:net';
import { fileURLToPath } from 'node:url';

interface NativeHelper {
  listen(host: string, port: number, backlog: number): number;
}

export type SharedListen = 'node' | 'native';

const BACKLOG = 511;
let native: NativeHelper | null | undefined;
/** Why the helper is not there: not built, or built but not loadable (ABI, architecture). */
let nativeProblem = '';

/** `reusePort` came in 22.12 and 23.1. Only Linux balances SO_REUSEPORT listeners (elsewhere the
 *  option is refused, or the last socket bound takes every connection). */
export function nodeHasReusePort(version = process.versions.node, platform = process.platform): boolean {
  if (platform !== 'linux') return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Where the build put the helper: beside this module in dist/. */
const NATIVE_HELPER = fileURLToPath(new URL('./reuseport.node', import.meta.url));

function loadNative(): NativeHelper | null {
  if (native !== undefined) return native;
  native = null;
  if (process.platform !== 'linux') {
    nativeProblem = `no helper for ${process.platform}`;
    return native;
  }
  if (!existsSync(NATIVE_HELPER)) {
    nativeProblem = 'the native helper was not built';
    return native;
  }
  try {
    const m = createRequire(import.meta.url)(NATIVE_HELPER) as Partial<NativeHelper>;
    if (typeof m.listen === 'function') native = m as NativeHelper;
    else nativeProblem = 'the native helper exports no listen()';
  } catch (err) {
    nativeProblem = `the native helper did not load: ${(err as Error).message}`;
  }
  return native;
}

/** How this process can share a listening port between threads, or undefined when it cannot. */
export function sharedListenSupport(): SharedListen | undefined {
  if (nodeHasReusePort()) return 'node';
  return loadNative() === null ? undefined : 'native';
}

/** Why sharedListenSupport() is undefined, for the start-up log; '' when it is not. */
export function sharedListenProblem(): string {
  if (sharedListenSupport() !== undefined) return '';
  return `Node ${process.versions.node} cannot share a port between threads and ${nativeProblem}`;
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
  const helper = loadNative();
  if (helper === null) throw new TypeError(`listenShared(..., 'native'): ${nativeProblem}; ask sharedListenSupport() first`);
  let fd: number;
  try {
    fd = helper.listen(where.host, where.port, BACKLOG);
  } catch (err) {
    process.nextTick(() => server.emit('error', err));
    return;
  }
  server.listen({ fd }, done);
}
