/**
 * The messages between `remoteBackend` (in a shard worker) and `serveStorage` (on the main
 * thread, beside the one PGlite instance), declared in one place.
 *
 * The hub first posts a hello naming the real backend's kind. It is posted from `attach`, which
 * the cluster calls before it hands the port to the worker, so the hello is already queued on
 * the port when the worker builds its remote backend and can be read synchronously there.
 * After that both directions carry batches: one array per port per event-loop turn, so a burst
 * of storage calls from many actors costs one postMessage, not one each.
 *
 * Ordering: requests leave in call order and the hub starts them in arrival order; answers come
 * back in completion order and are matched by `id`. PGlite runs one statement at a time anyway
 * (storage/pglite/executor.ts), so requests from all shards execute in the order they reached
 * the main thread.
 */
import type { WireError } from '../runtime/errors.js';
import type {
  BackendKind,
  ClientCredentialRepository,
  EndpointTokenRepository,
  OAuthClientRepository,
  RevokedTokenRepository,
  ServiceAccountRepository,
  SigningKeyRepository,
} from './repositories.js';

export type StorageRepo =
  | 'clientCredentials'
  | 'endpointTokens'
  | 'oauthClients'
  | 'serviceAccounts'
  | 'revokedTokens'
  | 'signingKeys'
  | 'backend';

export interface StorageRequest {
  /** Correlation id, unique per port. */
  id: number;
  repo: StorageRepo;
  method: string;
  args: unknown[];
}

export type StorageReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

export type ToStorageHub = StorageRequest[];

export type FromStorageHub = { t: 'hello'; kind: BackendKind } | { t: 'replies'; replies: StorageReply[] };

/**
 * The only methods a worker may call, per repository. `migrate` and `close` are missing on
 * purpose: they belong to the backend's owner on the main thread. The checks below fail the
 * build when a repository gains a method that is not listed here (and so not proxied).
 */
export const REMOTE_METHODS = {
  clientCredentials: ['create', 'getById', 'getByUsername', 'list', 'update', 'delete'],
  endpointTokens: ['create', 'createMany', 'getByLookup', 'getById', 'listByEndpoint', 'update', 'delete', 'deleteByEndpoint'],
  oauthClients: ['create', 'get', 'list', 'update', 'delete', 'secrets', 'setSecret', 'rotateSecret', 'deleteSecret'],
  serviceAccounts: ['upsert', 'get', 'getByClient', 'list', 'linkClient', 'unlinkClient', 'delete'],
  revokedTokens: ['revoke', 'isRevoked', 'purgeExpired'],
  signingKeys: ['add', 'list', 'retire', 'deleteRetiredBefore'],
  backend: ['health'],
} as const satisfies {
  clientCredentials: readonly (keyof ClientCredentialRepository)[];
  endpointTokens: readonly (keyof EndpointTokenRepository)[];
  oauthClients: readonly (keyof OAuthClientRepository)[];
  serviceAccounts: readonly (keyof ServiceAccountRepository)[];
  revokedTokens: readonly (keyof RevokedTokenRepository)[];
  signingKeys: readonly (keyof SigningKeyRepository)[];
  backend: readonly ['health'];
};

type Missing<T, L extends readonly unknown[]> = Exclude<keyof T, L[number]>;
type AssertNone<T extends never> = T;
type AllCredentialMethodsListed = AssertNone<Missing<ClientCredentialRepository, typeof REMOTE_METHODS.clientCredentials>>;
type AllTokenMethodsListed = AssertNone<Missing<EndpointTokenRepository, typeof REMOTE_METHODS.endpointTokens>>;
type AllOAuthClientMethodsListed = AssertNone<Missing<OAuthClientRepository, typeof REMOTE_METHODS.oauthClients>>;
type AllServiceAccountMethodsListed = AssertNone<Missing<ServiceAccountRepository, typeof REMOTE_METHODS.serviceAccounts>>;
type AllRevokedTokenMethodsListed = AssertNone<Missing<RevokedTokenRepository, typeof REMOTE_METHODS.revokedTokens>>;
type AllSigningKeyMethodsListed = AssertNone<Missing<SigningKeyRepository, typeof REMOTE_METHODS.signingKeys>>;

/** Default deadline of one remote storage call. */
export const DEFAULT_STORAGE_TIMEOUT_MS = 30_000;
