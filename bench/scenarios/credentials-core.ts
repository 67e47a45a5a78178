/**
 * The `credentials` bench: the credential services (CCM, CM) of a whole in-process fleetgate,
 * phase after phase, each after a warm-up, rates as medians of `runs`:
 *  1. bulk token provisioning over REST (one all-or-nothing transaction of `bulkItems`);
 *  2. first-use authentications (argon2id verification + the Inactive -> Active write) from
 *     driver actors in the shards, between runs of a bare argon2 loop on all cores in this
 *     thread (the ceiling) so that both see the same machine;
 *  3. cached authentications (verified-secret cache hits), drivers hitting their own shard's
 *     actors, then another shard's;
 *  4. 16/ECAP validations over the bus at a fixed rate (p50/p99 from the intended send time);
 *  5. credential state transitions over REST from the bench's worker threads.
 * On a shared machine other processes' CPU use is measured and reported (`foreignCpuPct`).
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { summarize, type Histogram } from '../histogram.js';
import { median } from '../result.js';
import type { Figure, LoadPlan, LoadResult, LoadSpec } from '../scenario.js';
import { ForeignCpu } from './credentials-cpu.js';
import { startBenchPlatform, TENANT, type Backend, type BusKind } from './credentials-platform.js';
import type { TransitionParams } from './credentials-generator.js';
import { bulkProvision, cachedAuth, ceiling, createUsers, firstUse, Tally, validation, type Token, type User } from './credentials-phases.js';

export interface CredentialsBenchOptions {
  backend: Backend;
  bus: BusKind;
  shards: number;
  threads: number;
  users: number;
  bulkItems: number;
  seconds: number;
  runs: number;
  validationRate: number;
  validationTokens: number;
  cachedConcurrency: number;
  transitionConcurrency: number;
  memoryCost: number;
  timeCost: number;
}

export interface CredentialsBenchEnv {
  say(line: string): void;
  signal: AbortSignal;
  /** The framework's worker pool (ctx.runLoad) with the common plan (ctx.plan). */
  runLoad(spec: LoadSpec<TransitionParams>): Promise<LoadResult>;
  plan: LoadPlan;
  /** Samples the platform's /metrics (ctx.sampleServer: the result's `server`) until the returned
   *  function is called, before the platform stops. */
  sampleMetrics(metricsUrl: string): () => Promise<unknown>;
}

export interface CredentialsBenchResult {
  figures: Record<string, Figure>;
  errors: number;
  errorsByCode: Record<string, number>;
  histograms: Record<string, Histogram>;
}

/** Targets on this 2-core class of machine: reported beside the figures, never asserted. */
export const TARGETS = { firstUseRatioToCeiling: 0.85, cachedAuthPerSec: 100_000 } as const;

const GENERATOR = new URL('./credentials-generator.js', import.meta.url);
const ms = (us: number): number => Number((us / 1000).toFixed(3));
const rate = (xs: number[]): number => Math.round(median(xs));
const fmt = (n: number): string => n.toFixed(n >= 100 ? 0 : 1);
const foreign = (pct: number | undefined): string => (pct === undefined || pct < 1 ? '' : ` [others took ${pct}% of the CPU]`);

