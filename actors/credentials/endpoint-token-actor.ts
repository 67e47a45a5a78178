/**
 * EndpointTokenActor (CM): one per (application, token lookup hash). The token value itself is
 * never an actor key, a storage column or a log field: it is reduced at the edge to an HMAC under
 * the deployment's token pepper, and that HMAC finds the row. Validation is therefore a lookup,
 * not a hash verification; the first successful one moves the token Inactive -> Active, once,
 * written before the answer.
 */
import type { Actor, ActorContext } from '../../runtime/index.js';
import type { CredentialState, EndpointToken } from '../../storage/index.js';
import { credentialDeps, type CredentialDeps } from './deps.js';
import { CredentialCodes, CredentialError } from './errors.js';
import type { EndpointTokenMsg, TokenValidation, TokenView } from './protocol.js';
import { assertTransition, revokes } from './state-machine.js';
import { usePatch, VersionedState } from './versioned-state.js';
import { tokenView } from './views.js';

export class EndpointTokenActor implements Actor {
  readonly #ctx: ActorContext;
  readonly #deps: CredentialDeps;
  readonly #appName: string;
  readonly #lookupHash: string;
  readonly #state: VersionedState<EndpointToken>;

  constructor(ctx: ActorContext) {
    this.#ctx = ctx;
    this.#deps = credentialDeps(ctx.deps);
    const nl = ctx.key.indexOf('\n');
    this.#appName = ctx.key.slice(0, nl);
    this.#lookupHash = ctx.key.slice(nl + 1);
    this.#state = new VersionedState(
      ctx.clock,
      this.#deps.stateTtlMs,
      () => this.#deps.endpointTokens.getByLookup(this.#appName, this.#lookupHash),
      () => new CredentialError(CredentialCodes.NOT_FOUND, 'no such endpoint token'),
    );
  }

  activate(): Promise<void> {
    return this.#state.load();
  }

  receive(m: unknown): Promise<unknown> {
    const msg = m as EndpointTokenMsg;
    switch (msg.t) {
      case 'validate':
        return this.#validate();
      case 'get':
        // An operator's read is rare and must be true: from storage, not from this copy.
        return this.#state.load().then(() => tokenView(this.#state.existing()));
      case 'transition':
        return this.#transition(msg.to);
      case 'delete':
        return this.#delete();
      case 'invalidate':
        return this.#state.load().then(() => undefined);
      default:
        return Promise.reject(new TypeError(`unknown endpoint token message ${(msg as { t: string }).t}`));
    }
  }

  #changed(): void {
    this.#deps.events.changed({ kind: 'token', appName: this.#appName, lookupHash: this.#lookupHash });
  }

  async #validate(): Promise<TokenValidation> {
    const d = this.#deps;
    await this.#state.fresh();
    let rec = this.#state.rec;
    if (rec === null) return { statusCode: 401, reasonPhrase: 'Unknown endpoint token', tokenId: null, endpointId: null };
    const before = rec.state;
    if (before === 'Inactive' || before === 'Active') {
      const now = this.#ctx.clock.now();
      rec = await this.#state.write((r) => {
        const patch = usePatch(r, now, d.lastUseGranularityMs);
        return patch === null ? Promise.resolve(r) : d.endpointTokens.update(r.tenantId, r.tokenId, r.version, patch);
      });
      // The other replicas' copies still say Inactive: they reload on this notice.
      if (before === 'Inactive' && rec.state === 'Active') this.#changed();
    }
    if (rec.state !== 'Active') {
      return { statusCode: 403, reasonPhrase: `Endpoint token is ${rec.state}`, tokenId: rec.tokenId, endpointId: rec.endpointId };
    }
    return { statusCode: 200, reasonPhrase: 'OK', tokenId: rec.tokenId, endpointId: rec.endpointId };
  }

  async #transition(to: CredentialState): Promise<TokenView> {
    const d = this.#deps;
    await this.#state.load();
    let from: CredentialState = this.#state.existing().state;
    const rec = await this.#state.write((r) => {
      from = r.state;
      assertTransition(`endpoint token ${r.tokenId}`, r.state, to);
      return d.endpointTokens.update(r.tenantId, r.tokenId, r.version, { state: to, updatedAt: this.#ctx.clock.now() });
    });
    this.#changed();
    if (revokes(from, to)) await d.events.endpointTokenRevoked(rec.appName, rec.endpointId, [rec.tokenId]);
    return tokenView(rec);
  }

  async #delete(): Promise<TokenView> {
    const d = this.#deps;
    await this.#state.load();
    const gone = await this.#state.write((r) => d.endpointTokens.delete(r.tenantId, r.tokenId, r.version));
    this.#state.rec = null;
    this.#changed();
    await d.events.endpointTokenRevoked(gone.appName, gone.endpointId, [gone.tokenId]);
    this.#ctx.passivate();
    return tokenView(gone);
  }
}
