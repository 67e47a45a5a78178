/**
 * Row mapping shared by every dialect: all schemas use the same snake_case column names.
 * Drivers disagree on BIGINT (pg: string, PGlite: number or bigint, mariadb: number with
 * bigIntAsNumber), so integers are normalised here and refused when not safe integers: a
 * wrong type from a driver is a storage fault, not a value to pass upward.
 */
import { unavailable } from './errors.js';
import { CREDENTIAL_STATES, type ClientCredential, type CredentialState, type EndpointToken } from './types.js';

export type Row = Record<string, unknown>;

function rowFault(column: string): Error {
  return unavailable(new TypeError(`unexpected value type in column ${column}`));
}

export function str(row: Row, column: string): string {
  const v = row[column];
  if (typeof v !== 'string') throw rowFault(column);
  return v;
}

export function int(row: Row, column: string): number {
  const v = row[column];
  const n = typeof v === 'number' ? v : typeof v === 'string' || typeof v === 'bigint' ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw rowFault(column);
  return n;
}

export function nullableInt(row: Row, column: string): number | null {
  return row[column] === null ? null : int(row, column);
}

function state(row: Row): CredentialState {
  const v = row['state'];
  if (!CREDENTIAL_STATES.includes(v as CredentialState)) throw rowFault('state');
  return v as CredentialState;
}

export function toClientCredential(row: Row): ClientCredential {
  return {
    id: str(row, 'id'),
    tenantId: str(row, 'tenant_id'),
    username: str(row, 'username'),
    secretHash: str(row, 'secret_hash'),
    state: state(row),
    version: int(row, 'version'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
    lastUsedAt: nullableInt(row, 'last_used_at'),
  };
}

export function toEndpointToken(row: Row): EndpointToken {
  return {
    tokenId: str(row, 'token_id'),
    tenantId: str(row, 'tenant_id'),
    appName: str(row, 'app_name'),
    endpointId: str(row, 'endpoint_id'),
    lookupHash: str(row, 'lookup_hash'),
    state: state(row),
    version: int(row, 'version'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
    lastUsedAt: nullableInt(row, 'last_used_at'),
  };
}

/** Column order of INSERTs, the same in both dialects. */
export const CLIENT_CREDENTIAL_COLUMNS = [
  'id', 'tenant_id', 'username', 'secret_hash', 'state', 'version', 'created_at', 'updated_at', 'last_used_at',
] as const;

export function clientCredentialValues(c: ClientCredential): unknown[] {
  return [c.id, c.tenantId, c.username, c.secretHash, c.state, c.version, c.createdAt, c.updatedAt, c.lastUsedAt];
}

export const ENDPOINT_TOKEN_COLUMNS = [
  'token_id', 'tenant_id', 'app_name', 'endpoint_id', 'lookup_hash', 'state', 'version', 'created_at', 'updated_at', 'last_used_at',
] as const;

export function endpointTokenValues(t: EndpointToken): unknown[] {
  return [t.tokenId, t.tenantId, t.appName, t.endpointId, t.lookupHash, t.state, t.version, t.createdAt, t.updatedAt, t.lastUsedAt];
}

/** The SET list of an update: a fixed whitelist of columns, `undefined` fields left out. */
export function patchColumns(patch: {
  state?: CredentialState;
  secretHash?: string;
  lastUsedAt?: number | null;
  updatedAt: number;
}): Array<[column: string, value: unknown]> {
  const out: Array<[string, unknown]> = [['updated_at', patch.updatedAt]];
  if (patch.state !== undefined) out.push(['state', patch.state]);
  if (patch.secretHash !== undefined) out.push(['secret_hash', patch.secretHash]);
  if (patch.lastUsedAt !== undefined) out.push(['last_used_at', patch.lastUsedAt]);
  return out;
}
