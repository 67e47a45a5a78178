/**
 * How the rest of fleetgate plugs into a shard worker. The cluster is started with a list of
 * module URLs; every shard worker imports each of them and calls its `setup(host)`, where the
 * module registers actor kinds, provides the dependencies its actors need, and adds services
 * (listeners, bus subscriptions) that start after every module is set up and stop first on
 * shutdown, before the mailboxes are drained.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { ActorKind, ActorRef } from './actor.js';
import type { Clock } from './clock.js';
import type { Hasher } from './hashing/pool.js';
import type { Logger } from './log.js';

export interface Service {
  readonly name: string;
  start(): Promise<void> | void;
  /** Stop taking new work (close listeners, unsubscribe); in-flight work finishes by itself. */
  stop(): Promise<void> | void;
}

export interface ShardHost {
  readonly shardId: number;
  readonly shardCount: number;
  readonly generation: number;
  /** The structured-cloneable configuration the cluster was started with for modules. */
  readonly config: unknown;
  readonly actors: ActorRef;
  readonly hasher: Hasher;
  readonly clock: Clock;
  readonly log: Logger;
  /** This shard's registry (labelled with the shard), for module metrics. */
  readonly metrics: Registry;
  registerActor(kind: ActorKind): void;
  /** Adds `value` to every actor's `ctx.deps` under `name`, and to `dep(name)` for the modules
   *  set up after this one. A name is provided once. */
  provide(name: string, value: unknown): void;
  /** What an earlier module provided under `name`; TypeError if nothing was. */
  dep<T>(name: string): T;
  addService(service: Service): void;
  /** Runs once every service has started, before the shard reports itself ready: for work that
   *  must be complete before traffic, such as the bus applying every subscription made by the
   *  services (the ready report and the bus travel on different ports). */
  beforeReady(fn: () => Promise<void>): void;
  /** The port to the main-thread hub of that name (see Hub); TypeError if there is none. */
  hub(name: string): MessagePort;
  /** Runs after every activation of the shard is passivated (close pools and connections here,
   *  not in a service's stop: draining actors still need them). Reverse order of registration. */
  onStopped(fn: () => Promise<void> | void): void;
  /** Runs when the operator asks for configuration files to be re-read (SIGHUP, or
   *  Platform.reload()); the request is answered once every shard's hooks have run. A hook
   *  throws (a coded error) when it kept its previous files; that is logged, reported in the
   *  answer, and the other hooks still run. */
  onReload(fn: () => Promise<void> | void): void;
  /** A check run by GET /health; it throws (ideally a coded error) when its part is unhealthy. */
  addHealthCheck(name: string, check: () => Promise<void>): void;
}

/**
 * A service on the main thread that every shard reaches through a MessagePort of its own: for
 * what must exist once per process (the in-process bus, the embedded single-threaded database).
 * `attach` is called for each worker before its modules are set up, again when a worker is
 * replaced; the previous port of that shard closes when its worker dies.
 */
export interface Hub {
  readonly name: string;
  attach(port: MessagePort, shard: number): void;
  /** Called after every shard worker has stopped. */
  close?(): Promise<void>;
}

export interface ShardModule {
  setup(host: ShardHost): Promise<void> | void;
}

export function isShardModule(v: unknown): v is ShardModule {
  return typeof v === 'object' && v !== null && typeof (v as { setup?: unknown }).setup === 'function';
}
