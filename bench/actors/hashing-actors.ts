/**
 * Actor kind for the `hashing` bench: a verifier on each shard that keeps `concurrency`
 * verifications in flight through the shard's hasher (the process-wide pool on the main thread)
 * for a fixed time, exactly the path a credential actor takes.
 */
import type { Actor, ActorContext, Hasher, ShardHost } from '../../runtime/index.js';

class Verifier implements Actor {
  constructor(readonly ctx: ActorContext) {}
  async receive(m: unknown): Promise<unknown> {
    const { hash, secret, concurrency, durationMs } = m as { hash: string; secret: string; concurrency: number; durationMs: number };
    const hasher = this.ctx.deps['hasher'] as Hasher;
    const end = performance.now() + durationMs;
    let done = 0;
    let failed = 0;
    const loop = async (): Promise<void> => {
      while (performance.now() < end) {
        try {
          const r = await hasher.verify(secret, hash);
          if (r.ok) done++;
          else failed++;
        } catch {
          failed++;
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, loop));
    return { done, failed, seconds: (performance.now() - t0) / 1000 };
  }
}

export function setup(host: ShardHost): void {
  host.registerActor({ name: 'bench-verifier', create: (ctx) => new Verifier(ctx) });
  host.provide('hasher', host.hasher);
}
