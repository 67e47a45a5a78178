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
import { hasCode } from '../../runtime/index.js';
import { StorageCodes, type ClientCredential, type CredentialState } from '../../storage/index.js';
import { credentialDeps, type CredentialDeps } from './deps.js';
import { CredentialCodes, CredentialError } from './errors.js';
import type { AuthResult, ClientCredentialMsg, CredentialView } from './protocol.js';
import { assertTransition, revokes } from './state-machine.js';
import { credentialView } from './views.js';

const PHC = /^(\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+|\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53})$/;

export class ClientCredentialActor implements Actor {
  readonly #ctx: ActorContext;
  readonly #deps: CredentialDeps;
  readonly #tenantId: string;
  readonly #username: string;
  #rec: ClientCredential | null = null;
  #loadedAt = 0;

  constructor(ctx: ActorContext) {
    this.#ctx = ctx;
    this.#deps = credentialDeps(ctx.deps);
    const nl = ctx.key.indexOf('\n');
    this.#tenantId = ctx.key.slice(0, nl);
    this.#username = ctx.key.slice(nl + 1);
  }

  async activate(): Promise<void> {
    await this.#load();
  }

  receive(m: unknown): Promise<unknown> {
    const msg = m as ClientCredentialMsg;
    switch (msg.t) {
      case 'authenticate':
        return this.#authenticate(msg.password);
      case 'create':
        return this.#create(msg.id, msg.password, msg.secretHash);
      case 'get':
        return this.#fresh().then(() => credentialView(this.#existing()));
      case 'transition':
        return this.#transition(msg.to);
      case 'setPassword':
        return this.#setPassword(msg.password);
      case 'delete':
        return this.#delete();
      case 'invalidate':
        return this.#load().then(() => undefined);
      default:
        return Promise.reject(new TypeError(`unknown client credential message ${(msg as { t: string }).t}`));
    }
  }

  async #load(): Promise<void> {
    this.#rec = await this.#deps.clientCredentials.getByUsername(this.#tenantId, this.#username);
    this.#loadedAt = this.#ctx.clock.now();
  }

  /** Reload when the copy is old, or when there was nothing: another replica may have created it. */
  async #fresh(): Promise<void> {
    if (this.#rec === null || this.#ctx.clock.now() - this.#loadedAt > this.#deps.stateTtlMs) await this.#load();
  }

  #existing(): ClientCredential {
    if (this.#rec === null) throw new CredentialError(CredentialCodes.NOT_FOUND, `no credential named ${this.#username} in this tenant`);
    return this.#rec;
  }

  /** Runs a versioned write; on a conflict, reloads once and lets `decide` look again. */
  async #write(decide: (rec: ClientCredential) => Promise<ClientCredential>): Promise<ClientCredential> {
    try {
      return await decide(this.#existing());
    } catch (err) {
      if (!hasCode(err, StorageCodes.VERSION_CONFLICT)) throw err;
      await this.#load();
      return decide(this.#existing());
    }
  }

  async #authenticate(password: string): Promise<AuthResult> {
    const d = this.#deps;
    await this.#fresh();
    const digest = d.cache.digest('ccm', this.#ctx.key, password);
    let rec = this.#rec;
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
    if (rec.state === 'Suspended' || rec.state === 'Revoked') {
      return { statusCode: 403, reasonPhrase: `Credentials are ${rec.state}`, credentialsId: rec.id };
    }
    const now = this.#ctx.clock.now();
    const due = (r: ClientCredential): boolean => r.state === 'Inactive' || r.lastUsedAt === null || now - r.lastUsedAt >= d.lastUseGranularityMs;
    if (due(rec)) {
      const before = rec.state;
      rec = await this.#write((r) => {
        // Decided again on a reloaded record: another replica may have just activated it (or
        // written lastUsedAt), and then there is nothing left to write.
        if (r.state === 'Suspended' || r.state === 'Revoked' || !due(r)) return Promise.resolve(r);
        const patch = r.state === 'Inactive' ? { state: 'Active' as const, lastUsedAt: now, updatedAt: now } : { lastUsedAt: now, updatedAt: r.updatedAt };
        return d.clientCredentials.update(this.#tenantId, r.id, r.version, patch);
      });
      this.#rec = rec;
      // The other replicas' copies still say Inactive: they reload on this notice.
      if (before === 'Inactive' && rec.state === 'Active') d.events.changed({ kind: 'credential', tenantId: this.#tenantId, username: this.#username });
      if (rec.state !== 'Active') return { statusCode: 403, reasonPhrase: `Credentials are ${rec.state}`, credentialsId: rec.id };
    }
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
      this.#rec = await this.#write((r) => d.clientCredentials.update(this.#tenantId, r.id, r.version, { secretHash, updatedAt: r.updatedAt }));
    } catch (err) {
      this.#ctx.log.warn({ tenantId: this.#tenantId, credentialsId: this.#rec?.id, code: (err as { code?: string }).code }, 'hash upgrade failed');
    }
    return this.#existing();
  }

  async #create(id: string, password: string | undefined, imported: string | undefined): Promise<CredentialView> {
    const d = this.#deps;
    await this.#load();
    if (this.#rec !== null) {
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
    this.#rec = await d.clientCredentials.create({
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
    return credentialView(this.#rec);
  }

  async #transition(to: CredentialState): Promise<CredentialView> {
    const d = this.#deps;
    await this.#load();
    let from: CredentialState = this.#existing().state;
    const rec = await this.#write((r) => {
      from = r.state;
      assertTransition(`credential ${r.id}`, r.state, to);
      return d.clientCredentials.update(this.#tenantId, r.id, r.version, { state: to, updatedAt: this.#ctx.clock.now() });
    });
    this.#rec = rec;
    d.events.changed({ kind: 'credential', tenantId: this.#tenantId, username: this.#username });
    if (revokes(from, to)) await d.events.clientCredentialRevoked(this.#tenantId, rec.id);
    return credentialView(rec);
  }

  async #setPassword(password: string): Promise<CredentialView> {
    const d = this.#deps;
    await this.#load();
    const current = this.#existing();
    if (current.state === 'Revoked') {
      throw new CredentialError(CredentialCodes.ILLEGAL_TRANSITION, `credential ${current.id} is Revoked; its password cannot change`, {
        data: { currentState: current.state },
      });
    }
    const secretHash = await d.hasher.hash(password);
    this.#rec = await this.#write((r) => d.clientCredentials.update(this.#tenantId, r.id, r.version, { secretHash, updatedAt: this.#ctx.clock.now() }));
    d.events.changed({ kind: 'credential', tenantId: this.#tenantId, username: this.#username });
    return credentialView(this.#rec);
  }

  async #delete(): Promise<CredentialView> {
    const d = this.#deps;
    await this.#load();
    const gone = await this.#write((r) => d.clientCredentials.delete(this.#tenantId, r.id, r.version));
    this.#rec = null;
    d.events.changed({ kind: 'credential', tenantId: this.#tenantId, username: this.#username });
    await d.events.clientCredentialRevoked(this.#tenantId, gone.id);
    this.#ctx.passivate();
    return credentialView(gone);
  }
}
