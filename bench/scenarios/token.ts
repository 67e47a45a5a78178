/**
 * `token`: OAuth 2.0 client_credentials issuance (POST /oauth2/token, client_secret_basic,
 * ES256 JWT access tokens). Closed loop at each of `--concurrencies` (tokens/s, p50, p99), then
 * an open loop at `--half-rate-fraction` of the best closed-loop rate (p99 there, the latency a
 * service sees when the server is not saturated). With `--vs oidc-provider` the same client,
 * scopes, audience, TTL and claims are configured on panva's oidc-provider, and the rounds
 * alternate.
 *
 * fleetgate's client secret is an argon2id hash (production parameters by default), so its
 * first verification is slow by design; the preflight request and every step's warm-up put it
 * in the verified-secret cache before anything is measured ("with cached secret verification").
 * oidc-provider compares its clear-text client secret directly.
 *
 * The secret never goes on the command line (it would land in the result JSON and the shell
 * history): FLEETGATE_BENCH_CLIENT_SECRET, or one generated for this run.
 * Targets (reported, never asserted): tokens/s >= 5x oidc-provider, p99 <= 5 ms at half rate.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { BenchError } from '../errors.js';
import { summarize } from '../histogram.js';
import type { Options } from '../options.js';
import { BENCH_TOKEN_PROFILE } from '../peers/oidc-provider.js';
import type { Figure, LoadResult, Scenario, ScenarioContext } from '../scenario.js';
import type { HttpTarget } from '../target.js';
import { formEncode } from '../../transports/oauth-sdk/wire.js';
import { ForeignCpu } from './credentials-cpu.js';
import type { TokenLoadParams } from './token-generator.js';
import { startTokenPlatform, TOKEN_PATH, type TokenPlatform } from './token-platform.js';

const GENERATOR = new URL('./token-generator.js', import.meta.url);
export const SECRET_ENV = 'FLEETGATE_BENCH_CLIENT_SECRET';
/** One secret per bench process: the in-process fleetgate and the peer are given the same. */
const GENERATED_SECRET = randomBytes(24).toString('base64url');
const P99_TARGET_MS = 5;
const MAX_STEPS = 8;

function clientSecret(): string {
  return process.env[SECRET_ENV] ?? GENERATED_SECRET;
}

export function parseConcurrencies(raw: string): number[] | string {
  const parts = raw.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 10_000) {
      return `--concurrencies must be a comma-separated list of integers from 1 to 10000, got "${raw}"`;
    }
    out.push(Number(p));
  }
  if (out.length > MAX_STEPS) return `--concurrencies takes at most ${MAX_STEPS} values, got ${out.length}`;
  return [...new Set(out)].sort((a, b) => a - b);
}

const ms = (us: number): number => Math.round(us) / 1000;