export async function runCredentialsBench(o: CredentialsBenchOptions, env: CredentialsBenchEnv): Promise<CredentialsBenchResult> {
  const { say, signal } = env;
  const tally = new Tally();
  const figures: Record<string, Figure> = { backend: o.backend, bus: o.bus };
  const histograms: Record<string, Histogram> = {};
  const cores = availableParallelism();
  const warmMs = Math.min(1000, o.seconds * 1000);
  const live = (): boolean => !signal.aborted;
  const runCpu = new ForeignCpu();
  const cpu = new ForeignCpu();

  say(`starting fleetgate: ${o.shards} shards, ${o.threads} hashing threads, argon2id m=${o.memoryCost} KiB t=${o.timeCost}, storage ${o.backend}, bus ${o.bus}`);
  const bp = await startBenchPlatform({ ...o, hashingThreads: o.threads, say });
  const { cluster, bus } = bp.platform;
  const stopSampling = env.sampleMetrics(`http://127.0.0.1:${bp.platform.management.port}/metrics`);
  try {
    // ---- 1. bulk provisioning ----
    const tokens: Token[] = [];
    await bulkProvision(bp.rest, 'warm', Math.min(1000, o.bulkItems), tally);
    const bulk: number[] = [];
    for (let r = 0; r < o.runs && live(); r++) {
      const b = await bulkProvision(bp.rest, `r${r}`, o.bulkItems, tally);
      bulk.push(b.perSec);
      tokens.push(...b.tokens);
      say(`bulk ${r + 1}/${o.runs}: ${o.bulkItems} tokens at ${fmt(b.perSec)} tokens/s`);
    }
    if (bulk.length > 0) figures['bulkProvisionPerSec'] = rate(bulk);

    // ---- 2. first use against the ceiling ----
    const secret = 'bench-ceiling-secret-0123456789';
    const hash = await argon2.hash(secret, { type: argon2.argon2id, memoryCost: o.memoryCost, timeCost: o.timeCost, parallelism: 1 });
    const firstConcurrency = 4 * o.threads;
    const warm = await createUsers(bp.rest, 'warm', firstConcurrency, firstConcurrency, tally);
    await ceiling(hash, secret, 2 * cores, cores, tally);
    await firstUse(cluster, o.shards, TENANT, warm.users, firstConcurrency, tally);
    // Ceiling, first use, ceiling, first use, ..., ceiling: each first use is compared with the
    // mean of the ceilings just before and just after it, so that a machine whose speed drifts
    // (turbo, a neighbour's load) moves both sides of each ratio alike. Other processes' share
    // of the CPU is measured on each side: a ratio means little when they differ.
    const timedCeiling = async (): Promise<{ perSec: number; foreign: number | undefined }> => {
      cpu.take();
      const perSec = await ceiling(hash, secret, o.users, cores, tally);
      return { perSec, foreign: cpu.take() };
    };
    const ceil = [await timedCeiling()];
    const first: Array<{ perSec: number; foreign: number | undefined }> = [];
    const ratios: number[] = [];
    const created: number[] = [];
    let users: User[] = [];
    const firstLatency: Histogram[] = [];
    for (let r = 0; r < o.runs && live(); r++) {
      // Created just before their first use, as the run's only new credentials: their actors
      // are still active with fresh state, so the first use is verification + write.
      const c = await createUsers(bp.rest, `f${r}`, o.users, firstConcurrency, tally);
      created.push(c.perSec);
      users = c.users;
      cpu.take();
      const f = await firstUse(cluster, o.shards, TENANT, users, firstConcurrency, tally);
      first.push({ perSec: f.perSec, foreign: cpu.take() });
      firstLatency.push(f.latency);
      ceil.push(await timedCeiling());
      const [before, after] = [ceil.at(-2)!, ceil.at(-1)!];
      ratios.push(f.perSec / ((before.perSec + after.perSec) / 2));
      say(
        `first use ${r + 1}/${o.runs}: ${fmt(f.perSec)}/s${foreign(first.at(-1)!.foreign)} (${f.ok}/${users.length} answered 200), ` +
          `ceiling ${fmt(before.perSec)}/s${foreign(before.foreign)} then ${fmt(after.perSec)}/s${foreign(after.foreign)}, ` +
          `ratio ${ratios.at(-1)!.toFixed(3)}; created at ${fmt(c.perSec)}/s`,
      );
    }
    if (first.length > 0) {
      const pct = (xs: Array<number | undefined>): number => Number(median(xs.map((x) => x ?? Number.NaN)).toFixed(1));
      Object.assign(figures, {
        credentialCreatePerSec: Number(median(created).toFixed(1)),
        firstUseAuthPerSec: Number(median(first.map((f) => f.perSec)).toFixed(1)),
        hashingCeilingPerSec: Number(median(ceil.map((c) => c.perSec)).toFixed(1)),
        firstUseRatioToCeiling: Number(median(ratios).toFixed(3)),
        firstUseForeignCpuPct: pct(first.map((f) => f.foreign)),
        ceilingForeignCpuPct: pct(ceil.map((c) => c.foreign)),
      });
      const h = firstLatency[0]!;
      for (const x of firstLatency.slice(1)) h.add(x);
      histograms['firstUse'] = h;
      figures['firstUseP50Ms'] = ms(summarize(h).p50_us);
      figures['firstUseP99Ms'] = ms(summarize(h).p99_us);
    }

    // ---- 3. cached authentications ----
    if (users.length > 0 && live()) {
      await cachedAuth(cluster, o.shards, TENANT, users, o.cachedConcurrency, warmMs, false, tally);
      const own: number[] = [];
      const cross: number[] = [];
      for (let r = 0; r < o.runs && live(); r++) {
        cpu.take();
        const a = await cachedAuth(cluster, o.shards, TENANT, users, o.cachedConcurrency, o.seconds * 1000, false, tally);
        const busy = cpu.take();
        const b = await cachedAuth(cluster, o.shards, TENANT, users, o.cachedConcurrency, o.seconds * 1000, true, tally);
        own.push(a.perSec);
        cross.push(b.perSec);
        if (r === o.runs - 1) histograms['cachedAuth'] = a.latency;
        say(`cached ${r + 1}/${o.runs}: own shard ${fmt(a.perSec)}/s (p99 ${ms(summarize(a.latency).p99_us)} ms), cross shard ${fmt(b.perSec)}/s${foreign(busy)}`);
      }
      figures['cachedAuthPerSec'] = rate(own);
      figures['cachedAuthCrossShardPerSec'] = rate(cross);
      if (histograms['cachedAuth']) figures['cachedAuthP99Ms'] = ms(summarize(histograms['cachedAuth']).p99_us);
    }

    // ---- 4. token validation over the bus ----
    const set = tokens.slice(0, o.validationTokens);
    if (set.length > 0 && live()) {
      // Warm-up: each token of the working set validated once, at the same rate (each is that
      // token's first use: actor activation, storage read, Inactive -> Active write).
      const w = await validation(bus, bp.cmInstance, set, { rate: o.validationRate, durationMs: undefined, count: set.length, signal }, 'validationFirst', tally);
      cpu.take();
      const v = await validation(bus, bp.cmInstance, set, { rate: o.validationRate, durationMs: o.seconds * 1000, count: undefined, signal }, 'validation', tally);
      const busy = cpu.take();
      histograms['validation'] = v.latency;
      const s = summarize(v.latency);
      Object.assign(figures, {
        validationP50Ms: ms(s.p50_us),
        validationP99Ms: ms(s.p99_us),
        validationPerSec: Math.round(v.perSec),
        validationFirstUseP99Ms: ms(summarize(w.latency).p99_us),
      });
      say(`validation over the ${o.bus} bus at ${o.validationRate}/s on ${set.length} tokens: p50 ${ms(s.p50_us)} ms, p99 ${ms(s.p99_us)} ms (first use p99 ${figures['validationFirstUseP99Ms']} ms)${foreign(busy)}`);
    }

    // ---- 5. transitions over REST ----
    if (users.length > 0 && live()) {
      const concurrency = Math.min(o.transitionConcurrency, users.length);
      const params: TransitionParams = { rest: bp.rest, ids: users.map((u) => u.id) };
      const plan: Partial<LoadPlan> = {
        mode: 'closed',
        concurrency,
        ratePerSec: undefined,
        count: undefined,
        durationMs: o.seconds * 1000,
        warmupMs: warmMs,
        workers: Math.min(env.plan.workers, concurrency),
      };
      const rates: number[] = [];
      for (let r = 0; r < o.runs && live(); r++) {
        cpu.take();
        const t = await env.runLoad({ generator: GENERATOR, params, plan });
        const busy = cpu.take();
        for (const [code, n] of Object.entries(t.errorsByCode)) tally.add('transitions', code, n);
        rates.push(t.opsPerSec);
        if (r === o.runs - 1) histograms['transitions'] = t.latency;
        say(`transitions ${r + 1}/${o.runs}: ${fmt(t.opsPerSec)}/s, p99 ${ms(summarize(t.latency).p99_us)} ms, ${t.errors} errors${foreign(busy)}`);
      }
      figures['transitionsPerSec'] = Number(median(rates).toFixed(1));
      if (histograms['transitions']) figures['transitionP99Ms'] = ms(summarize(histograms['transitions']).p99_us);
    }

    const all = runCpu.take();
    if (all !== undefined) figures['foreignCpuPct'] = all;
    if (typeof figures['firstUseRatioToCeiling'] === 'number') figures['firstUseTargetMet'] = figures['firstUseRatioToCeiling'] >= TARGETS.firstUseRatioToCeiling;
    if (typeof figures['cachedAuthPerSec'] === 'number') figures['cachedAuthTargetMet'] = figures['cachedAuthPerSec'] >= TARGETS.cachedAuthPerSec;
    return { figures, errors: tally.total, errorsByCode: tally.byCode, histograms };
  } finally {
    await stopSampling();
    say('stopping fleetgate');
    await bp.stop();
  }
}
