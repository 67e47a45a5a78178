/**
 * Executes a validated invocation: starts the peer (if `--vs`), runs fleetgate (A) and the
 * peer (B) in alternation for N rounds, each run under a hard time cap, samples servers, and
 * returns every run's outcome. The peer is stopped whatever happens.
 *
 * A then B inside every round (rather than all A then all B) so that drift of the machine
 * (thermal throttling, a noisy neighbour, page cache) falls on both sides alike.
 */
import { performance } from 'node:perf_hooks';
import { BenchCodes, errorCode, errorMessage } from './errors.js';
import { createLatencyHistogram } from './histogram.js';
import type { Options } from './options.js';
import type { Peer, PeerDefinition, PeerName } from './peers/peer.js';
import { runPool } from './pool.js';
import { Progress } from './progress.js';
import { checkFigureNames, machineInfo, type RunRecord, type SideRun } from './result.js';
import { combineServerStats, startServerSampler, type ServerSampler, type ServerStats } from './sampling/sampler.js';
import type { LoadPlan, Scenario, ScenarioContext, ScenarioResult, Side } from './scenario.js';
import { parseTarget, type Target } from './target.js';

export interface Invocation {
  readonly scenario: Scenario;
  readonly options: Options;
  readonly plan: LoadPlan;
  readonly target: Target | undefined;
  readonly peer: PeerDefinition | undefined;
  readonly rounds: number;
  readonly capMs: number;
  /** One stderr line (progress, notes, diagnostics). */
  readonly log: (line: string) => void;
  readonly quiet: boolean;
}

/** Time a run that ignores its abort signal gets after the cap before it is abandoned. */
const ABANDON_GRACE_MS = 10_000;

export async function execute(inv: Invocation): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const runs: SideRun[] = [];
  let failure: { code: string; message: string } | undefined;
  let peer: Peer | undefined;
  let peerTarget: Target | undefined;
  let peerPid: number | undefined;
  try {
    if (inv.peer !== undefined) {
      const credentials = inv.scenario.peerCredentials?.(inv.options) ?? [];
      peer = inv.peer.create({ credentials, log: inv.log });
      const info = await peer.start();
      peerTarget = parseTarget(info.target, [inv.peer.kind], inv.scenario.name);
      peerPid = info.pid;
      inv.log(`[${inv.scenario.name}] peer ${inv.peer.name} listening at ${info.target}${info.pid ? ` (pid ${info.pid})` : ''}`);
    }
    for (let round = 1; round <= inv.rounds; round++) {
      runs.push(await runSide(inv, 'fleetgate', round, inv.target, undefined, undefined));
      if (peerTarget !== undefined && inv.peer !== undefined) {
        runs.push(await runSide(inv, 'peer', round, peerTarget, inv.peer.name, peerPid));
      }
    }
  } catch (err) {
    failure = { code: errorCode(err), message: errorMessage(err) };
  } finally {
    await peer?.stop().catch((err: unknown) => inv.log(`peer stop failed: ${errorMessage(err)}`));
  }
  return {
    scenario: inv.scenario.name,
    parameters: { ...inv.options.toJSON(), rounds: inv.rounds, mode: inv.plan.mode },
    machine: machineInfo(),
    startedAt,
    finishedAt: new Date().toISOString(),
    peer: inv.peer?.name,
    runs,
    ...(inv.scenario.headline === undefined ? {} : { headline: inv.scenario.headline }),
    ...(failure === undefined ? {} : { failure }),
  };
}

async function runSide(
  inv: Invocation,
  side: Side,
  round: number,
  target: Target | undefined,
  peer: PeerName | undefined,
  pid: number | undefined,
): Promise<SideRun> {
  const name = inv.scenario.name;
  const label = `${name} ${side === 'fleetgate' ? 'fleetgate' : peer ?? 'peer'}${inv.rounds > 1 ? ` ${round}/${inv.rounds}` : ''}`;
  const progress = new Progress(label, inv.plan, inv.quiet ? undefined : inv.log);
  const abort = new AbortController();
  const samplers: ServerSampler[] = [];
  if (side === 'peer' && pid !== undefined) samplers.push(startServerSampler({ pid }));
  const ctx: ScenarioContext = {
    scenario: name,
    options: inv.options,
    plan: inv.plan,
    side,
    peer,
    target,
    targetPid: pid,
    round,
    rounds: inv.rounds,
    signal: abort.signal,
    progress,
    log: inv.log,
    createHistogram: createLatencyHistogram,
    runLoad: (spec) =>
      runPool({
        spec,
        plan: { ...inv.plan, ...spec.plan },
        target: spec.target ?? target,
        signal: abort.signal,
        onSecond: (s) => progress.second(s),
      }),
    sampleServer(source, intervalMs) {
      const s = startServerSampler(source, intervalMs);
      samplers.push(s);
      return s;
    },
  };

  const t0 = performance.now();
  let capped = false;
  let capTimer: NodeJS.Timeout | undefined;
  let abandonTimer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<'abandoned'>((resolve) => {
    capTimer = setTimeout(() => {
      capped = true;
      inv.log(`[${label}] hard cap of ${inv.capMs / 1000} s reached: stopping`);
      abort.abort();
      abandonTimer = setTimeout(() => resolve('abandoned'), ABANDON_GRACE_MS);
    }, inv.capMs);
  });
  let outcome: ScenarioResult | 'abandoned' | undefined;
  let failure: { code: string; message: string } | undefined;
  try {
    outcome = await Promise.race([inv.scenario.run(ctx), abandoned]);
    if (outcome === 'abandoned') {
      failure = { code: BenchCodes.HARD_CAP, message: `did not stop within ${ABANDON_GRACE_MS / 1000} s of the hard cap; abandoned` };
    } else {
      checkFigureNames(outcome.figures, name, inv.scenario.peers.length === 0);
      if (capped) failure = { code: BenchCodes.HARD_CAP, message: `stopped at the hard cap of ${inv.capMs / 1000} s; figures are partial` };
    }
  } catch (err) {
    failure = { code: errorCode(err), message: errorMessage(err) };
  } finally {
    clearTimeout(capTimer);
    clearTimeout(abandonTimer);
  }
  const durationMs = performance.now() - t0;
  const stats = await Promise.all(samplers.map((s) => s.stop()));
  const result = outcome === 'abandoned' ? undefined : outcome;
  return {
    side,
    round,
    figures: result?.figures ?? {},
    errors: result?.errors ?? 0,
    errorsByCode: result?.errorsByCode ?? {},
    histograms: result?.histograms ?? {},
    series: { throughput: progress.series, ...(result?.series ?? {}) },
    server: mergeStats(stats),
    durationMs,
    ...(failure === undefined ? {} : { failure }),
  };
}

/** Several samplers in one run (metrics and a pid) fold into one `server` block. */
function mergeStats(stats: readonly ServerStats[]): ServerStats | undefined {
  if (stats.length <= 1) return stats[0];
  const merged = combineServerStats(stats);
  if (merged === undefined) return undefined;
  return { ...merged, source: stats.map((s) => s.source).join(', ') };
}
