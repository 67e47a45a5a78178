/**
 * Actor kind for the `credentials` bench, loaded into every shard AFTER fleetgate's own modules:
 * a driver that authenticates through the shard's CredentialService, the very object the front
 * door calls (22/CAP over the bus and MQTT CONNECT both end in `authenticate`), so that the
 * figures include the service's checks, the ask to the credential actor (on this shard or
 * another), the verified-secret cache, the hashing pool and the storage write of a first use.
 *
 * Each driver runs closed loops on its own shard and answers with counts and an encoded latency
 * histogram; the main thread adds the drivers up. A driver never touches storage or the pool
 * itself: everything it measures is what a device's authentication costs.
 */
import type { CredentialService } from '../../actors/credentials/service.js';
import type { Actor, ShardHost } from '../../runtime/index.js';
import { errorCode } from '../errors.js';
import { createLatencyHistogram, encodeHistogram, recordLatencyUs } from '../histogram.js';

export const DRIVER = 'bench-credentials-driver';
/** Provided by actors/credentials/module.ts under this name. */
const SERVICE = 'credentials.service';

export interface BenchUser {
  readonly username: string;
  readonly password: string;
}

export type DriverMsg =
  /** Authenticate every user exactly once, `concurrency` at a time (first use). */
  | { op: 'once'; tenantId: string; users: readonly BenchUser[]; concurrency: number }
  /** Authenticate the users round-robin for `durationMs`, `concurrency` loops (cached). */
  | { op: 'loop'; tenantId: string; users: readonly BenchUser[]; concurrency: number; durationMs: number };

export interface DriverReport {
  /** 200 answers: the only successes. */
  ok: number;
  errors: number;
  /** `AUTH_<status>` for an answer other than 200, the error's code for a rejection. */
  errorsByCode: Record<string, number>;
  /** From the first call to the last settlement, on this shard's clock. */
  seconds: number;
  /** Per-call latency (us), hdr-histogram compressed base64 (see bench/histogram.ts). */
  histogram: string;
}

class Driver implements Actor {
  constructor(readonly svc: CredentialService) {}

  receive(m: unknown): Promise<DriverReport> {
    const msg = m as DriverMsg;
    if (msg.op === 'once') return this.#run(msg.tenantId, msg.users, msg.concurrency, Number.POSITIVE_INFINITY, true);
    if (msg.op === 'loop') return this.#run(msg.tenantId, msg.users, msg.concurrency, msg.durationMs, false);
    return Promise.reject(new TypeError(`unknown driver op ${(msg as { op: string }).op}`));
  }

  async #run(tenantId: string, users: readonly BenchUser[], concurrency: number, durationMs: number, once: boolean): Promise<DriverReport> {
    const hist = createLatencyHistogram();
    const errorsByCode: Record<string, number> = {};
    let ok = 0;
    let errors = 0;
    const fail = (code: string): void => {
      errors++;
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    };
    const t0 = performance.now();
    const end = t0 + durationMs;
    // `once`: a shared cursor hands each user out exactly once. `loop`: loop i starts at user i
    // and strides by the loop count, so that (with more users than loops) no two loops ask the
    // same actor at once and the figure is not one mailbox's queue.
    let cursor = 0;
    const lane = async (i: number): Promise<void> => {
      let k = i;
      for (;;) {
        let user: BenchUser | undefined;
        if (once) user = users[cursor++];
        else if (performance.now() < end) user = users[k % users.length];
        if (user === undefined) return;
        k += concurrency;
        const s = performance.now();
        try {
          const r = await this.svc.authenticate(tenantId, user.username, user.password);
          if (r.statusCode === 200) {
            ok++;
            recordLatencyUs(hist, (performance.now() - s) * 1000);
          } else fail(`AUTH_${r.statusCode}`);
        } catch (err) {
          fail(errorCode(err));
        }
      }
    };
    const lanes = users.length === 0 ? 0 : Math.min(concurrency, once ? users.length : concurrency);
    await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
    const report = { ok, errors, errorsByCode, seconds: (performance.now() - t0) / 1000, histogram: encodeHistogram(hist) };
    hist.destroy();
    return report;
  }
}

export function setup(host: ShardHost): void {
  // Throws a TypeError at start-up when the credentials module was not loaded before this one.
  const svc = host.dep<CredentialService>(SERVICE);
  // One activation per driver key for the whole run: an idle driver is never passivated mid-run.
  host.registerActor({ name: DRIVER, idlePassivationMs: 3_600_000, create: () => new Driver(svc) });
}
