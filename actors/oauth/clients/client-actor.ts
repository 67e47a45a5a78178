/**
 * OAuthClientActor: one per confidential client id. It owns this replica's copy of the client,
 * its secrets and its linked service account; every secret check and every secret change for
 * that client goes through its mailbox, so a rotation and a verification never interleave.
 *
 * Verification: the secret is tried against the usable slots (current, then previous) first in
 * the verified-secret cache, then on the hashing pool. The cache key includes the slot and the
 * secret's creation time, and the value is the client's version: a rotation or a deletion bumps
 * the version (storage compare-and-set), so nothing verified before it counts after it. State
 * older than credentials.stateTtlMs is reloaded first, so a change made by another replica whose
 * notice was lost is seen within that time.
 */
import { randomBytes } from 'node:crypto';
import type { Actor, ActorContext } from '../../../runtime/index.js';
import type { ClientSecret, OAuthClient, SecretSlot, ServiceAccount } from '../../../storage/index.js';
import { VersionedState } from '../../credentials/versioned-state.js';
import type { ClientAuthOutcome, ClientIdentity, ClientRefusal } from '../contract.js';
import { oauthClientDeps, type OAuthClientDeps } from './deps.js';
import { notFound, OAuthClientCodes, OAuthClientError } from './errors.js';
import { isoOrNull, secretStatusView, type AuthAnswer, type ClientView, type IssuedSecret, type OAuthClientMsg, type SecretStatusView } from './protocol.js';
import { OAUTH_AUTH_CACHE, type DropMsg } from './shard-cache.js';
import { candidates, newSecretExpiry, previousExpiry, secretStatus } from './secret-rules.js';

/** The loaded state: the client and what hangs off it. */
export interface ClientState {
  client: OAuthClient;
  secrets: ClientSecret[];
  account: ServiceAccount | null;
}

export function clientView(s: ClientState): ClientView {
  const c = s.client;
  return {
    clientId: c.clientId,
    tenantId: c.tenantId,
    clientName: c.name,
    clientAuthenticationMethod: c.authMethod,
    accessTokenTtlMinutes: c.accessTokenTtlMinutes,
    scope: c.scopes.join(' '),
    jwks: c.jwks,
    seeded: c.seeded,
    serviceAccountId: s.account?.id ?? null,
    version: c.version,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
  };
}

export function clientIdentity(s: ClientState): ClientIdentity {
  const c = s.client;
  const a = s.account !== null && s.account.active ? s.account : null;
  return {
    clientId: c.clientId,
    tenantId: c.tenantId,
    name: c.name,
    authMethod: c.authMethod,
    accessTokenTtlMinutes: c.accessTokenTtlMinutes,
    scopes: [...c.scopes],
    jwks: c.jwks,
    serviceAccount:
      a === null ? null : { id: a.id, roles: [...a.roles], permissions: [...a.permissions], groups: [...a.groups], attributes: { ...a.attributes } },
  };
}

/** A new client secret: 32 random bytes, base64url (43 characters, safe in a form or header). */
export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

type Refused = Extract<ClientAuthOutcome, { ok: false }>;

export class OAuthClientActor implements Actor {
  readonly #ctx: ActorContext;
  readonly #d: OAuthClientDeps;
  readonly #clientId: string;
  readonly #state: VersionedState<ClientState>;

