/**
 * ClientCredentialActor (CCM): one per (tenant, username). It owns the credential's state on this
 * replica: every authentication and every change for that username goes through its mailbox, so
 * the first-use move Inactive -> Active happens once however many connections present the
 * credential at the same instant, and it is written to storage before anyone is told "valid".
 *
 * Across replicas, storage's versioned compare-and-set decides: a write from stale state fails
 * with ERR_VERSION_CONFLICT, the actor reloads and decides again.
 */
import type { Actor, ActorContext } from '../../runtime/index.js';
import type { ClientCredential, CredentialState } from '../../storage/index.js';
import { credentialDeps, type CredentialDeps } from './deps.js';
import { CredentialCodes, CredentialError } from './errors.js';
import type { AuthResult, ClientCredentialMsg, CredentialView } from './protocol.js';
import { assertTransition, revokes } from './state-machine.js';
import { usePatch, VersionedState } from './versioned-state.js';
import { credentialView } from './views.js';

const PHC = /^(\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+|\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53})$/;

export class ClientCredentialActor implements Actor {
  readonly #ctx: ActorContext;
  readonly #deps: CredentialDeps;
  readonly #tenantId: string;
  readonly #username: string;
  readonly #state: VersionedState<ClientCredential>;

  constructor(ctx: ActorContext) {
    this.#ctx = ctx;
    this.#deps = credentialDeps(ctx.deps);
    const nl = ctx.key.indexOf('\n');
    this.#tenantId = ctx.key.slice(0, nl);
    this.#username = ctx.key.slice(nl + 1);
    this.#state = new VersionedState(
      ctx.clock,
      this.#deps.stateTtlMs,
      () => this.#deps.clientCredentials.getByUsername(this.#tenantId, this.#username),
      () => new CredentialError(CredentialCodes.NOT_FOUND, `no credential named ${this.#username} in this tenant`),
    );
  }

  activate(): Promise<void> {
    return this.#state.load();
  }

  receive(m: unknown): Promise<unknown> {
    const msg = m as ClientCredentialMsg;
    switch (msg.t) {
      case 'authenticate':
        return this.#authenticate(msg.password);
      case 'create':
        return this.#create(msg.id, msg.password, msg.secretHash);
      case 'get':
        // An operator's read is rare and must be true: from storage, not from this copy.
        return this.#state.load().then(() => credentialView(this.#state.existing()));
      case 'transition':
        return this.#transition(msg.to);
      case 'setPassword':
        return this.#setPassword(msg.password);
      case 'delete':
        return this.#delete();
      case 'invalidate':
        return this.#state.load().then(() => undefined);
      default:
        return Promise.reject(new TypeError(`unknown client credential message ${(msg as { t: string }).t}`));
    }
  }

  #changed(): void {
    this.#deps.events.changed({ kind: 'credential', tenantId: this.#tenantId, username: this.#username });
  }

  async #authenticate(password: string): Promise<AuthResult> {
    const d = this.#deps;
    await this.#state.fresh();
    const digest = d.cache.digest('ccm', this.#ctx.key, password);
    let rec = this.#state.rec;
    if (rec === null) {
      // Same cost as a wrong password, so that timing does not tell which usernames exist.
      await d.hasher.verify(password, d.dummyHash);
      return { statusCode: 401, reasonPhrase: 'Bad credentials', credentialsId: null };
    }
    if (!d.cache.verified(digest, rec.version)) {
      const v = await d.hasher.verify(password, rec.secretHash);
      if (!v.ok) return { statusCode: 401, reasonPhrase: 'Bad credentials', credentialsId: null };
      if (v.needsRehash) rec = await this.#upgradeHash(password);
    }
    const before = rec.state;
    if (before === 'Inactive' || before === 'Active') {
      const now = this.#ctx.clock.now();
      rec = await this.#state.write((r) => {
        const patch = usePatch(r, now, d.lastUseGranularityMs);
        return patch === null ? Promise.resolve(r) : d.clientCredentials.update(this.#tenantId, r.id, r.version, patch);
      });
      // The other replicas' copies still say Inactive: they reload on this notice.
      if (before === 'Inactive' && rec.state === 'Active') this.#changed();
    }
    if (rec.state !== 'Active') return { statusCode: 403, reasonPhrase: `Credentials are ${rec.state}`, credentialsId: rec.id };
    // Our own writes bump the version; the secret we just verified is still the secret.
    d.cache.remember(digest, rec.version);
    return { statusCode: 200, reasonPhrase: 'OK', credentialsId: rec.id };
  }

  /** An imported bcrypt hash (or an argon2 hash with old parameters) is replaced by argon2id
   *  with today's parameters on the first successful use. A failed upgrade fails nothing. */
  async #upgradeHash(password: string): Promise<ClientCredential> {
    const d = this.#deps;
    try {
      const secretHash = await d.hasher.hash(password);
      await this.#state.write((r) => d.clientCredentials.update(this.#tenantId, r.id, r.version, { secretHash, updatedAt: r.updatedAt }));
    } catch (err) {
      this.#ctx.log.warn({ tenantId: this.#tenantId, credentialsId: this.#state.rec?.id, code: (err as { code?: string }).code }, 'hash upgrade failed');
    }
    return this.#state.existing();
  }

  async #create(id: string, password: string | undefined, imported: string | undefined): Promise<CredentialView> {
    const d = this.#deps;
    await this.#state.load();
    if (this.#state.rec !== null) {
      throw new CredentialError(CredentialCodes.DUPLICATE, `a credential named ${this.#username} exists already in this tenant`, {
        data: { username: this.#username },
      });
    }
    if ((password === undefined) === (imported === undefined)) {
      throw new CredentialError(CredentialCodes.INVALID, 'give either a password or a passwordHash');
    }
    if (imported !== undefined && !PHC.test(imported)) {
      throw new CredentialError(CredentialCodes.INVALID, 'passwordHash must be an argon2 or bcrypt ($2a$, $2b$, $2y$) PHC string');
    }
    const secretHash = imported ?? (await d.hasher.hash(password!));
    const now = this.#ctx.clock.now();
    const rec = await d.clientCredentials.create({
      id,
      tenantId: this.#tenantId,
      username: this.#username,
      secretHash,
      state: 'Inactive',
      version: 1,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
    });
    this.#state.rec = rec;
    return credentialView(rec);
  }

  async #transition(to: CredentialState): Promise<CredentialView> {
    const d = this.#deps;
    await this.#state.load();
    let from: CredentialState = this.#state.existing().state;
    const rec = await this.#state.write((r) => {
      from = r.state;
      assertTransition(`credential ${r.id}`, r.state, to);
      return d.clientCredentials.update(this.#tenantId, r.id, r.version, { state: to, updatedAt: this.#ctx.clock.now() });
    });
    this.#changed();
    if (revokes(from, to)) await d.events.clientCredentialRevoked(this.#tenantId, rec.id);
    return credentialView(rec);
  }

  async #setPassword(password: string): Promise<CredentialView> {
    const d = this.#deps;
    await this.#state.load();
    const current = this.#state.existing();
    if (current.state === 'Revoked') {
      throw new CredentialError(CredentialCodes.ILLEGAL_TRANSITION, `credential ${current.id} is Revoked; its password cannot change`, {
        data: { currentState: current.state },
      });
    }
    const secretHash = await d.hasher.hash(password);
    await this.#state.write((r) => d.clientCredentials.update(this.#tenantId, r.id, r.version, { secretHash, updatedAt: this.#ctx.clock.now() }));
    this.#changed();
    return credentialView(this.#state.existing());
  }

  async #delete(): Promise<CredentialView> {
    const d = this.#deps;
    await this.#state.load();
    const gone = await this.#state.write((r) => d.clientCredentials.delete(this.#tenantId, r.id, r.version));
    this.#state.rec = null;
    this.#changed();
    await d.events.clientCredentialRevoked(this.#tenantId, gone.id);
    this.#ctx.passivate();
    return credentialView(gone);
  }
}
