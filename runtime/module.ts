/**
 * How the rest of fleetgate plugs into a shard worker. The cluster is started with a list of
 * module URLs; every shard worker imports each of them and calls its `setup(host)`, where the
 * module registers actor kinds, provides the dependencies its actors need, and adds services
 * (listeners, bus subscriptions) that start after every module is set up and stop first on
 * shutdown, before the mailboxes are drained.
 */
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
  /** Sets what `ctx.deps` is for every actor on this shard. Called once. */
  provide(deps: unknown): void;
  addService(service: Service): void;
  /** A check run by GET /health; it throws (ideally a coded error) when its part is unhealthy. */
  addHealthCheck(name: string, check: () => Promise<void>): void;
}

export interface ShardModule {
  setup(host: ShardHost): Promise<void> | void;
}

export function isShardModule(v: unknown): v is ShardModule {
  return typeof v === 'object' && v !== null && typeof (v as { setup?: unknown }).setup === 'function';
}
