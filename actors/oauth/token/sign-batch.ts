/**
 * Access-token signatures made in batches: the signatures asked for during one pass of the
 * event loop are made one after another once the loop's I/O is done (setImmediate), at most
 * `maxBatch` a turn.
 *
 * Why: an ES256 signature costs about 33 us when signatures follow one another, but 50 to 55 us
 * when each one sits between the HTTP, form and JSON work of its own request (measured inside a
 * shard under load: OpenSSL's code and tables and the request path keep evicting each other
 * from the core's caches). Signing a pass's requests together, after their other work, brought
 * a shard's CPU time per token from about 133 to 91 us (`npm run bench -- token`). An answer
 * waits at most for the signatures of its own pass, which it would have waited for anyway in a
 * busy shard; an idle shard signs in the very next turn.
 *
 * The queue is bounded by the requests in progress (the HTTP server's maxInflight); a turn
 * signs at most `maxBatch` and stops after TURN_BUDGET_MS, and the rest waits for the next turn
 * so that I/O runs between.
 */
import type { ActiveKey } from './keys.js';

/** Makes the JWS signature of a signing input with a key, possibly later. */
export interface Signer {
  sign(key: ActiveKey, signingInput: string): Promise<Buffer>;
}

interface Pending {
  readonly key: ActiveKey;
  readonly input: string;
  readonly resolve: (sig: Buffer) => void;
  readonly reject: (err: unknown) => void;
}

export const DEFAULT_SIGN_BATCH = 64;
/** Longest run of signatures in one turn (ES256: about 100 of them). */
const TURN_BUDGET_MS = 4;

export class BatchSigner implements Signer {
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #scheduled = false;

  /** `maxBatch`: signatures per turn; the rest wait for the next turn, so I/O runs between. */
  constructor(maxBatch = DEFAULT_SIGN_BATCH) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new TypeError(`maxBatch must be a positive integer, got ${String(maxBatch)}`);
    this.#maxBatch = maxBatch;
  }

  sign(key: ActiveKey, signingInput: string): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.#queue.push({ key, input: signingInput, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flush);
      }
    });
  }

  readonly #flush = (): void => {
    const queue = this.#queue;
    const started = performance.now();
    let done = 0;
    // Up to maxBatch, and no longer than TURN_BUDGET_MS: an RS256 signature costs about 1 ms,
    // and a turn of 64 of them would hold every other request of the shard for as long.
    while (done < queue.length && done < this.#maxBatch && (done === 0 || performance.now() - started < TURN_BUDGET_MS)) {
      const p = queue[done++] as Pending;
      let sig: Buffer;
      try {
        sig = p.key.sign(p.input);
      } catch (err) {
        p.reject(err);
        continue;
      }
      p.resolve(sig);
    }
    if (done < queue.length) {
      this.#queue = queue.slice(done);
      setImmediate(this.#flush);
    } else {
      this.#queue = [];
      this.#scheduled = false;
    }
  };
}
