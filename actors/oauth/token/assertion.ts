/**
 * private_key_jwt (RFC 7523 2.2 and 3, OpenID Connect Core 9): the client proves itself with a
 * JWT signed by one of the keys it registered (`jwks`). The JWT must have iss = sub = client_id,
 * an aud naming this server (its issuer or the endpoint URL), an exp at most MAX_LIFETIME ahead,
 * and a jti never seen before within its lifetime: seen jtis are kept in the revoked-token store
 * (shared by every replica) until the assertion expires, under a hash of client and jti, so that
 * one client cannot burn another's jtis.
 *
 * Returns the reason of a refusal (for the audit line only), or undefined when it passes.
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Clock } from '../../../runtime/index.js';
import type { RevokedTokenRepository } from '../../../storage/index.js';

/** RFC 7523 3: "a reasonable" lifetime; five minutes covers clock skew plus a retry. */
export const MAX_ASSERTION_LIFETIME_MS = 5 * 60_000;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface AssertionContext {
  readonly audiences: readonly string[];
  readonly clock: Clock;
  readonly skewMs: number;
  readonly seen: RevokedTokenRepository;
}

export async function checkAssertion(assertion: string, clientId: string, jwks: Record<string, unknown> | null, ctx: AssertionContext): Promise<string | undefined> {
  if (jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) return 'no registered keys';
  let keySet: ReturnType<typeof createLocalJWKSet>;
  try {
    keySet = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
  } catch {
    return 'registered keys unusable';
  }
  const now = ctx.clock.now();
  let payload: { exp?: number; jti?: string };
  try {
    ({ payload } = await jwtVerify(assertion, keySet, {
      algorithms: ASYMMETRIC,
      issuer: clientId,
      subject: clientId,
      audience: [...ctx.audiences],
      currentDate: new Date(now),
      clockTolerance: Math.floor(ctx.skewMs / 1000),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
    }));
  } catch (err) {
    return err instanceof joseErrors.JOSEError ? `assertion refused (${err.code})` : 'assertion refused';
  }
  const expMs = (payload.exp as number) * 1000;
  if (expMs - now > MAX_ASSERTION_LIFETIME_MS + ctx.skewMs) return 'assertion lifetime too long';
  const jti = payload.jti as string;
  if (jti.length === 0 || jti.length > 255) return 'assertion jti malformed';
  const key = `assertion:${createHash('sha256').update(`${clientId}\n${jti}`).digest('base64url')}`;
  // Check then record: the repository has no insert-if-absent, so two replicas receiving the
  // same assertion in the same instant could both accept it; a replay after that is refused.
  if (await ctx.seen.isRevoked(key)) return 'assertion replayed';
  await ctx.seen.revoke(key, Math.max(expMs, now) + ctx.skewMs);
  return undefined;
}
