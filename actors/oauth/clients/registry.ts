/**
 * The client registry as the rest of fleetgate calls it: `OAuthClients` (actors/oauth/contract.ts)
 * for the token service and the bearer hook, plus the admin operations behind the REST routes.
 * Input is checked here before it reaches an actor or storage; every call about a client goes
 * to that client's actor. Service-account links are written here (they concern two objects) and
 * followed by an `invalidate` to every client actor whose identity they change.
 */
import type { ActorRef, Clock, Logger } from '../../../runtime/index.js';
import type { ListOptions, OAuthClientRepository, SecretSlot, ServiceAccount, ServiceAccountRepository } from '../../../storage/index.js';
import type { ClientAuthOutcome, ClientIdentity, OAuthClients } from '../contract.js';
import type { ClientEvents } from './events.js';
import { notFound, OAuthClientCodes, OAuthClientError } from './errors.js';
import { clientView, type ClientState } from './client-actor.js';
import type { ShardAuthCache } from './shard-cache.js';
import {
  CLIENT_ID,
  OAUTH_CLIENT,
  OBJECT_ID,
  type AuthAnswer,
  type ClientView,
  type IssuedSecret,
  type OAuthClientMsg,
  type SecretStatusView,
} from './protocol.js';

/** Longest secret worth hashing: ours are 43 characters; argon2 of megabytes is a DoS lever. */
const MAX_SECRET = 1024;

export interface ServiceAccountView {
  id: string;
  tenantId: string;
  name: string;
  description: string | null;
  active: boolean;
  clientId: string | null;
  roles: string[];
  permissions: string[];
  groups: string[];
  attributes: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function serviceAccountView(a: ServiceAccount): ServiceAccountView {
  return {
    id: a.id,
    tenantId: a.tenantId,
    name: a.name,
    description: a.description,
    active: a.active,
    clientId: a.clientId,
    roles: a.roles,
    permissions: a.permissions,
    groups: a.groups,
    attributes: a.attributes,
    version: a.version,
    createdAt: new Date(a.createdAt).toISOString(),
    updatedAt: new Date(a.updatedAt).toISOString(),
  };
}

export interface ClientRegistryDeps {
  actors: ActorRef;
  clients: OAuthClientRepository;
  serviceAccounts: ServiceAccountRepository;
  events: ClientEvents;
  clock: Clock;
  audit: Logger;
  /** An argon2id hash for malformed client ids: they cost what an unknown client costs. */
  dummyVerify(secret: string): Promise<void>;
  /** This shard's answer cache of successful authentications (shard-cache.ts). */
  local: ShardAuthCache;
}

export class ClientRegistry implements OAuthClients {
  constructor(private readonly d: ClientRegistryDeps) {}

  #ask<R>(clientId: string, msg: OAuthClientMsg): Promise<R> {
    return this.d.actors.ask<R>(OAUTH_CLIENT, clientId, msg);
  }

  // ---- OAuthClients (token service, bearer hook) ----

