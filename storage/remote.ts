/**
 * Storage across threads. PGlite is single-threaded and lives in the thread that opened it, so
 * the main thread owns the one embedded backend and serves it (`serveStorage`, a runtime Hub);
 * each shard worker gets a `remoteBackend` over its hub port that forwards every repository call.
 * The protocol is in remote-protocol.ts.
 *
 * Errors keep their code and data across the hop (ERR_VERSION_CONFLICT keeps currentVersion)
 * and are rebuilt as StorageError, so callers branch the same way in a worker as beside the
 * database. The `cause` stays behind: it is a driver error and may echo values.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { systemClock, type Clock, type TimerHandle } from '../runtime/clock.js';
import { FleetgateError, fromWireError, type WireError } from '../runtime/errors.js';
import { logger, type Logger } from '../runtime/log.js';
import type { Hub } from '../runtime/module.js';
import { invalidArgument, StorageCodes, StorageError, type StorageCode } from './errors.js';
import {
  DEFAULT_STORAGE_TIMEOUT_MS,
  REMOTE_METHODS,
  type FromStorageHub,
  type StorageRepo,
  type StorageReply,
  type StorageRequest,
  type ToStorageHub,
} from './remote-protocol.js';
import type {
  BackendKind,
  ClientCredentialRepository,
  EndpointTokenRepository,
  OAuthClientRepository,
  RevokedTokenRepository,
  ServiceAccountRepository,
  SigningKeyRepository,
  StorageBackend,
} from './repositories.js';

const ALLOWED: Readonly<Record<StorageRepo, ReadonlySet<string>>> = {
  clientCredentials: new Set(REMOTE_METHODS.clientCredentials),
  endpointTokens: new Set(REMOTE_METHODS.endpointTokens),
  oauthClients: new Set(REMOTE_METHODS.oauthClients),
  serviceAccounts: new Set(REMOTE_METHODS.serviceAccounts),
  revokedTokens: new Set(REMOTE_METHODS.revokedTokens),
  signingKeys: new Set(REMOTE_METHODS.signingKeys),
  backend: new Set(REMOTE_METHODS.backend),
};

type Method = (...args: unknown[]) => Promise<unknown>;

/** Runs one request on the real backend, if and only if its method is on the allow-list. */
function dispatch(backend: StorageBackend, req: StorageRequest): Promise<unknown> {
  const repo = req.repo;
  // An own-property check: a repo name such as 'toString' or '__proto__' is not a repository.
  const names = typeof repo === 'string' && Object.hasOwn(ALLOWED, repo) ? ALLOWED[repo] : undefined;
  if (names === undefined || typeof req.method !== 'string' || !names.has(req.method)) {
    return Promise.reject(invalidArgument(`storage hub: ${String(repo)}.${String(req.method)} is not a remote storage method`));
  }
  if (!Array.isArray(req.args)) {
    return Promise.reject(invalidArgument(`storage hub: the arguments of ${repo}.${req.method} are not an array`));
  }
  const target: object = repo === 'backend' ? backend : backend[repo];
  return (target as Record<string, Method>)[req.method]!.apply(target, req.args);
}

