/**
 * The bench program's public surface: the CLI entry for bin/fleetgate.ts, and what scenario
 * authors build on. Everything else under bench/ is internal.
 */
export { runBenchCli, EXIT_OK, EXIT_FAILED, EXIT_USAGE, type BenchIo } from './cli.js';

// Scenario authoring
export type {
  Scenario,
  ScenarioContext,
  ScenarioResult,
  Figure,
  Side,
  LoadPlan,
  LoadSpec,
  LoadResult,
  ProgressReporter,
  ProgressSample,
} from './scenario.js';
export type { CreateGenerator, GeneratorInit, LoadGenerator } from './generator.js';
export type { OptionSpec, OptionType, OptionValue, Options } from './options.js';
export { ScenarioRegistry, createRegistry, PLANNED_SCENARIOS } from './registry.js';
export { builtinScenarios } from './scenarios/builtin.js';
export { loadFigures } from './figures.js';
export {
  createLatencyHistogram,
  recordLatencyUs,
  summarize,
  latencyFigures,
  mergeHistograms,
  encodeHistogram,
  decodeHistogram,
  type Histogram,
  type LatencySummary,
} from './histogram.js';
export { OpenLoopSchedule } from './schedule.js';
export { runLoop, type LoopPlan, type LoopEnv, type LoopTotals, type TickSample } from './loop.js';
export type { Target, MqttTarget, HttpTarget, TargetKind } from './target.js';
export { BenchError, BenchCodes } from './errors.js';

// Server sampling
export type { ServerSource, ServerSampler, ServerStats, SeriesRequest, MinAvgMax } from './sampling/sampler.js';
export { parsePrometheusText, type MetricSample } from './sampling/prometheus.js';

// Peers
export type { Peer, PeerDefinition, PeerName, PeerOptions, PeerStartInfo, Credential } from './peers/peer.js';
export { PEER_NAMES } from './peers/peer.js';
export { builtinPeers } from './peers/registry.js';

// MQTT load helpers
export { MqttBenchClient, type MqttClientOptions, type Connack } from './mqtt/client.js';
export { connackCodeName } from './mqtt/codes.js';
export type { QoS01 } from './mqtt/codec.js';
export {
  Fleet,
  type FleetOptions,
  type DeviceIdentity,
  type ConnectReport,
  type ConnectOptions,
  type TelemetryOptions,
  type TelemetryRun,
} from './mqtt/fleet.js';
export { reconnectStorm, type StormOptions, type StormReport } from './mqtt/storm.js';