  constructor(ctx: ActorContext) {
    this.#ctx = ctx;
    this.#d = oauthClientDeps(ctx.deps);
    this.#clientId = ctx.key;
    this.#state = new VersionedState(
      ctx.clock,
      this.#d.stateTtlMs,
      () => this.#load(),
      () => notFound('client', { clientId: this.#clientId }),
    );
  }

  async #load(): Promise<ClientState | null> {
    const d = this.#d;
    const client = await d.clients.get(this.#clientId);
    if (client === null) return null;
    const [secrets, account] = await Promise.all([d.clients.secrets(this.#clientId), d.serviceAccounts.getByClient(this.#clientId)]);
    return { client, secrets, account };
  }

  activate(): Promise<void> {
    return this.#state.load();
  }

  receive(m: unknown): Promise<unknown> {
    const msg = m as OAuthClientMsg;
    switch (msg.t) {
      case 'authenticate':
        return this.#authenticate(msg.secret, msg.method);
      case 'identity':
        return this.#state.fresh().then(() => (this.#state.rec === null ? null : clientIdentity(this.#state.rec)));
      case 'get':
        // An operator's read is rare and must be true: from storage, not from this copy.
        return this.#state.load().then(() => clientView(this.#owned(msg.tenantId)));
      case 'secretStatus':
        return this.#state.load().then(() => this.#status(msg.tenantId));
      case 'issueSecret':
        return this.#thenDrop(this.#issue(msg.tenantId));
      case 'rotateSecret':
        return this.#thenDrop(this.#rotate(msg.tenantId));
      case 'deleteSecret':
        return this.#thenDrop(this.#deleteSecret(msg.tenantId, msg.slot));
      case 'setJwks':
        return this.#thenDrop(this.#setJwks(msg.tenantId, msg.jwks));
      case 'invalidate':
        return this.#thenDrop(this.#state.load().then(() => undefined));
      default:
        return Promise.reject(new TypeError(`unknown oauth client message ${(msg as { t: string }).t}`));
    }
  }

  /** A change is answered once every shard's answer cache dropped this client (shard-cache.ts),
   *  so that no shard accepts a removed secret after the operator was told it is gone. Also after
   *  a failed change: it may have written before failing. */
  #thenDrop<T>(change: Promise<T>): Promise<T> {
    return change.finally(() => this.#dropEverywhere());
  }

  async #dropEverywhere(): Promise<void> {
    const msg: DropMsg = { t: 'drop', clientId: this.#clientId };
    await Promise.all(
      this.#d.authCacheKeys.map((key) =>
        this.#ctx.ask(OAUTH_AUTH_CACHE, key, msg).catch((err: unknown) => {
          // A shard that is down has no cache left; a full mailbox leaves at most a state TTL.
          this.#ctx.log.warn({ clientId: this.#clientId, code: (err as { code?: string }).code }, 'client change not dropped from a shard cache');
        }),
      ),
    );
  }

  /** The state, when the client exists in `tenantId`; another tenant's client is not found. */
  #owned(tenantId: string): ClientState {
    const s = this.#state.rec;
    if (s === null || s.client.tenantId !== tenantId) throw notFound('client', { clientId: this.#clientId });
    return s;
  }

  #secretClient(tenantId: string): ClientState {
    const s = this.#owned(tenantId);
    if (s.client.authMethod === 'private_key_jwt') {
      throw new OAuthClientError(OAuthClientCodes.WRONG_AUTH_METHOD, `client ${this.#clientId} authenticates with private_key_jwt; it has no secret`, {
        data: { clientId: this.#clientId, clientAuthenticationMethod: s.client.authMethod },
      });
    }
    return s;
  }

  #changed(action: string, tenantId: string, fields: Record<string, unknown> = {}): void {
    this.#d.events.changed(this.#clientId);
    this.#d.audit.info({ action, clientId: this.#clientId, tenantId, ...fields }, `oauth client ${action}`);
  }

  async #refuse(secret: string, refusal: ClientRefusal): Promise<Refused> {
    // Same cost as a wrong secret, so that timing does not tell which clients exist or how
    // they are configured.
    await this.#d.hasher.verify(secret, this.#d.dummyHash);
    return { ok: false, refusal };
  }