/** The main-thread side: serves `backend` to every shard worker attached. */
export function serveStorage(backend: StorageBackend, opts: { logger?: Logger } = {}): Hub {
  if (typeof backend?.health !== 'function' || typeof backend.clientCredentials !== 'object') {
    throw new TypeError('serveStorage needs a StorageBackend');
  }
  const log = opts.logger ?? logger('storage-hub', { kind: backend.kind });
  const conns = new Set<{ port: MessagePort; shard: number; out: StorageReply[]; open: boolean }>();

  const toWire = (err: unknown, shard: number): WireError => {
    if (err instanceof FleetgateError) return err.toWire();
    // The backends map every driver failure to a coded error; anything else is a bug.
    log.error({ shard, err: err instanceof Error ? err.message : String(err) }, 'storage hub: uncoded failure');
    return { code: StorageCodes.UNAVAILABLE, message: 'the storage backend failed or is unreachable' };
  };

  return {
    name: 'storage',
    attach(port, shard) {
      const conn = { port, shard, out: [] as StorageReply[], open: true };
      conns.add(conn);
      const send = (): void => {
        const replies = conn.out;
        conn.out = [];
        if (!conn.open) return;
        try {
          port.postMessage({ t: 'replies', replies } satisfies FromStorageHub);
        } catch (err) {
          // A value that does not clone is a bug of a repository; fail those calls, not the port.
          log.error({ shard, err: err instanceof Error ? err.message : String(err) }, 'storage hub: replies could not be posted');
          const error: WireError = { code: StorageCodes.UNAVAILABLE, message: 'the storage answer could not be sent to the worker' };
          port.postMessage({ t: 'replies', replies: replies.map((r) => ({ id: r.id, ok: false, error })) } satisfies FromStorageHub);
        }
      };
      const reply = (r: StorageReply): void => {
        if (!conn.open) return;
        if (conn.out.push(r) === 1) queueMicrotask(send);
      };
      // Before anything else, and before the worker has the port: see remote-protocol.ts.
      port.postMessage({ t: 'hello', kind: backend.kind } satisfies FromStorageHub);
      port.on('message', (batch: ToStorageHub) => {
        for (const req of batch) {
          let p: Promise<unknown>;
          try {
            p = dispatch(backend, req);
          } catch (err) {
            p = Promise.reject(err);
          }
          p.then(
            (value) => reply({ id: req.id, ok: true, value }),
            (err: unknown) => reply({ id: req.id, ok: false, error: toWire(err, shard) }),
          );
        }
      });
      port.on('close', () => {
        conn.open = false;
        conns.delete(conn);
      });
      // The hub serves; it does not keep the process alive (the workers and their owner do).
      port.unref();
    },
    async close() {
      for (const conn of [...conns]) {
        conn.open = false;
        conn.port.close();
      }
      conns.clear();
    },
  };
}

export interface RemoteBackendOptions {
  /** Deadline of one call (default 30 s); past it the call fails ERR_STORAGE_UNAVAILABLE. */
  timeoutMs?: number;
  /** Drives the deadlines; tests pass a ManualClock. */
  clock?: Clock;
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: TimerHandle;
}

const STORAGE_CODES: ReadonlySet<string> = new Set(Object.values(StorageCodes));

function fromWire(w: WireError): Error {
  const options = w.data === undefined ? undefined : { data: w.data };
  return STORAGE_CODES.has(w.code) ? new StorageError(w.code as StorageCode, w.message, options) : fromWireError(w);
}

function unavailable(message: string, data?: Record<string, unknown>): StorageError {
  return new StorageError(StorageCodes.UNAVAILABLE, message, data === undefined ? undefined : { data });
}

/**
 * The worker side: a StorageBackend whose every call runs on the main thread's backend.
 * `migrate` resolves at once (the owner migrates at start-up); `close` detaches this worker
 * only, after the calls in flight have been answered. The port keeps the event loop alive only
 * while a call is awaited, so a worker that never closes its remote backend can still exit.
 */
