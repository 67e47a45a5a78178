/**
 * From verified token claims to the Principal the admin routes read in `req.auth`. The same
 * rules for every issuer: the tenant must be a valid tenant id, and a route's permission is
 * granted when it is one of the token's `scope` values (`scp` for issuers that use it) or one of
 * its `permissions`. Bounded: at most MAX_GRANTS grants of at most 256 characters are kept.
 */
import type { Principal } from '../credentials/routes.js';
import { invalidToken } from './errors.js';

export const TENANT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MAX_GRANTS = 1000;

function strings(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return [];
}

export function principalOf(claims: Readonly<Record<string, unknown>>, tenantId: unknown): Principal {
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) throw invalidToken('the token names no valid tenant');
  const subject = typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : typeof claims.client_id === 'string' ? claims.client_id : null;
  if (subject === null) throw invalidToken('the token names no subject');
  const grants = [...strings(claims.scope), ...strings(claims.scp), ...strings(claims.permissions)].filter((g) => g.length <= 256);
  return { tenantId, subject: subject.slice(0, 256), scopes: [...new Set(grants)].slice(0, MAX_GRANTS) };
}
