/**
 * Repository contracts, one per domain. Every backend implements them and passes the one
 * contract suite (test/storage/contract.ts). A future domain (tenants, ...) adds an interface
 * here, one file under storage/sql/ (written once for every SQL dialect) and a migration per
 * SQL backend.
 *
 * Versioning: `update` and versioned `delete` are compare-and-set on `version`. A missing
 * record is ERR_NOT_FOUND; a stale `expectedVersion` is ERR_VERSION_CONFLICT with
 * `data.currentVersion`. A successful update stores `version + 1`.
 */
import type {
  ClientCredential,
  ClientSecret,
  ClientCredentialPatch,
  CredentialState,
  EndpointToken,
  EndpointTokenPatch,
  ListOptions,
  NewClientSecret,
  OAuthClient,
  OAuthClientPatch,
  Page,
  SecretRotation,
  SecretSlot,
  ServiceAccount,
  SigningKey,
} from './types.js';

export interface ClientCredentialRepository {
  /** ERR_DUPLICATE when the id or (tenantId, username) is taken. */
  create(c: ClientCredential): Promise<ClientCredential>;
  getById(tenantId: string, id: string): Promise<ClientCredential | null>;
  getByUsername(tenantId: string, username: string): Promise<ClientCredential | null>;
  list(tenantId: string, opts: ListOptions<CredentialState>): Promise<Page<ClientCredential>>;
  update(tenantId: string, id: string, expectedVersion: number, patch: ClientCredentialPatch): Promise<ClientCredential>;
  /** Returns the deleted record. Without `expectedVersion` the delete is unconditional. */
  delete(tenantId: string, id: string, expectedVersion?: number): Promise<ClientCredential>;
}

export interface EndpointTokenRepository {
  /** ERR_DUPLICATE when the token id or (appName, lookupHash) is taken. */
  create(t: EndpointToken): Promise<EndpointToken>;
  /** All or nothing, in one transaction: a single duplicate is ERR_DUPLICATE and nothing is written. */
  createMany(ts: EndpointToken[]): Promise<void>;
  getByLookup(appName: string, lookupHash: string): Promise<EndpointToken | null>;
  getById(tenantId: string, tokenId: string): Promise<EndpointToken | null>;
  listByEndpoint(tenantId: string, endpointId: string, opts: ListOptions<CredentialState>): Promise<Page<EndpointToken>>;
  update(tenantId: string, tokenId: string, expectedVersion: number, patch: EndpointTokenPatch): Promise<EndpointToken>;
  delete(tenantId: string, tokenId: string, expectedVersion?: number): Promise<EndpointToken>;
  /** Endpoint ids are globally unique (endpoint-unregistered events carry no tenant). */
  deleteByEndpoint(endpointId: string): Promise<EndpointToken[]>;
}

/**
 * Confidential OAuth clients and their secrets (slots `current` and `previous`). Keys are the
 * global `clientId`: the caller checks the tenant of what it reads. Every secret operation is
 * one transaction with a compare-and-set version bump of the client, so two concurrent
 * rotations of one client cannot both win: the loser is ERR_VERSION_CONFLICT.
 */
export interface OAuthClientRepository {
  /** ERR_DUPLICATE when the clientId is taken, in any tenant. */
  create(c: OAuthClient): Promise<OAuthClient>;
  get(clientId: string): Promise<OAuthClient | null>;
  list(tenantId: string, opts: ListOptions<never>): Promise<Page<OAuthClient>>;
  update(clientId: string, expectedVersion: number, patch: OAuthClientPatch): Promise<OAuthClient>;
  /** Deletes the client and its secrets; returns the deleted client. */
  delete(clientId: string, expectedVersion?: number): Promise<OAuthClient>;
  /** The client's secrets, `current` first; [] for a client without secrets or no client. */
  secrets(clientId: string): Promise<ClientSecret[]>;
  /** Replaces (or creates) the current secret; the previous one is untouched. */
  setSecret(clientId: string, expectedVersion: number, s: NewClientSecret): Promise<OAuthClient>;
  /**
   * The current secret becomes the previous one (expiring at `previousExpiresAt`, replacing any
   * previous one) and `s` the current one. ERR_NOT_FOUND when there is no current secret.
   */
  rotateSecret(clientId: string, expectedVersion: number, s: SecretRotation): Promise<OAuthClient>;
  /** Removes one slot; ERR_NOT_FOUND (and no version bump) when that slot is empty. */
  deleteSecret(clientId: string, expectedVersion: number, slot: SecretSlot, updatedAt: number): Promise<OAuthClient>;
}

/**
 * Service accounts: the roles, permissions and groups a client's tokens carry. Ids are global;
 * at most one account per client (`clientId` unique when not null: ERR_DUPLICATE).
 */
export interface ServiceAccountRepository {
  /**
   * Creates the account as given, or updates the stored one (seed 003: applied at every start).
   * An update changes name, description, active, clientId, roles, permissions, groups and
   * attributes, sets `updatedAt` and bumps the version only when one of them differs; the given
   * version and createdAt are ignored then. An id taken in another tenant is ERR_DUPLICATE.
   */
  upsert(a: ServiceAccount): Promise<ServiceAccount>;
  get(id: string): Promise<ServiceAccount | null>;
  getByClient(clientId: string): Promise<ServiceAccount | null>;
  list(tenantId: string, opts: ListOptions<never>): Promise<Page<ServiceAccount>>;
  /** Links `clientId` (replacing another link); linking the same client again is a no-op. */
  linkClient(id: string, clientId: string, updatedAt: number, expectedVersion?: number): Promise<ServiceAccount>;
  /** ERR_NOT_FOUND when the account is not linked to `clientId`. */
  unlinkClient(id: string, clientId: string, updatedAt: number): Promise<ServiceAccount>;
  /** Returns the deleted account. */
  delete(id: string): Promise<ServiceAccount>;
}

/** Revoked JWT ids (RFC 7009), shared by every replica, kept until the token expires. */
export interface RevokedTokenRepository {
  /** Idempotent; revoking again keeps the later expiry. */
  revoke(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /** Removes the entries with `expiresAt <= now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

/** JWT signing keys, shared by every replica; rotation keeps the retiring key for an overlap. */
export interface SigningKeyRepository {
  /** ERR_DUPLICATE when the kid is taken. */
  add(k: SigningKey): Promise<SigningKey>;
  /** Every key, newest first: (createdAt, kid) descending. */
  list(): Promise<SigningKey[]>;
  /** Sets `retiresAt`; returns the key. */
  retire(kid: string, retiresAt: number): Promise<SigningKey>;
  /** Deletes the keys with `retiresAt < now`; returns how many. */
  deleteRetiredBefore(now: number): Promise<number>;
}

export type BackendKind = 'pglite' | 'postgres' | 'mariadb';

export interface StorageBackend {
  readonly kind: BackendKind;
  readonly clientCredentials: ClientCredentialRepository;
  readonly endpointTokens: EndpointTokenRepository;
  readonly oauthClients: OAuthClientRepository;
  readonly serviceAccounts: ServiceAccountRepository;
  readonly revokedTokens: RevokedTokenRepository;
  readonly signingKeys: SigningKeyRepository;
  /** Applies pending migrations; idempotent and safe when several processes start at once. */
  migrate(): Promise<void>;
  /** Resolves when the backend answers a trivial query; throws ERR_STORAGE_UNAVAILABLE otherwise. */
  health(): Promise<void>;
  close(): Promise<void>;
}
