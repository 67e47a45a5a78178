/**
 * What a scenario is, and what the framework hands it. A scenario measures one capability
 * (`publish`, `token`, ...): it declares its options, the target kinds and peers it supports,
 * and `run`s once per side per round. The framework does the rest: parsing, the A/B
 * alternation with `--vs`, worker pools, progress, server sampling, JSON and reports.
 */
import type { Histogram } from './histogram.js';
import type { Options, OptionSpec, OptionValue } from './options.js';
import type { Credential, PeerName } from './peers/peer.js';
import type { ServerSampler, ServerSource } from './sampling/sampler.js';
import type { Target, TargetKind } from './target.js';

export type Figure = number | string | boolean;

/** A: fleetgate. B: the peer named by `--vs`. */
export type Side = 'fleetgate' | 'peer';

export interface Scenario {
  /** kebab-case; the first argument of `npm run bench --`. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** The scenario's own options (the common ones are always there; see common.ts). */
  readonly options: readonly OptionSpec[];
  /** What `--target` may be; [] refuses `--target` (the scenario starts what it measures). */
  readonly targets: readonly TargetKind[];
  /** What `--vs` may be; [] refuses `--vs`. */
  readonly peers: readonly PeerName[];
  /** New defaults for common options, e.g. `{ duration: 30 }`. */
  readonly defaults?: Readonly<Record<string, OptionValue>>;
  /** Figures shown on the stderr summary line (default: the first four). */
  readonly headline?: readonly string[];
  /** Cross-option rules; return a message to refuse the command line (exit 2). */
  validate?(options: Options): string | undefined;
  /** The username / password pairs a peer must accept (default: none). */
  peerCredentials?(options: Options): readonly Credential[];
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export interface ScenarioResult {
  /** Flat figures named by the scenario: `ops_per_s`, `publish_p99_us`, `connected`, ... */
  readonly figures: Readonly<Record<string, Figure>>;
  /** Every failed operation, counted, never hidden. */
  readonly errors: number;
  readonly errorsByCode?: Readonly<Record<string, number>>;
  /** Drawn in the report's latency-percentile chart, one line per name. */
  readonly histograms?: Readonly<Record<string, Histogram>>;
  /** Extra per-second series (the throughput series comes from the progress reports). */
  readonly series?: Readonly<Record<string, readonly number[]>>;
}

/** How load is applied, from the common options (a scenario may override per LoadSpec). */
export interface LoadPlan {
  /** `open` when `--rate` is given: fixed arrival rate; `closed`: `concurrency` callers. */
  readonly mode: 'open' | 'closed';
  /** Open loop: ops per second, all workers together. */
  readonly ratePerSec: number | undefined;
  /** Closed loop: concurrent callers, all workers together. */
  readonly concurrency: number;
  /** Open loop: cap of calls in flight, all workers together. */
  readonly maxInflight: number;
  /** Measured window; undefined when only `count` bounds the run. */
  readonly durationMs: number | undefined;
  /** Measured ops; undefined when only the duration bounds the run. */
  readonly count: number | undefined;
  readonly warmupMs: number;
  readonly workers: number;
  /** Grace for calls still in flight at the end; then they count as ERR_BENCH_INCOMPLETE. */
  readonly drainMs: number;
}

export interface LoadSpec<P> {
  /** The generator module, resolved next to the compiled scenario: `new URL('./x.js', import.meta.url)`. */
  readonly generator: URL;
  /** Structured-cloneable parameters for `createGenerator` (no functions, no sockets). */
  readonly params: P;
  /** Where the generators send load. Default `ctx.target`; a scenario that started its own
   *  in-process fleetgate passes that server's address here. */
  readonly target?: Target;
  /** Overrides of `ctx.plan` for this load. */
  readonly plan?: Partial<LoadPlan>;
  /** Time allowed for every worker's `createGenerator` (connections, provisioning). Default 60 s. */
  readonly setupTimeoutMs?: number;
}

export interface LoadResult {
  /** Successful measured ops. */
  readonly ops: number;
  readonly opsPerSec: number;
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Per-op latency (us), merged from every worker. */
  readonly latency: Histogram;
  /** The generators' named histograms, merged by name. */
  readonly histograms: Readonly<Record<string, Histogram>>;
  readonly counters: Readonly<Record<string, number>>;
  /** Successful ops per whole second of the measured window. */
  readonly perSecond: readonly number[];
  readonly measuredMs: number;
  readonly workers: number;
  /** Latencies beyond 60 s, recorded as 60 s. */
  readonly clamped: number;
}

export interface ProgressSample {
  readonly ops: number;
  readonly errors: number;
  readonly p50Us?: number;
  readonly p99Us?: number;
  /** Warm-up seconds are shown but kept out of the throughput series. */
  readonly warmup?: boolean;
  /** The last, shorter-than-a-second sample of a run: shown, kept out of the series. */
  readonly partial?: boolean;
}

/** Live progress: one stderr line per second; the samples also make the throughput chart. */
export interface ProgressReporter {
  /** One second of activity. `runLoad` calls it itself; scenarios driving their own load call it. */
  second(sample: ProgressSample): void;
  /** A phase line ("provisioning 10000 devices"). */
  note(text: string): void;
}

export interface ScenarioContext {
  readonly scenario: string;
  readonly options: Options;
  readonly plan: LoadPlan;
  readonly side: Side;
  /** The peer this run is against when side is 'peer'. */
  readonly peer: PeerName | undefined;
  /**
   * Where to send load: `--target` on the fleetgate side (undefined: the scenario starts an
   * in-process fleetgate itself), the peer's address on the peer side.
   */
  readonly target: Target | undefined;
  /** The peer's pid on the peer side (sampled automatically). */
  readonly targetPid: number | undefined;
  /** 1-based. */
  readonly round: number;
  readonly rounds: number;
  /** Aborted at the hard time cap: stop issuing, return what was measured. */
  readonly signal: AbortSignal;
  readonly progress: ProgressReporter;
  /** A diagnostic line on stderr (never stdout). */
  log(line: string): void;
  createHistogram(): Histogram;
  /** Runs a generator module in the worker pool under `plan` (merged with spec.plan). */
  runLoad<P>(spec: LoadSpec<P>): Promise<LoadResult>;
  /** Samples a server until the run ends (or `stop()`); results land under `server` in the JSON. */
  sampleServer(source: ServerSource, intervalMs?: number): ServerSampler;
}
