/**
 * The client_credentials grant (RFC 6749 4.4) for an authenticated client: the scope decision
 * (3.3: a requested scope outside the client's is invalid_scope; none requested = all of the
 * client's) and the access token (RFC 9068 profile plus fleetgate's tenant, roles, permissions
 * and groups of the linked service account).
 *
 * The JWS compact form (RFC 7515 7.1) is assembled here: the key's cached header, the claims
 * JSON, and the key's node:crypto signature, made by the shard's signer (batched, sign-batch.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ClientIdentity } from '../../contract.js';
import { OAuthError } from '../errors.js';
import type { ActiveKey } from '../keys.js';
import type { Signer } from '../sign-batch.js';

// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_SCOPES = 1000;

/** The granted scopes, in the client's order. */
export function grantedScopes(requested: string | undefined, client: ClientIdentity): string[] {
  if (requested === undefined) return [...client.scopes];
  const asked = requested.split(' ').filter((s) => s !== '');
  if (asked.length > MAX_SCOPES) throw new OAuthError('invalid_scope', 400, 'too many scopes requested');
  const wanted = new Set<string>();
  for (const s of asked) {
    if (!SCOPE_TOKEN.test(s)) throw new OAuthError('invalid_scope', 400, 'the scope parameter is malformed (RFC 6749 3.3)');
    if (!client.scopes.includes(s)) {
      throw new OAuthError('invalid_scope', 400, 'the requested scope exceeds the scopes granted to the client', { detail: `scope not granted: ${s.slice(0, 64)}` });
    }
    wanted.add(s);
  }
  return client.scopes.filter((s) => wanted.has(s));
}

export interface IssueContext {
  readonly key: ActiveKey;
  readonly signer: Signer;
  readonly issuer: string;
  readonly audience: string;
  readonly nowMs: number;
  /** Tokens never outlive the signing key's publication (the key overlap). */
  readonly maxTtlSeconds: number;
}

export interface Issued {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly jti: string;
  readonly scope: string;
  readonly exp: number;
}

export async function issueAccessToken(client: ClientIdentity, scopes: readonly string[], ctx: IssueContext): Promise<Issued> {
  const iat = Math.floor(ctx.nowMs / 1000);
  const expiresIn = Math.max(1, Math.min(client.accessTokenTtlMinutes * 60, ctx.maxTtlSeconds));
  const exp = iat + expiresIn;
  const jti = randomUUID();
  const scope = scopes.join(' ');
  const sa = client.serviceAccount;
  const claims = JSON.stringify({
    iss: ctx.issuer,
    sub: sa?.id ?? client.clientId,
    aud: ctx.audience,
    exp,
    iat,
    nbf: iat,
    jti,
    client_id: client.clientId,
    scope,
    tenant: client.tenantId,
    roles: sa?.roles ?? [],
    permissions: sa?.permissions ?? [],
    groups: sa?.groups ?? [],
  });
  const signingInput = ctx.key.headerPrefix + Buffer.from(claims, 'utf8').toString('base64url');
  const signature = await ctx.signer.sign(ctx.key, signingInput);
  const accessToken = `${signingInput}.${signature.toString('base64url')}`;
  return { accessToken, expiresIn, jti, scope, exp };
}