export function remoteBackend(port: MessagePort, opts: RemoteBackendOptions = {}): StorageBackend {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_STORAGE_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`timeoutMs must be a positive finite number, got ${String(timeoutMs)}`);
  }
  const clock = opts.clock ?? systemClock;
  const hello = receiveMessageOnPort(port)?.message as FromStorageHub | undefined;
  if (hello?.t !== 'hello') {
    throw new TypeError('remoteBackend: the port carries no hello from the storage hub (attach the hub before handing the port over)');
  }
  const kind: BackendKind = hello.kind;
  const waiters = new Map<number, Waiter>();
  let out: StorageRequest[] = [];
  let nextId = 1;
  let state: 'open' | 'closing' | 'closed' = 'open';
  let closed: Promise<void> | undefined;
  let drained: (() => void) | undefined;
  let refed = false;

  const updateRef = (): void => {
    const want = waiters.size > 0 && state !== 'closed';
    if (want !== refed) {
      refed = want;
      if (want) port.ref();
      else port.unref();
    }
    if (waiters.size === 0) drained?.();
  };

  const settle = (id: number): Waiter | undefined => {
    const w = waiters.get(id);
    if (w === undefined) return undefined;
    waiters.delete(id);
    clock.clearTimeout(w.timer);
    updateRef();
    return w;
  };

  const send = (): void => {
    const batch = out;
    out = [];
    if (state === 'closed' || batch.length === 0) return;
    try {
      port.postMessage(batch satisfies ToStorageHub);
    } catch {
      // One argument that does not clone (a caller's mistake) must not sink the whole batch.
      for (const req of batch) {
        try {
          port.postMessage([req] satisfies ToStorageHub);
        } catch {
          settle(req.id)?.reject(invalidArgument(`${req.repo}.${req.method}: an argument cannot be sent to the storage thread`));
        }
      }
    }
  };

  // Arguments are cloned when this turn's batch is posted, not at the call.
  const call = (repo: StorageRepo, method: string, args: unknown[]): Promise<unknown> => {
    if (state !== 'open') return Promise.reject(unavailable('the remote storage backend is closed'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        settle(id)?.reject(unavailable(`no answer from the storage thread within ${timeoutMs} ms`, { timeoutMs }));
      }, timeoutMs);
      waiters.set(id, { resolve, reject, timer });
      if (out.push({ id, repo, method, args }) === 1) queueMicrotask(send);
      updateRef();
    });
  };

  const failAll = (message: string): void => {
    for (const id of [...waiters.keys()]) settle(id)?.reject(unavailable(message));
  };

  port.on('message', (m: FromStorageHub) => {
    if (m.t !== 'replies') return;
    for (const r of m.replies) {
      const w = settle(r.id);
      if (w === undefined) continue; // timed out already
      if (r.ok) w.resolve(r.value);
      else w.reject(fromWire(r.error));
    }
  });
  port.on('close', () => {
    state = 'closed';
    failAll('the storage thread went away');
  });
  port.unref();

  const proxy = <T>(repo: StorageRepo, methods: readonly string[]): T => {
    const o: Record<string, Method> = {};
    for (const m of methods) o[m] = (...args: unknown[]) => call(repo, m, args);
    // Complete: remote-protocol.ts checks at build time that every repository method is listed.
    return o as unknown as T;
  };

  return {
    kind,
    clientCredentials: proxy<ClientCredentialRepository>('clientCredentials', REMOTE_METHODS.clientCredentials),
    endpointTokens: proxy<EndpointTokenRepository>('endpointTokens', REMOTE_METHODS.endpointTokens),
    oauthClients: proxy<OAuthClientRepository>('oauthClients', REMOTE_METHODS.oauthClients),
    serviceAccounts: proxy<ServiceAccountRepository>('serviceAccounts', REMOTE_METHODS.serviceAccounts),
    revokedTokens: proxy<RevokedTokenRepository>('revokedTokens', REMOTE_METHODS.revokedTokens),
    signingKeys: proxy<SigningKeyRepository>('signingKeys', REMOTE_METHODS.signingKeys),
    migrate: () => (state === 'open' ? Promise.resolve() : Promise.reject(unavailable('the remote storage backend is closed'))),
    health: () => call('backend', 'health', []).then(() => undefined),
    close() {
      closed ??= (async () => {
        if (state === 'open') state = 'closing';
        if (waiters.size > 0) await new Promise<void>((resolve) => (drained = resolve));
        state = 'closed';
        port.close();
      })();
      return closed;
    },
  };
}
