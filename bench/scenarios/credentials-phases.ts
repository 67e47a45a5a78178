/**
 * The measured phases of the `credentials` bench, one function each; credentials-core.ts runs
 * them in order. Every failure is counted in a Tally under `<phase>:<code>`; a phase never
 * drops one to make a rate look better.
 */
import argon2 from 'argon2';
import { CLIENT_CREDENTIAL, credentialKey } from '../../actors/credentials/protocol.js';
import type { Cluster } from '../../runtime/index.js';
import { shardOf } from '../../runtime/index.js';
import {
  decodeEndpointTokenValidationResponse,
  ecapTokenRequestSubject,
  encodeEndpointTokenValidationRequest,
  type Bus,
} from '../../transports/bus/index.js';
import { DRIVER, type BenchUser, type DriverMsg, type DriverReport } from '../actors/credentials-actors.js';
import { BenchError, errorCode } from '../errors.js';
import { createLatencyHistogram, decodeHistogram, type Histogram } from '../histogram.js';
import { runLoop } from '../loop.js';
import { AnswerError, callApi, type RestClient } from './credentials-rest.js';

export const APP = 'bench-app';

export class Tally {
  total = 0;
  readonly byCode: Record<string, number> = {};
  add(phase: string, code: string, n = 1): void {
    if (n <= 0) return;
    this.total += n;
    const k = `${phase}:${code}`;
    this.byCode[k] = (this.byCode[k] ?? 0) + n;
  }
}

export interface User extends BenchUser {
  readonly id: string;
}

export interface Token {
  readonly appName: string;
  readonly token: string;
}

export interface Rate {
  readonly perSec: number;
  readonly latency: Histogram;
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

/** Runs `work` for items 0..count-1, `concurrency` at a time, in this thread. */
async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, lane));
}

/** 1. One `POST /api/v1/endpoint-tokens/bulk` of `items` generated tokens (all or nothing). */
export async function bulkProvision(rest: RestClient, tag: string, items: number, tally: Tally): Promise<{ perSec: number; tokens: Token[] }> {
  const body = { items: Array.from({ length: items }, (_, i) => ({ endpointId: `ep-${tag}-${i}`, applicationName: APP })) };
  const t0 = performance.now();
  const a = await callApi(rest, 'POST', '/api/v1/endpoint-tokens/bulk', body).catch((err: unknown) => ({ status: 0, body: { code: errorCode(err) } }));
  const s = seconds(t0);
  const got = (a.body as { items?: Array<{ token: string; applicationName: string }> } | undefined)?.items;
  if (a.status !== 201 || got?.length !== items) {
    tally.add('bulk', a.status === 201 ? 'ERR_BENCH_SHORT_ANSWER' : new AnswerError('bulk', a).code, items);
    return { perSec: 0, tokens: [] };
  }
  return { perSec: items / s, tokens: got.map((t) => ({ appName: t.applicationName, token: t.token })) };
}

/** Creates credentials with given passwords over REST (each is an argon2id hash in the pool). */
export async function createUsers(rest: RestClient, tag: string, count: number, concurrency: number, tally: Tally): Promise<{ users: User[]; perSec: number }> {
  const made: Array<User | undefined> = new Array(count);
  const t0 = performance.now();
  await pool(count, concurrency, async (i) => {
    const username = `u-${tag}-${i}`;
    const password = `pw-${tag}-${i}-${Math.random().toString(36).slice(2, 12)}`;
    const a = await callApi(rest, 'POST', '/api/v1/basic-credentials', { username, password }).catch((err: unknown) => ({ status: 0, body: { code: errorCode(err) } }));
    if (a.status === 201) made[i] = { username, password, id: (a.body as { id: string }).id };
    else tally.add('create', new AnswerError('create', a).code);
  });
  const users = made.filter((u): u is User => u !== undefined);
  return { users, perSec: users.length / seconds(t0) };
}

/** The hashing ceiling: a bare argon2.verify loop on every core of this thread's libuv pool. */
export async function ceiling(hash: string, secret: string, count: number, concurrency: number, tally: Tally): Promise<number> {
  let ok = 0;
  const t0 = performance.now();
  await pool(count, concurrency, async () => {
    if (await argon2.verify(hash, secret).catch(() => false)) ok++;
    else tally.add('ceiling', 'ERR_BENCH_VERIFY_FAILED');
  });
  return ok / seconds(t0);
}

/** The driver key that lives on `shard`. */
export function driverKey(shard: number, shards: number): string {
  for (let i = 0; ; i++) if (shardOf(DRIVER, `d${i}`, shards) === shard) return `d${i}`;
}

export function userShard(tenantId: string, u: BenchUser, shards: number): number {
  return shardOf(CLIENT_CREDENTIAL, credentialKey(tenantId, u.username), shards);
}

