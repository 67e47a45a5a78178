/** Storage records to REST views: dates as ISO 8601, never a hash. */
import type { ClientCredential, EndpointToken } from '../../storage/index.js';
import type { CredentialView, TokenView } from './protocol.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function credentialView(c: ClientCredential): CredentialView {
  const v: CredentialView = {
    id: c.id,
    tenantId: c.tenantId,
    username: c.username,
    state: c.state,
    createdDate: iso(c.createdAt),
    updatedDate: iso(c.updatedAt),
    version: c.version,
  };
  if (c.lastUsedAt !== null) v.lastUseDate = iso(c.lastUsedAt);
  return v;
}

export function tokenView(t: EndpointToken): TokenView {
  const v: TokenView = {
    endpointTokenId: t.tokenId,
    endpointId: t.endpointId,
    applicationName: t.appName,
    status: t.state,
    createdDate: iso(t.createdAt),
    updateDate: iso(t.updatedAt),
    version: t.version,
  };
  if (t.lastUsedAt !== null) v.lastUseDate = iso(t.lastUsedAt);
  return v;
}
