/**
 * The credential services' operations, as REST handlers and bus responders call them. Input is
 * checked here (names, lengths, characters) before it reaches an actor or storage; token values
 * are reduced to their lookup HMAC here and go no further.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ActorRef } from '../../runtime/index.js';
import type {
  ClientCredentialRepository,
  CredentialState,
  EndpointToken,
  EndpointTokenRepository,
  ListOptions,
} from '../../storage/index.js';
import { CredentialCodes, CredentialError } from './errors.js';
import type { CredentialEvents } from './events.js';
import {
  CLIENT_CREDENTIAL,
  credentialKey,
  ENDPOINT_TOKEN,
  tokenKey,
  type AuthResult,
  type ClientCredentialMsg,
  type CredentialView,
  type EndpointTokenMsg,
  type TokenValidation,
  type TokenView,
} from './protocol.js';
import { credentialView, tokenView } from './views.js';

/** Names that become actor keys and topic levels: no separators, no control characters. */
const NAME = /^[A-Za-z0-9._~-]{1,128}$/;
/** Kaa: a token is non-empty and has none of `+ # / .` (it is an MQTT topic level). */
const TOKEN = /^[^+#/.\s\u0000-\u001f\u007f]{1,256}$/;
const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** 20 characters of base32 (100 bits): the shape of Kaa's credential ids. */
export function newId(): string {
  const b = randomBytes(20);
  let s = '';
  for (let i = 0; i < 20; i++) s += ALPHABET[b[i]! & 31];
  return s;
}

/** A new secret: 32 bytes, base64url (no `+ # / .`, so it is also a valid endpoint token). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function invalid(field: string, rule: string): CredentialError {
  return new CredentialError(CredentialCodes.INVALID, `${field} ${rule}`, { data: { field } });
}

export function checkName(field: string, v: string): string {
  if (!NAME.test(v)) throw invalid(field, 'must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -');
  return v;
}

export interface CredentialServiceDeps {
  actors: ActorRef;
  clientCredentials: ClientCredentialRepository;
  endpointTokens: EndpointTokenRepository;
  events: CredentialEvents;
  /** HMAC key for token lookups; the same on every replica sharing the database. */
  tokenPepper: Buffer;
  now(): number;
}

export class CredentialService {
  constructor(readonly d: CredentialServiceDeps) {}

  lookupHash(appName: string, token: string): string {
    return createHmac('sha256', this.d.tokenPepper).update(appName).update('\0').update(token).digest('hex');
  }