/** Asks every driver (one per shard) its share; 200 answers per second of the slowest. */
async function drive(cluster: Cluster, phase: string, shares: DriverMsg[], tally: Tally, timeoutMs: number): Promise<Rate & { ok: number }> {
  const t0 = performance.now();
  const reports = await Promise.all(
    shares.map((msg, s) =>
      cluster.ask<DriverReport>(DRIVER, driverKey(s, shares.length), msg, timeoutMs).catch((err: unknown): DriverReport => {
        // The whole share is lost: every user in it counts as a failure.
        const n = msg.op === 'once' ? msg.users.length : 1;
        return { ok: 0, errors: n, errorsByCode: { [errorCode(err)]: n }, seconds: 0, histogram: '' };
      }),
    ),
  );
  const wall = seconds(t0);
  const latency = createLatencyHistogram();
  let ok = 0;
  for (const r of reports) {
    ok += r.ok;
    for (const [code, n] of Object.entries(r.errorsByCode)) tally.add(phase, code, n);
    if (r.histogram !== '') {
      const h = decodeHistogram(r.histogram);
      latency.add(h);
      h.destroy();
    }
  }
  // `once` ends when the last user is answered (the main thread's wall clock); a timed loop by
  // its own clock on each shard (the slowest shard, so that a late start is not flattering).
  const span = shares[0]?.op === 'once' ? wall : Math.max(...reports.map((r) => r.seconds));
  return { ok, perSec: span > 0 ? ok / span : 0, latency };
}

/** 2. Every user authenticated exactly once (argon2id verification + Inactive -> Active write). */
export function firstUse(cluster: Cluster, shards: number, tenantId: string, users: readonly User[], concurrency: number, tally: Tally): Promise<Rate & { ok: number }> {
  // Round-robin over the drivers whatever shard the credential lives on: a device's connection
  // lands on any shard, its credential actor on one.
  const per = Array.from({ length: shards }, (_, s) => users.filter((_, i) => i % shards === s).map(({ username, password }) => ({ username, password })));
  const lanes = Math.max(1, Math.ceil(concurrency / shards));
  const msgs: DriverMsg[] = per.map((u) => ({ op: 'once', tenantId, users: u, concurrency: lanes }));
  return drive(cluster, 'firstUse', msgs, tally, 600_000);
}

/** 3. Closed loops over cached credentials; `cross` sends each driver to another shard's actors. */
export function cachedAuth(
  cluster: Cluster,
  shards: number,
  tenantId: string,
  users: readonly User[],
  perShardConcurrency: number,
  durationMs: number,
  cross: boolean,
  tally: Tally,
): Promise<Rate & { ok: number }> {
  const byShard = Array.from({ length: shards }, (_, s) => users.filter((u) => userShard(tenantId, u, shards) === s).map(({ username, password }) => ({ username, password })));
  const msgs: DriverMsg[] = byShard.map((_, s) => ({
    op: 'loop',
    tenantId,
    users: byShard[cross ? (s + 1) % shards : s]!,
    concurrency: perShardConcurrency,
    durationMs,
  }));
  return drive(cluster, cross ? 'cachedCross' : 'cached', msgs, tally, durationMs + 120_000);
}

/** 4. 16/ECAP validations over the bus at a fixed rate; latency from the intended send time. */
export async function validation(
  bus: Bus,
  cmInstance: string,
  tokens: readonly Token[],
  o: { rate: number; durationMs: number | undefined; count: number | undefined; signal: AbortSignal },
  phase: string,
  tally: Tally,
): Promise<Rate & { ok: number }> {
  const subject = ecapTokenRequestSubject(cmInstance);
  let k = 0;
  const gen = {
    async call(): Promise<void> {
      const t = tokens[k++ % tokens.length]!;
      const req = encodeEndpointTokenValidationRequest({ correlationId: `v${k}`, timestamp: Date.now(), timeout: 0, appName: t.appName, token: t.token });
      const r = decodeEndpointTokenValidationResponse(await bus.request(subject, req, { timeoutMs: 5000 }));
      if (r.statusCode !== 200) throw new BenchError(`ECAP_${r.statusCode}`, r.reasonPhrase ?? '');
    },
  };
  const totals = await runLoop(
    gen,
    {
      mode: 'open',
      lanes: 10_000,
      ratePerSec: o.rate,
      phaseMs: 0,
      limit: o.count ?? Number.POSITIVE_INFINITY,
      durationMs: o.durationMs ?? Number.POSITIVE_INFINITY,
      warmupMs: 0,
      drainMs: 5000,
    },
    { now: () => performance.now(), startMs: performance.now(), signal: o.signal, onTick: () => undefined },
  );
  for (const [code, n] of totals.errorsByCode) tally.add(phase, code, n);
  return { ok: totals.ops, perSec: totals.measuredMs > 0 ? (totals.ops * 1000) / totals.measuredMs : 0, latency: totals.latency };
}
