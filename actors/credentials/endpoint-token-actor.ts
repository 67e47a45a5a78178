/**
 * EndpointTokenActor (CM): one per (application, token lookup hash). The token value itself is
 * never an actor key, a storage column or a log field: it is reduced at the edge to an HMAC under
 * the deployment's token pepper, and that HMAC finds the row. Validation is therefore a lookup,
 * not a hash verification; the first successful one moves the token Inactive -> Active, once,
 * written before the answer.
 */
import type { Actor, ActorContext } from '../../runtime/index.js';
import { hasCode } from '../../runtime/index.js';
import { StorageCodes, type CredentialState, type EndpointToken } from '../../storage/index.js';
import { credentialDeps, type CredentialDeps } from './deps.js';
import { CredentialCodes, CredentialError } from './errors.js';
import type { EndpointTokenMsg, TokenValidation, TokenView } from './protocol.js';
import { assertTransition, revokes } from './state-machine.js';
import { tokenView } from './views.js';

export class EndpointTokenActor implements Actor {
  readonly #ctx: ActorContext;
  readonly #deps: CredentialDeps;
  readonly #appName: string;
  readonly #lookupHash: string;
  #rec: EndpointToken | null = null;
  #loadedAt = 0;

  constructor(ctx: ActorContext) {
    this.#ctx = ctx;
    this.#deps = credentialDeps(ctx.deps);
    const nl = ctx.key.indexOf('\n');
    this.#appName = ctx.key.slice(0, nl);
    this.#lookupHash = ctx.key.slice(nl + 1);
  }

  async activate(): Promise<void> {
    await this.#load();
  }

  receive(m: unknown): Promise<unknown> {
    const msg = m as EndpointTokenMsg;
    switch (msg.t) {
      case 'validate':
        return this.#validate();
      case 'get':
        return this.#fresh().then(() => tokenView(this.#existing()));
      case 'transition':
        return this.#transition(msg.to);
      case 'delete':
        return this.#delete();
      case 'invalidate':
        return this.#load().then(() => undefined);
      default:
        return Promise.reject(new TypeError(`unknown endpoint token message ${(msg as { t: string }).t}`));
    }
  }

  async #load(): Promise<void> {
    this.#rec = await this.#deps.endpointTokens.getByLookup(this.#appName, this.#lookupHash);
    this.#loadedAt = this.#ctx.clock.now();
  }

  async #fresh(): Promise<void> {
    if (this.#rec === null || this.#ctx.clock.now() - this.#loadedAt > this.#deps.stateTtlMs) await this.#load();
  }

  #existing(): EndpointToken {
    if (this.#rec === null) throw new CredentialError(CredentialCodes.NOT_FOUND, 'no such endpoint token');
    return this.#rec;
  }

  async #write(decide: (rec: EndpointToken) => Promise<EndpointToken>): Promise<EndpointToken> {
    try {
      return await decide(this.#existing());
    } catch (err) {
      if (!hasCode(err, StorageCodes.VERSION_CONFLICT)) throw err;
      await this.#load();
      return decide(this.#existing());
    }
  }

  async #validate(): Promise<TokenValidation> {
    const d = this.#deps;
    await this.#fresh();
    let rec = this.#rec;
    if (rec === null) return { statusCode: 401, reasonPhrase: 'Unknown endpoint token', tokenId: null, endpointId: null };
    if (rec.state === 'Suspended' || rec.state === 'Revoked') {
      return { statusCode: 403, reasonPhrase: `Endpoint token is ${rec.state}`, tokenId: rec.tokenId, endpointId: rec.endpointId };
    }
    const now = this.#ctx.clock.now();
    const due = (r: EndpointToken): boolean => r.state === 'Inactive' || r.lastUsedAt === null || now - r.lastUsedAt >= d.lastUseGranularityMs;
    if (due(rec)) {
      const before = rec.state;
      rec = await this.#write((r) => {
        // Decided again on a reloaded record: another replica may have just activated it.
        if (r.state === 'Suspended' || r.state === 'Revoked' || !due(r)) return Promise.resolve(r);
        const patch = r.state === 'Inactive' ? { state: 'Active' as const, lastUsedAt: now, updatedAt: now } : { lastUsedAt: now, updatedAt: r.updatedAt };
        return d.endpointTokens.update(r.tenantId, r.tokenId, r.version, patch);
      });
      this.#rec = rec;
      // The other replicas' copies still say Inactive: they reload on this notice.
      if (before === 'Inactive' && rec.state === 'Active') d.events.changed({ kind: 'token', appName: this.#appName, lookupHash: this.#lookupHash });
      if (rec.state !== 'Active') {
        return { statusCode: 403, reasonPhrase: `Endpoint token is ${rec.state}`, tokenId: rec.tokenId, endpointId: rec.endpointId };
      }
    }
    return { statusCode: 200, reasonPhrase: 'OK', tokenId: rec.tokenId, endpointId: rec.endpointId };
  }

  async #transition(to: CredentialState): Promise<TokenView> {
    const d = this.#deps;
    await this.#load();
    let from: CredentialState = this.#existing().state;
    const rec = await this.#write((r) => {
      from = r.state;
      assertTransition(`endpoint token ${r.tokenId}`, r.state, to);
      return d.endpointTokens.update(r.tenantId, r.tokenId, r.version, { state: to, updatedAt: this.#ctx.clock.now() });
    });
    this.#rec = rec;
    d.events.changed({ kind: 'token', appName: this.#appName, lookupHash: this.#lookupHash });
    if (revokes(from, to)) await d.events.endpointTokenRevoked(rec.appName, rec.endpointId, [rec.tokenId]);
    return tokenView(rec);
  }

  async #delete(): Promise<TokenView> {
    const d = this.#deps;
    await this.#load();
    const gone = await this.#write((r) => d.endpointTokens.delete(r.tenantId, r.tokenId, r.version));
    this.#rec = null;
    d.events.changed({ kind: 'token', appName: this.#appName, lookupHash: this.#lookupHash });
    await d.events.endpointTokenRevoked(gone.appName, gone.endpointId, [gone.tokenId]);
    this.#ctx.passivate();
    return tokenView(gone);
  }
}