export const tokenScenario: Scenario = {
  name: 'token',
  summary: 'OAuth 2.0: client_credentials token issuance, tokens/s and p50/p99 per concurrency, p99 at half the max rate',
  options: [
    { name: 'concurrencies', type: 'string', default: '1,8,32,128', valueName: 'LIST', description: 'closed-loop steps: concurrent callers, comma-separated' },
    { name: 'half-rate-fraction', type: 'number', gt: 0, max: 1, default: 0.5, valueName: 'F', description: 'open-loop step at this fraction of the best closed-loop rate' },
    { name: 'client-id', type: 'string', default: 'bench-client', valueName: 'ID', description: `client id (secret: env ${SECRET_ENV}, required with --target; else generated)` },
    { name: 'shards', type: 'integer', min: 1, max: 64, default: 2, description: 'in-process fleetgate: shard worker threads' },
    { name: 'threads', type: 'integer', min: 1, max: 256, default: availableParallelism(), description: 'in-process fleetgate: hashing pool threads' },
    { name: 'memory-cost', type: 'integer', min: 1024, default: 19456, description: 'argon2id memory in KiB of the client secret hash (production: 19456; lower only for tests)' },
    { name: 'time-cost', type: 'integer', min: 1, default: 2, description: 'argon2id iterations (production: 2; lower only for tests)' },
  ],
  targets: ['http'],
  peers: ['oidc-provider'],
  defaults: { duration: 5, 'max-time': 900 },
  headline: ['tokensPerSec', 'p50Ms', 'p99Ms', 'p99AtHalfRateMs'],
  validate(o: Options) {
    const c = parseConcurrencies(o.string('concurrencies'));
    if (typeof c === 'string') return c;
    if (o.has('rate')) return 'the token scenario runs its own closed-loop steps (--concurrencies) and open-loop step (--half-rate-fraction); --rate is not used';
    if (o.given('concurrency')) return 'the token scenario takes --concurrencies (a list), not --concurrency';
    if (o.has('target') && process.env[SECRET_ENV] === undefined) return `--target needs the client secret in the environment variable ${SECRET_ENV}`;
    return undefined;
  },
  peerCredentials: (o) => [{ username: o.string('client-id'), password: clientSecret() }],
  async run(ctx) {
    const o = ctx.options;
    let platform: TokenPlatform | undefined;
    let target: HttpTarget;
    if (ctx.target !== undefined) {
      if (ctx.target.kind !== 'http' || ctx.target.tls) throw new BenchError('ERR_BENCH_TARGET', `the token bench drives http:// targets, got ${ctx.target.url}`);
      target = ctx.target;
    } else {
      ctx.progress.note('starting fleetgate (embedded defaults, bench client seeded)');
      platform = await startTokenPlatform({
        clientId: o.string('client-id'),
        clientSecret: clientSecret(),
        profile: BENCH_TOKEN_PROFILE,
        shards: o.number('shards'),
        hashingThreads: o.number('threads'),
        memoryCost: o.number('memory-cost'),
        timeCost: o.number('time-cost'),
      });
      target = { kind: 'http', url: `http://127.0.0.1:${platform.port}${TOKEN_PATH}`, host: '127.0.0.1', port: platform.port, path: TOKEN_PATH, tls: false };
    }
    try {
      return await measure(ctx, target);
    } finally {
      await platform?.stop();
    }
  },
};

async function measure(ctx: ScenarioContext, target: HttpTarget): Promise<{ figures: Record<string, Figure>; errors: number; errorsByCode: Record<string, number>; histograms: Record<string, ReturnType<ScenarioContext['createHistogram']>> }> {
  const o = ctx.options;
  const clientId = o.string('client-id');
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret())}`;
  const base: Omit<TokenLoadParams, 'mode'> = {
    host: target.host,
    port: target.port,
    path: target.path,
    authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`,
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: BENCH_TOKEN_PROFILE.scopes.join(' ') }).toString(),
  };
  const foreign = new ForeignCpu();
  const format = await preflight(target, base);
  ctx.progress.note(`token format: ${format}`);

  const figures: Record<string, Figure> = { tokenFormat: format };
  const errorsByCode: Record<string, number> = {};
  let errors = 0;
  const add = (r: LoadResult): void => {
    errors += r.errors;
    for (const [k, v] of Object.entries(r.errorsByCode)) errorsByCode[k] = (errorsByCode[k] ?? 0) + v;
  };
  let best: { c: number; r: LoadResult } | undefined;
  const steps = parseConcurrencies(o.string('concurrencies')) as number[];
  for (const c of steps) {
    if (ctx.signal.aborted) break;
    ctx.progress.note(`closed loop, concurrency ${c}`);
    const r = await ctx.runLoad<TokenLoadParams>({ generator: GENERATOR, params: { ...base, mode: 'closed' }, plan: { mode: 'closed', concurrency: c, ratePerSec: undefined } });
    add(r);
    const s = summarize(r.latency);
    figures[`c${c}TokensPerSec`] = Math.round(r.opsPerSec);
    figures[`c${c}P50Ms`] = ms(s.p50_us);
    figures[`c${c}P99Ms`] = ms(s.p99_us);
    figures[`c${c}Errors`] = r.errors;
    if (best === undefined || r.opsPerSec > best.r.opsPerSec) best = { c, r };
  }
  if (best === undefined) throw new BenchError('ERR_BENCH_NO_STEP', 'no closed-loop step ran');
  const bs = summarize(best.r.latency);
  figures['tokensPerSec'] = Math.round(best.r.opsPerSec);
  figures['p50Ms'] = ms(bs.p50_us);
  figures['p99Ms'] = ms(bs.p99_us);
  figures['bestConcurrency'] = best.c;
  figures['concurrencies'] = steps.join(',');
  const histograms: Record<string, ReturnType<ScenarioContext['createHistogram']>> = { [`closed_c${best.c}`]: best.r.latency };

  const rate = Math.max(1, Math.floor(best.r.opsPerSec * o.number('half-rate-fraction')));
  if (!ctx.signal.aborted) {
    ctx.progress.note(`open loop at ${rate} tokens/s`);
    const r = await ctx.runLoad<TokenLoadParams>({ generator: GENERATOR, params: { ...base, mode: 'open' }, plan: { mode: 'open', ratePerSec: rate } });
    add(r);
    const s = summarize(r.latency);
    figures['halfRatePerSec'] = rate;
    figures['halfRateAchievedPerSec'] = Math.round(r.opsPerSec);
    figures['p50AtHalfRateMs'] = ms(s.p50_us);
    figures['p99AtHalfRateMs'] = ms(s.p99_us);
    figures['p99AtHalfRateTargetMs'] = P99_TARGET_MS;
    histograms['open_half_rate'] = r.latency;
  }
  // CPU other processes took meanwhile: above a few %, the figures are not comparable.
  const f = foreign.take();
  if (f !== undefined) figures['foreignCpuPct'] = f;
  return { figures, errors, errorsByCode, histograms };
}

