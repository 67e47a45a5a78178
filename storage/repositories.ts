/**
 * Repository contracts, one per domain. Every backend implements them and passes the one
 * contract suite (test/storage/contract.ts). A future domain (OAuth clients, secrets, service
 * accounts, tenants) adds an interface here and one file per dialect.
 *
 * Versioning: `update` and versioned `delete` are compare-and-set on `version`. A missing
 * record is ERR_NOT_FOUND; a stale `expectedVersion` is ERR_VERSION_CONFLICT with
 * `data.currentVersion`. A successful update stores `version + 1`.
 */
import type {
  ClientCredential,
  ClientCredentialPatch,
  CredentialState,
  EndpointToken,
  EndpointTokenPatch,
  ListOptions,
  Page,
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
  /** All or nothing, in one transaction: any duplicate is ERR_DUPLICATE and nothing is written. */
  createMany(ts: EndpointToken[]): Promise<void>;
  getByLookup(appName: string, lookupHash: string): Promise<EndpointToken | null>;
  getById(tenantId: string, tokenId: string): Promise<EndpointToken | null>;
  listByEndpoint(tenantId: string, endpointId: string, opts: ListOptions<CredentialState>): Promise<Page<EndpointToken>>;
  update(tenantId: string, tokenId: string, expectedVersion: number, patch: EndpointTokenPatch): Promise<EndpointToken>;
  delete(tenantId: string, tokenId: string, expectedVersion?: number): Promise<EndpointToken>;
  /** Endpoint ids are globally unique (endpoint-unregistered events carry no tenant). */
  deleteByEndpoint(endpointId: string): Promise<EndpointToken[]>;
}

export type BackendKind = 'pglite' | 'postgres' | 'mariadb';

export interface StorageBackend {
  readonly kind: BackendKind;
  readonly clientCredentials: ClientCredentialRepository;
  readonly endpointTokens: EndpointTokenRepository;
  /** Applies pending migrations; idempotent and safe when several processes start at once. */
  migrate(): Promise<void>;
  /** Resolves when the backend answers a trivial query; throws ERR_STORAGE_UNAVAILABLE otherwise. */
  health(): Promise<void>;
  close(): Promise<void>;
}
