/**
 * Coded errors of the storage layer. Callers match on `code` (never on the class after a
 * thread hop). Messages name the operation and the rule, never a parameter value: values can
 * be hashes, tenant data or, by a caller's mistake, a secret.
 */
import { FleetgateError } from '../runtime/errors.js';

export const StorageCodes = {
  /** No record with that key (in that tenant). */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** A unique key (id, (tenant, username), (app, lookup hash)) is already taken. */
  DUPLICATE: 'ERR_DUPLICATE',
  /** The expected version is stale; `data.currentVersion` is the stored one. */
  VERSION_CONFLICT: 'ERR_VERSION_CONFLICT',
  /** The driver or the network failed; the driver error is the `cause`. */
  UNAVAILABLE: 'ERR_STORAGE_UNAVAILABLE',
  /** An argument breaks a rule checked at the repository edge. */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
} as const;

export type StorageCode = (typeof StorageCodes)[keyof typeof StorageCodes];

export class StorageError extends FleetgateError {
  declare readonly code: StorageCode;

  constructor(code: StorageCode, message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super(code, message, options);
  }
}

export function notFound(what: string): StorageError {
  return new StorageError(StorageCodes.NOT_FOUND, `${what} not found`);
}

export function versionConflict(what: string, currentVersion: number): StorageError {
  return new StorageError(StorageCodes.VERSION_CONFLICT, `${what} was modified concurrently (stale version)`, {
    data: { currentVersion },
  });
}

export function invalidArgument(message: string): StorageError {
  return new StorageError(StorageCodes.INVALID_ARGUMENT, message);
}

/** No cause on purpose: a duplicate is an expected outcome, and drivers echo the key values. */
export function duplicate(): StorageError {
  return new StorageError(StorageCodes.DUPLICATE, 'a record with the same unique key already exists');
}

export function unavailable(cause: unknown): StorageError {
  return new StorageError(StorageCodes.UNAVAILABLE, 'the storage backend failed or is unreachable', { cause });
}