/**
 * One token before any load: proves the credentials, warms the secret cache, and checks that
 * the token is what both sides must issue (an ES256 `at+jwt` for the bench audience with the
 * requested scopes), so the comparison is between like tokens.
 */
async function preflight(target: HttpTarget, p: Omit<TokenLoadParams, 'mode'>): Promise<string> {
  const res = await fetch(`http://${target.host}:${target.port}${target.path}`, {
    method: 'POST',
    headers: { authorization: p.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: p.body,
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  if (res.status !== 200 || typeof body['access_token'] !== 'string') {
    const code = typeof body['error'] === 'string' ? `OAUTH_${body['error']}` : `HTTP_${res.status}`;
    throw new BenchError(code, `preflight token request to ${target.url} failed: HTTP ${res.status} ${code}`);
  }
  const jwt = body['access_token'];
  const header = decodeProtectedHeader(jwt);
  const claims = decodeJwt(jwt);
  const wantScopes = BENCH_TOKEN_PROFILE.scopes;
  const scopes = String(claims['scope'] ?? body['scope'] ?? '').split(' ');
  const problems: string[] = [];
  if (header.alg !== 'ES256') problems.push(`alg ${String(header.alg)}`);
  if (header.typ !== 'at+jwt') problems.push(`typ ${String(header.typ)}`);
  if (claims.aud !== BENCH_TOKEN_PROFILE.audience && !(Array.isArray(claims.aud) && claims.aud.includes(BENCH_TOKEN_PROFILE.audience))) problems.push(`aud ${JSON.stringify(claims.aud)}`);
  if (claims['client_id'] !== undefined && claims['client_id'] === '') problems.push('client_id empty');
  if (claims.exp === undefined || claims.jti === undefined) problems.push('no exp or jti');
  if (!wantScopes.every((s) => scopes.includes(s))) problems.push(`scope "${scopes.join(' ')}"`);
  if (problems.length > 0) throw new BenchError('ERR_BENCH_TOKEN_FORMAT', `the token of ${target.url} is not the bench's format: ${problems.join(', ')}`);
  return `jwt ${header.alg} ${header.typ} ${jwt.length}B`;
}
