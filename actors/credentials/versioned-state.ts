/**
 * The in-memory copy of one stored credential (or token) that its actor decides from, and the
 * rules shared by both kinds of credential actor:
 *  - the copy is reloaded when it is older than the state TTL or absent (another replica may
 *    have created or changed it, and its change notice may have been lost);
 *  - a copy in use past half its TTL is reloaded in the background while it keeps answering:
 *    a busy actor never stops to reload (every message waiting behind it would wait too), only
 *    an idle one finds its copy expired;
 *  - every write is a versioned compare-and-set; on ERR_VERSION_CONFLICT the copy is reloaded and
 *    the write decided again from the fresh record, once.
 */
import type { Clock } from '../../runtime/index.js';
import { hasCode } from '../../runtime/index.js';
import { StorageCodes, type CredentialState } from '../../storage/index.js';

export class VersionedState<R> {
  rec: R | null = null;
  #loadedAt = 0;
  /** Bumps whenever `rec` is replaced: a background read that started before loses to it. */
  #generation = 0;
  #refreshing = false;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly loader: () => Promise<R | null>,
    private readonly notFound: () => Error,
  ) {}

  /** When the copy was read (clock ms); a copy is trusted until loadedAt + ttlMs. */
  get loadedAt(): number {
    return this.#loadedAt;
  }

  async load(): Promise<void> {
    this.rec = await this.loader();
    this.#loadedAt = this.clock.now();
    this.#generation++;
  }

  async fresh(): Promise<void> {
    const age = this.clock.now() - this.#loadedAt;
    if (this.rec === null || age > this.ttlMs) await this.load();
    else if (age > this.ttlMs / 2) this.#refreshAhead();
  }

  /** The background reload; its failure is left to the next foreground load (which fails closed). */
  #refreshAhead(): void {
    if (this.#refreshing) return;
    this.#refreshing = true;
    const generation = this.#generation;
    const startedAt = this.clock.now();
    this.loader()
      .then(
        (rec) => {
          if (generation !== this.#generation) return;
          this.rec = rec;
          this.#loadedAt = startedAt;
          this.#generation++;
        },
        () => undefined,
      )
      .finally(() => {
        this.#refreshing = false;
      });
  }

  existing(): R {
    if (this.rec === null) throw this.notFound();
    return this.rec;
  }

  async write(decide: (rec: R) => Promise<R>): Promise<R> {
    try {
      this.rec = await decide(this.existing());
    } catch (err) {
      if (!hasCode(err, StorageCodes.VERSION_CONFLICT)) throw err;
      await this.load();
      this.rec = await decide(this.existing());
    }
    this.#generation++;
    return this.rec;
  }
}

interface Usable {
  state: CredentialState;
  lastUsedAt: number | null;
  updatedAt: number;
}

/** What a successful use writes: the activation on first use, otherwise lastUsedAt when it is
 *  older than the granularity (a write per use would make storage the bottleneck of reconnect
 *  storms); null when there is nothing to write. Decided on the record as it is now, so that a
 *  retry after a conflict does not write a second time what another replica just wrote. */
export function usePatch(r: Usable, now: number, granularityMs: number): { state?: 'Active'; lastUsedAt: number; updatedAt: number } | null {
  if (r.state === 'Inactive') return { state: 'Active', lastUsedAt: now, updatedAt: now };
  if (r.state === 'Active' && (r.lastUsedAt === null || now - r.lastUsedAt >= granularityMs)) return { lastUsedAt: now, updatedAt: r.updatedAt };
  return null;
}