  #credential<R>(tenantId: string, username: string, msg: ClientCredentialMsg): Promise<R> {
    return this.d.actors.ask<R>(CLIENT_CREDENTIAL, credentialKey(tenantId, username), msg);
  }

  #token<R>(appName: string, lookupHash: string, msg: EndpointTokenMsg): Promise<R> {
    return this.d.actors.ask<R>(ENDPOINT_TOKEN, tokenKey(appName, lookupHash), msg);
  }

  // ---- client credentials (CCM) ----

  /** 22/CAP basic authentication. Malformed names are simply unknown credentials (401). */
  authenticate(tenantId: string, username: string, password: string): Promise<AuthResult> {
    if (!NAME.test(tenantId) || !NAME.test(username) || password.length === 0 || password.length > 1024) {
      return Promise.resolve({ statusCode: 401, reasonPhrase: 'Bad credentials', credentialsId: null });
    }
    return this.#credential<AuthResult>(tenantId, username, { t: 'authenticate', password });
  }

  /** Creates a credential; a password is generated when none is given and returned this once. */
  async createCredential(
    tenantId: string,
    body: { username?: string; password?: string; passwordHash?: string },
  ): Promise<{ credential: CredentialView; password?: string }> {
    const username = body.username === undefined ? `client-${newId()}` : checkName('username', body.username);
    if (body.password !== undefined && body.passwordHash !== undefined) throw invalid('password', 'and passwordHash are mutually exclusive');
    const generated = body.password === undefined && body.passwordHash === undefined ? newSecret() : undefined;
    const password = body.password ?? generated;
    const msg: ClientCredentialMsg =
      password === undefined ? { t: 'create', id: newId(), secretHash: body.passwordHash! } : { t: 'create', id: newId(), password };
    const credential = await this.#credential<CredentialView>(tenantId, username, msg);
    return generated === undefined ? { credential } : { credential, password: generated };
  }

  async #byId(tenantId: string, id: string) {
    const rec = await this.d.clientCredentials.getById(tenantId, id);
    if (rec === null) throw new CredentialError(CredentialCodes.NOT_FOUND, `no credential ${id} in this tenant`, { data: { credentialId: id } });
    return rec;
  }

  async getCredential(tenantId: string, id: string): Promise<CredentialView> {
    const rec = await this.#byId(tenantId, id);
    return this.#credential<CredentialView>(tenantId, rec.username, { t: 'get' });
  }

  async listCredentials(tenantId: string, opts: ListOptions<CredentialState>) {
    const page = await this.d.clientCredentials.list(tenantId, opts);
    return { content: page.items.map(credentialView), totalElements: page.total };
  }

  async transitionCredential(tenantId: string, id: string, to: CredentialState): Promise<CredentialView> {
    const rec = await this.#byId(tenantId, id);
    return this.#credential<CredentialView>(tenantId, rec.username, { t: 'transition', to });
  }

  async setPassword(tenantId: string, id: string, password: string | undefined): Promise<{ credential: CredentialView; password?: string }> {
    const rec = await this.#byId(tenantId, id);
    const generated = password === undefined ? newSecret() : undefined;
    const credential = await this.#credential<CredentialView>(tenantId, rec.username, { t: 'setPassword', password: password ?? generated! });
    return generated === undefined ? { credential } : { credential, password: generated };
  }

  async deleteCredential(tenantId: string, id: string): Promise<CredentialView> {
    const rec = await this.#byId(tenantId, id);
    return this.#credential<CredentialView>(tenantId, rec.username, { t: 'delete' });
  }

  // ---- endpoint tokens (CM) ----

  /** 16/ECAP token validation. */
  validateToken(appName: string, token: string): Promise<TokenValidation> {
    if (!NAME.test(appName) || !TOKEN.test(token)) {
      return Promise.resolve({ statusCode: 401, reasonPhrase: 'Unknown endpoint token', tokenId: null, endpointId: null });
    }
    return this.#token<TokenValidation>(appName, this.lookupHash(appName, token), { t: 'validate' });
  }

  /** 16/ECAP status transition by token value. */
  transitionTokenByValue(appName: string, token: string, to: CredentialState): Promise<TokenView> {
    if (!NAME.test(appName) || !TOKEN.test(token)) throw new CredentialError(CredentialCodes.NOT_FOUND, 'no such endpoint token');
    return this.#token<TokenView>(appName, this.lookupHash(appName, token), { t: 'transition', to });
  }

  #newToken(tenantId: string, endpointId: string, appName: string, token: string): EndpointToken {
    const now = this.d.now();
    return {
      tokenId: newId(),
      tenantId,
      appName,
      endpointId,
      lookupHash: this.lookupHash(appName, token),
      state: 'Inactive',
      version: 1,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
    };
  }

  #checkTokenInput(i: number | null, item: { applicationName: string; token?: string }): string {
    const at = i === null ? '' : `items/${i}/`;
    checkName(`${at}applicationName`, item.applicationName);
    if (item.token !== undefined && !TOKEN.test(item.token)) {
      throw invalid(`${at}token`, 'must be 1 to 256 characters without whitespace, control characters or any of + # / .');
    }
    return item.token ?? newSecret();
  }

  /** Provisions one token; its value (given or generated) is returned this once. */
  async provisionToken(tenantId: string, endpointId: string, item: { applicationName: string; token?: string }) {
    checkName('endpointId', endpointId);
    const token = this.#checkTokenInput(null, item);
    const rec = await this.d.endpointTokens.create(this.#newToken(tenantId, endpointId, item.applicationName, token));
    return { token, ...tokenView(rec) };
  }

  /** Provisions many tokens in one transaction: all or nothing. */
  async provisionTokens(tenantId: string, items: Array<{ endpointId: string; applicationName: string; token?: string }>) {
    const tokens: string[] = [];
    const recs = items.map((item, i) => {
      checkName(`items/${i}/endpointId`, item.endpointId);
      const token = this.#checkTokenInput(i, item);
      tokens.push(token);
      return this.#newToken(tenantId, item.endpointId, item.applicationName, token);
    });
    const seen = new Set<string>();
    recs.forEach((r, i) => {
      const k = `${r.appName}\n${r.lookupHash}`;
      if (seen.has(k)) throw new CredentialError(CredentialCodes.DUPLICATE, `items/${i}/token repeats an earlier token of the same application`, { data: { index: i } });
      seen.add(k);
    });
    await this.d.endpointTokens.createMany(recs);
    return recs.map((r, i) => ({ token: tokens[i]!, ...tokenView(r) }));
  }

  async #tokenById(tenantId: string, tokenId: string, endpointId?: string): Promise<EndpointToken> {
    const rec = await this.d.endpointTokens.getById(tenantId, tokenId);
    if (rec === null || (endpointId !== undefined && rec.endpointId !== endpointId)) {
      throw new CredentialError(CredentialCodes.NOT_FOUND, `no endpoint token ${tokenId} here`, { data: { tokenId } });
    }
    return rec;
  }

  async getToken(tenantId: string, tokenId: string, endpointId?: string): Promise<TokenView> {
    const rec = await this.#tokenById(tenantId, tokenId, endpointId);
    return this.#token<TokenView>(rec.appName, rec.lookupHash, { t: 'get' });
  }

  async listTokens(tenantId: string, endpointId: string, opts: ListOptions<CredentialState>) {
    const page = await this.d.endpointTokens.listByEndpoint(tenantId, endpointId, opts);
    return { content: page.items.map(tokenView), totalElements: page.total };
  }

  async transitionToken(tenantId: string, tokenId: string, to: CredentialState, endpointId?: string): Promise<TokenView> {
    const rec = await this.#tokenById(tenantId, tokenId, endpointId);
    return this.#token<TokenView>(rec.appName, rec.lookupHash, { t: 'transition', to });
  }

  async deleteToken(tenantId: string, tokenId: string, endpointId?: string): Promise<TokenView> {
    const rec = await this.#tokenById(tenantId, tokenId, endpointId);
    return this.#token<TokenView>(rec.appName, rec.lookupHash, { t: 'delete' });
  }

  /** 9/ELCE endpoint unregistered: the endpoint's tokens are deleted and announced as revoked. */
  async endpointUnregistered(endpointId: string): Promise<number> {
    const gone = await this.d.endpointTokens.deleteByEndpoint(endpointId);
    const byApp = new Map<string, string[]>();
    for (const t of gone) {
      byApp.set(t.appName, [...(byApp.get(t.appName) ?? []), t.tokenId]);
      this.d.events.changed({ kind: 'token', appName: t.appName, lookupHash: t.lookupHash });
      // The local actor, if active, must forget the row too; if it cannot be told now, its state
      // expires after stateTtlMs anyway.
      try {
        this.d.actors.tell(ENDPOINT_TOKEN, tokenKey(t.appName, t.lookupHash), { t: 'invalidate' } satisfies EndpointTokenMsg);
      } catch {
        /* counted by the runtime */
      }
    }
    for (const [appName, tokenIds] of byApp) await this.d.events.endpointTokenRevoked(appName, endpointId, tokenIds);
    return gone.length;
  }
}
