/**
 * The authentication module of the admin APIs, loaded in every shard right before actors/api.js.
 * With `api.auth: bearer` (the default) it builds the bearer-token hook (bearer.ts) on the token
 * service's verifier (dep 'oauth.verifier'), the tenants' own issuers of `auth.tenants` and the
 * Tenant Manager (`auth.tenantManager.url`), and provides it as dep AUTHORIZE_HOOK, which the
 * HTTP module installs. With `api.auth: trusted-header` it provides nothing.
 *
 * The built-in issuer is `oauth.issuer` when set; otherwise it is derived, like the token service
 * derives it, from the request's Host (X-Forwarded-Proto/-Host only from trusted proxies).
 */
import type { ShardHost } from '../../runtime/index.js';
import { forwardedInfo, type HttpRequest } from '../../transports/http/index.js';
import { OAUTH_VERIFIER, type AccessTokenVerifier } from '../oauth/contract.js';
import type { PlatformConfig } from '../platform-config.js';
import { AUTHORIZE_HOOK, bearerAuth } from './bearer.js';
import { ExternalIssuers } from './external.js';
import { TenantManager } from './tenant-manager.js';

export function builtinIssuerOf(req: HttpRequest): string {
  const f = forwardedInfo(req);
  return `${f.proto}://${f.host}`;
}

export function setup(host: ShardHost): void {
  const cfg = host.config as PlatformConfig;
  if (cfg['api.auth'] !== 'bearer') return;
  const verifier = host.dep<AccessTokenVerifier>(OAUTH_VERIFIER);
  const tmUrl = cfg['auth.tenantManager.url'];
  const tenantManager =
    tmUrl === null
      ? null
      : new TenantManager({
          url: tmUrl,
          token: cfg['auth.tenantManager.token'],
          cacheTtlMs: cfg['auth.tenantManager.cacheTtlMs'],
          timeoutMs: cfg['auth.tenantManager.timeoutMs'],
        });
  const external = new ExternalIssuers({
    tenants: cfg['auth.tenants'],
    tenantManager,
    tenantManagerClaim: cfg['auth.tenantManager.tenantClaim'],
    defaultAudience: cfg['oauth.audience'],
    tenantManagerAudience: cfg['auth.tenantManager.audience'],
    clockToleranceSec: Math.ceil(cfg['oauth.clockSkewMs'] / 1000),
  });
  const configured = cfg['oauth.issuer'];
  host.provide(
    AUTHORIZE_HOOK,
    bearerAuth({
      builtin: verifier,
      external: external.empty ? null : external,
      builtinIssuer: configured === null ? builtinIssuerOf : () => configured,
      log: host.log.child({ module: 'auth' }),
    }),
  );
}