  #digest(s: ClientSecret, secret: string): string {
    return this.#d.cache.digest('oauth', `${this.#clientId}\n${s.slot}\n${s.createdAt}`, secret);
  }

  /** A success, with how long a shard may give it again without asking: until the secret
   *  expires, and no longer than this copy is trusted. */
  #accepted(st: ClientState, s: ClientSecret): AuthAnswer {
    const trustedUntil = this.#state.loadedAt + this.#d.stateTtlMs;
    return { ok: true, client: clientIdentity(st), slot: s.slot, reusableUntil: s.expiresAt === null ? trustedUntil : Math.min(s.expiresAt, trustedUntil) };
  }

  async #authenticate(secret: string, method: 'client_secret_basic' | 'client_secret_post'): Promise<AuthAnswer> {
    const d = this.#d;
    await this.#state.fresh();
    const st = this.#state.rec;
    if (st === null) return this.#refuse(secret, 'unknown_client');
    // RFC 7591 2 / seed 003: the client authenticates with its registered method only.
    if (st.client.authMethod !== method) return this.#refuse(secret, 'method_not_allowed');
    const { usable, expired } = candidates(st.secrets, this.#ctx.clock.now());
    if (usable.length === 0 && expired.length === 0) return this.#refuse(secret, 'no_secret');
    const slotOf = (slot: SecretSlot): ClientSecret => st.secrets.find((s) => s.slot === slot)!;

    for (const slot of usable) {
      if (d.cache.verified(this.#digest(slotOf(slot), secret), st.client.version)) return this.#accepted(st, slotOf(slot));
    }
    for (const slot of usable) {
      const s = slotOf(slot);
      const v = await d.hasher.verify(secret, s.secretHash);
      if (!v.ok) continue;
      if (v.needsRehash && slot === 'current') await this.#upgradeHash(secret, s);
      // Our own upgrade bumped the version; the secret just verified is still the secret.
      const now = this.#state.rec ?? st;
      d.cache.remember(this.#digest(s, secret), now.client.version);
      return this.#accepted(now, s);
    }
    return expired.length === 0 ? { ok: false, refusal: 'bad_secret' } : this.#checkExpired(secret, expired, slotOf);
  }

  /** Tells `secret_expired` from `bad_secret`: one more verification, spent only on refusals. */
  async #checkExpired(secret: string, expired: SecretSlot[], slotOf: (s: SecretSlot) => ClientSecret): Promise<Refused> {
    for (const slot of expired) {
      const v = await this.#d.hasher.verify(secret, slotOf(slot).secretHash);
      if (v.ok) return { ok: false, refusal: 'secret_expired' };
    }
    return { ok: false, refusal: 'bad_secret' };
  }

  /** A bcrypt import (or argon2 with old parameters) becomes argon2id on its first good use. The
   *  slot keeps its creation time and expiry. A failed upgrade fails nothing. */
  async #upgradeHash(secret: string, s: ClientSecret): Promise<void> {
    const d = this.#d;
    try {
      const secretHash = await d.hasher.hash(secret);
      await this.#state.write(async (r) => {
        const cur = r.secrets.find((x) => x.slot === 'current');
        // Rotated meanwhile (another replica): leave the new secret alone.
        if (cur === undefined || cur.createdAt !== s.createdAt || cur.secretHash !== s.secretHash) return r;
        const client = await d.clients.setSecret(this.#clientId, r.client.version, { secretHash, createdAt: s.createdAt, expiresAt: s.expiresAt });
        return { ...r, client, secrets: r.secrets.map((x) => (x.slot === 'current' ? { ...x, secretHash } : x)) };
      });
      this.#changed('secret-hash-upgraded', this.#state.existing().client.tenantId);
    } catch (err) {
      this.#ctx.log.warn({ clientId: this.#clientId, code: (err as { code?: string }).code }, 'client secret hash upgrade failed');
    }
  }

  #status(tenantId: string): SecretStatusView {
    const s = this.#secretClient(tenantId);
    return secretStatusView(this.#clientId, secretStatus(s.secrets, this.#ctx.clock.now(), this.#d.lifecycle));
  }

  async #reloadAfterWrite(): Promise<ClientState> {
    await this.#state.load();
    return this.#state.existing();
  }

  async #issue(tenantId: string): Promise<IssuedSecret> {
    const d = this.#d;
    await this.#state.load();
    const s = this.#secretClient(tenantId);
    // "Issue initial secret": a client that has a current secret gets a new one by rotation,
    // so that an issue can never silently cut off the services using the current one.
    if (s.secrets.some((x) => x.slot === 'current')) {
      throw new OAuthClientError(OAuthClientCodes.SECRET_EXISTS, `client ${this.#clientId} has a current secret; rotate it instead`, {
        data: { clientId: this.#clientId },
      });
    }
    const secret = newClientSecret();
    const secretHash = await d.hasher.hash(secret);
    const now = this.#ctx.clock.now();
    const expiresAt = newSecretExpiry(now, d.lifecycle);
    await this.#state.write((r) => d.clients.setSecret(this.#clientId, r.client.version, { secretHash, createdAt: now, expiresAt }).then((client) => ({ ...r, client })));
    await this.#reloadAfterWrite();
    this.#changed('secret-issued', tenantId, { expiresAt: isoOrNull(expiresAt) });
    return { clientId: this.#clientId, clientSecret: secret, createdAt: new Date(now).toISOString(), expiresAt: isoOrNull(expiresAt) };
  }

  async #rotate(tenantId: string): Promise<IssuedSecret> {
    const d = this.#d;
    await this.#state.load();
    this.#secretClient(tenantId);
    const secret = newClientSecret();
    const secretHash = await d.hasher.hash(secret);
    const now = this.#ctx.clock.now();
    const expiresAt = newSecretExpiry(now, d.lifecycle);
    let previousExpiresAt: number | null = null;
    await this.#state.write(async (r) => {
      const current = r.secrets.find((x) => x.slot === 'current');
      if (current === undefined) {
        throw new OAuthClientError(OAuthClientCodes.NO_CURRENT_SECRET, `client ${this.#clientId} has no current secret to rotate; issue one`, {
          data: { clientId: this.#clientId },
        });
      }
      previousExpiresAt = previousExpiry(current, now, d.lifecycle);
      const client = await d.clients.rotateSecret(this.#clientId, r.client.version, { secretHash, createdAt: now, expiresAt, previousExpiresAt });
      return { ...r, client };
    });
    await this.#reloadAfterWrite();
    this.#changed('secret-rotated', tenantId, { expiresAt: isoOrNull(expiresAt), previousExpiresAt: isoOrNull(previousExpiresAt) });
    return {
      clientId: this.#clientId,
      clientSecret: secret,
      createdAt: new Date(now).toISOString(),
      expiresAt: isoOrNull(expiresAt),
      previousExpiresAt: isoOrNull(previousExpiresAt),
    };
  }

  async #deleteSecret(tenantId: string, slot: SecretSlot): Promise<void> {
    const d = this.#d;
    await this.#state.load();
    this.#secretClient(tenantId);
    await this.#state.write(async (r) => {
      if (!r.secrets.some((x) => x.slot === slot)) {
        throw new OAuthClientError(OAuthClientCodes.NOT_FOUND, `client ${this.#clientId} has no ${slot} secret`, { data: { clientId: this.#clientId, target: slot } });
      }
      const client = await d.clients.deleteSecret(this.#clientId, r.client.version, slot, this.#ctx.clock.now());
      return { ...r, client };
    });
    await this.#reloadAfterWrite();
    this.#changed('secret-deleted', tenantId, { target: slot });
  }

  async #setJwks(tenantId: string, jwks: Record<string, unknown> | null): Promise<ClientView> {
    const d = this.#d;
    await this.#state.load();
    const s = this.#owned(tenantId);
    if (s.client.authMethod !== 'private_key_jwt') {
      throw new OAuthClientError(OAuthClientCodes.WRONG_AUTH_METHOD, `client ${this.#clientId} authenticates with ${s.client.authMethod}, not private_key_jwt`, {
        data: { clientId: this.#clientId, clientAuthenticationMethod: s.client.authMethod },
      });
    }
    await this.#state.write((r) => d.clients.update(this.#clientId, r.client.version, { jwks, updatedAt: this.#ctx.clock.now() }).then((client) => ({ ...r, client })));
    const after = await this.#reloadAfterWrite();
    this.#changed('jwks-set', tenantId, { keys: jwks === null ? 0 : ((jwks['keys'] as unknown[] | undefined)?.length ?? 0) });
    return clientView(after);
  }
}
