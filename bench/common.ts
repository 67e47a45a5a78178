/**
 * The options every scenario takes (load shape, bounds, target, peer, output), and how they
 * become a LoadPlan and a hard time cap. Declared once here; a scenario may change a default
 * through `Scenario.defaults` but not the rule.
 */
import { availableParallelism } from 'node:os';
import type { Options, OptionSpec, OptionValue } from './options.js';
import { PEER_NAMES } from './peers/peer.js';
import type { LoadPlan } from './scenario.js';

/** Leave a core to the server when it runs on the same machine; more than 4 rarely helps. */
const DEFAULT_WORKERS = Math.max(1, Math.min(4, availableParallelism() - 1));
const DEFAULT_DURATION_S = 10;
const COUNT_ONLY_CAP_S = 600;
const CAP_SLACK_S = 60;
export const DRAIN_MS = 5000;

export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'duration', type: 'number', gt: 0, valueName: 'S', description: 'measured window, seconds', defaultText: `${DEFAULT_DURATION_S} unless --count is given` },
  { name: 'count', type: 'integer', min: 1, description: 'stop after this many measured operations', defaultText: 'none' },
  { name: 'rate', type: 'integer', min: 1, valueName: 'OPS', description: 'open loop: fixed arrival rate, ops/s (latency from intended send time)', defaultText: 'closed loop' },
  { name: 'concurrency', type: 'integer', min: 1, default: 16, description: 'closed loop: concurrent callers' },
  { name: 'max-inflight', type: 'integer', min: 1, default: 10_000, description: 'open loop: cap of operations in flight' },
  { name: 'warmup', type: 'number', min: 0, valueName: 'S', default: 1, description: 'unmeasured warm-up before the window, seconds' },
  { name: 'workers', type: 'integer', min: 1, max: 64, default: DEFAULT_WORKERS, description: 'load-generator worker threads' },
  { name: 'max-time', type: 'number', gt: 0, valueName: 'S', description: 'hard cap per run, seconds (the run is stopped)', defaultText: `warmup + duration + ${CAP_SLACK_S}; ${COUNT_ONLY_CAP_S} with --count only` },
  { name: 'target', type: 'string', valueName: 'URL', description: 'server under load: mqtt://host:port or http://host:port/path', defaultText: 'fleetgate started in-process' },
  { name: 'vs', type: 'enum', choices: PEER_NAMES, description: 'also run a peer, alternating with fleetgate', defaultText: 'none' },
  { name: 'rounds', type: 'integer', min: 1, max: 99, description: 'runs per side (alternating A, B, A, B, ...)', defaultText: '3 with --vs, else 1' },
  { name: 'out', type: 'string', valueName: 'DIR', description: 'also write result.json, summary.md and report.html here', defaultText: 'none' },
  { name: 'quiet', type: 'boolean', default: false, description: 'no live progress lines on stderr' },
];

export const COMMON_NAMES: ReadonlySet<string> = new Set(COMMON_OPTIONS.map((o) => o.name));

/** The common options with the scenario's default overrides applied. */
export function commonOptionsFor(defaults: Readonly<Record<string, OptionValue>> | undefined): OptionSpec[] {
  if (defaults === undefined) return [...COMMON_OPTIONS];
  for (const k of Object.keys(defaults)) {
    if (!COMMON_NAMES.has(k)) throw new TypeError(`scenario defaults: --${k} is not a common option`);
  }
  return COMMON_OPTIONS.map((o) => (defaults[o.name] === undefined ? o : { ...o, default: defaults[o.name] as OptionValue }));
}

/** Rules across common options; undefined when the combination is fine. */
export function validateCommon(o: Options): string | undefined {
  if (o.given('concurrency') && o.has('rate')) {
    return '--concurrency applies to the closed loop; with --rate (open loop) use --max-inflight';
  }
  if (o.given('max-inflight') && !o.has('rate')) {
    return '--max-inflight applies to the open loop (--rate); the closed loop uses --concurrency';
  }
  return undefined;
}

export function planFrom(o: Options): LoadPlan {
  const count = o.optionalNumber('count');
  const duration = o.optionalNumber('duration');
  const rate = o.optionalNumber('rate');
  return {
    mode: rate === undefined ? 'closed' : 'open',
    ratePerSec: rate,
    concurrency: o.number('concurrency'),
    maxInflight: o.number('max-inflight'),
    durationMs: duration !== undefined ? duration * 1000 : count === undefined ? DEFAULT_DURATION_S * 1000 : undefined,
    count,
    warmupMs: o.number('warmup') * 1000,
    workers: o.number('workers'),
    drainMs: DRAIN_MS,
  };
}

/** The hard cap of one run (one side, one round), setup included. */
export function hardCapMs(o: Options, plan: LoadPlan): number {
  const given = o.optionalNumber('max-time');
  if (given !== undefined) return given * 1000;
  if (plan.durationMs === undefined) return COUNT_ONLY_CAP_S * 1000;
  return plan.warmupMs + plan.durationMs + CAP_SLACK_S * 1000;
}

export function roundsFrom(o: Options): number {
  return o.optionalNumber('rounds') ?? (o.has('vs') ? 3 : 1);
}
