/**
 * The runtime's public surface. Other top-level folders import from here only.
 */
export { DeactivationReason } from './actor.js';
export type { Actor, ActorContext, ActorKind, ActorRef } from './actor.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { Cluster, type ReloadReport } from './cluster.js';
export type { ClusterOptions, HealthReport } from './cluster.js';
export { loadConfig, ConfigCodes } from './config/load.js';
export type { LoadOptions } from './config/load.js';
export { settings } from './config/settings.js';
export type { Config } from './config/settings.js';
export { bool, int, oneOf, optionalStr, port, str } from './config/schema.js';
export type { ConfigOf, Schema, Setting } from './config/schema.js';
export {
  ConfigError,
  FleetgateError,
  fromWireError,
  hasCode,
  HashingError,
  isWireError,
  RemoteError,
  RuntimeCodes,
  RuntimeError,
  toWireError,
} from './errors.js';
export type { WireError } from './errors.js';
export { defaultHashPoolOptions, HashingCodes, HashPool } from './hashing/pool.js';
export type { Hasher, HashPoolOptions } from './hashing/pool.js';
export { logDestination, logger, rootLogger, setLogDestination, setLogLevel } from './log.js';
export type { Logger } from './log.js';
export { startManagement } from './management.js';
export type { ManagementServer, ManagementSource } from './management.js';
export type { HealthProblem, RuntimeSettings } from './messages.js';
export type { Hub, Service, ShardHost, ShardModule } from './module.js';
export { keysPerShard, shardOf } from './router.js';
export { sourcedCounter } from './metrics.js';