  async authenticateSecret(clientId: string, secret: string, method: 'client_secret_basic' | 'client_secret_post'): Promise<ClientAuthOutcome> {
    if (method !== 'client_secret_basic' && method !== 'client_secret_post') throw new TypeError(`authenticateSecret: unsupported method ${String(method)}`);
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId) || typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET) {
      // No actor for ids that cannot exist; the same cost as an unknown one all the same.
      await this.d.dummyVerify(typeof secret === 'string' ? secret.slice(0, MAX_SECRET) : '');
      return { ok: false, refusal: 'unknown_client' };
    }
    const local = this.d.local;
    const digest = local.digest(clientId, method, secret);
    const hit = local.get(digest);
    if (hit !== undefined) {
      if (local.claimRenewal(hit)) this.#renew(clientId, secret, method, digest);
      return { ok: true, client: hit.client, slot: hit.slot };
    }
    const ticket = local.ticket();
    const answer = await this.#ask<AuthAnswer>(clientId, { t: 'authenticate', secret, method });
    if (!answer.ok) return answer;
    local.set(digest, clientId, answer, answer.reusableUntil, ticket);
    return { ok: true, client: answer.client, slot: answer.slot };
  }

  /** Asks the actor again for a cached answer that is past the middle of its life, while the
   *  cached answer keeps serving (shard-cache.ts). A refusal removes it; a failure leaves it to
   *  run out. */
  #renew(clientId: string, secret: string, method: 'client_secret_basic' | 'client_secret_post', digest: string): void {
    const local = this.d.local;
    const ticket = local.ticket();
    this.#ask<AuthAnswer>(clientId, { t: 'authenticate', secret, method }).then(
      (answer) => {
        if (answer.ok) local.set(digest, clientId, answer, answer.reusableUntil, ticket);
        else local.forget(digest);
      },
      () => undefined,
    );
  }

  identity(clientId: string): Promise<ClientIdentity | null> {
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return Promise.resolve(null);
    return this.#ask<ClientIdentity | null>(clientId, { t: 'identity' });
  }

  // ---- admin: clients and secrets ----

  #clientId(clientId: string): string {
    // A malformed id cannot name a client: the same answer as an unknown one.
    if (!CLIENT_ID.test(clientId)) throw notFound('client', { clientId });
    return clientId;
  }

  async listClients(tenantId: string, opts: ListOptions<never>): Promise<{ content: ClientView[]; totalElements: number }> {
    const page = await this.d.clients.list(tenantId, opts);
    const content = await Promise.all(
      page.items.map(async (client): Promise<ClientView> => {
        const state: ClientState = { client, secrets: [], account: await this.d.serviceAccounts.getByClient(client.clientId) };
        return clientView(state);
      }),
    );
    return { content, totalElements: page.total };
  }

  async getClient(tenantId: string, clientId: string): Promise<ClientView> {
    return this.#ask(this.#clientId(clientId), { t: 'get', tenantId });
  }

  async secretStatus(tenantId: string, clientId: string): Promise<SecretStatusView> {
    return this.#ask(this.#clientId(clientId), { t: 'secretStatus', tenantId });
  }

  async issueSecret(tenantId: string, clientId: string): Promise<IssuedSecret> {
    return this.#ask(this.#clientId(clientId), { t: 'issueSecret', tenantId });
  }

  async rotateSecret(tenantId: string, clientId: string): Promise<IssuedSecret> {
    return this.#ask(this.#clientId(clientId), { t: 'rotateSecret', tenantId });
  }

  async deleteSecret(tenantId: string, clientId: string, target: string): Promise<void> {
    const id = this.#clientId(clientId);
    if (target !== 'current' && target !== 'previous') {
      throw new OAuthClientError(OAuthClientCodes.INVALID, 'query/target must be current or previous', { data: { field: 'query/target' } });
    }
    return this.#ask(id, { t: 'deleteSecret', tenantId, slot: target as SecretSlot });
  }

  async setJwks(tenantId: string, clientId: string, jwks: Record<string, unknown> | null): Promise<ClientView> {
    return this.#ask(this.#clientId(clientId), { t: 'setJwks', tenantId, jwks });
  }

  // ---- admin: service accounts ----

  async #account(tenantId: string, id: string): Promise<ServiceAccount> {
    const a = OBJECT_ID.test(id) ? await this.d.serviceAccounts.get(id) : null;
    if (a === null || a.tenantId !== tenantId) throw notFound('service account', { serviceAccountId: id });
    return a;
  }

  async listServiceAccounts(tenantId: string, opts: ListOptions<never>): Promise<{ content: ServiceAccountView[]; totalElements: number }> {
    const page = await this.d.serviceAccounts.list(tenantId, opts);
    return { content: page.items.map(serviceAccountView), totalElements: page.total };
  }

  async getServiceAccount(tenantId: string, id: string): Promise<ServiceAccountView> {
    return serviceAccountView(await this.#account(tenantId, id));
  }

  /** Tells the client actors whose identity changed to reload (here and on other replicas). */
  async #invalidate(clientIds: Iterable<string>): Promise<void> {
    for (const id of new Set(clientIds)) {
      await this.#ask(id, { t: 'invalidate' });
      this.d.events.changed(id);
    }
  }

  /** PUT /service-accounts/{id}/clients/{clientId}: both in the caller's tenant, else 404. */
  async link(tenantId: string, id: string, clientId: string): Promise<ServiceAccountView> {
    const account = await this.#account(tenantId, id);
    await this.getClient(tenantId, clientId);
    if (account.clientId === clientId) return serviceAccountView(account);
    const other = await this.d.serviceAccounts.getByClient(clientId);
    if (other !== null && other.id !== id) {
      throw new OAuthClientError(OAuthClientCodes.CLIENT_LINKED, `client ${clientId} is linked to another service account; unlink it first`, {
        data: { clientId },
      });
    }
    const linked = await this.d.serviceAccounts.linkClient(id, clientId, this.d.clock.now(), account.version);
    await this.#invalidate(account.clientId === null ? [clientId] : [clientId, account.clientId]);
    this.d.audit.info({ action: 'service-account-linked', tenantId, serviceAccountId: id, clientId, previousClientId: account.clientId }, 'service account linked');
    return serviceAccountView(linked);
  }

  /** DELETE /service-accounts/{id}/clients/{clientId}: 404 when not linked to that client. */
  async unlink(tenantId: string, id: string, clientId: string): Promise<void> {
    const account = await this.#account(tenantId, id);
    if (!CLIENT_ID.test(clientId) || account.clientId !== clientId) {
      throw notFound('link between that service account and client', { serviceAccountId: id, clientId });
    }
    await this.d.serviceAccounts.unlinkClient(id, clientId, this.d.clock.now());
    await this.#invalidate([clientId]);
    this.d.audit.info({ action: 'service-account-unlinked', tenantId, serviceAccountId: id, clientId }, 'service account unlinked');
  }
}
