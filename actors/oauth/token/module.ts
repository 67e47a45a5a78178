/**
 * The token half of the authorization server on a shard: signing keys, the verifier (provided
 * as OAUTH_VERIFIER for the bearer hook), the failure limiter (actor kind and bus broadcast), the
 * OAuth routes. Needs the infra module and the client registry (OAUTH_CLIENTS) before it.
 */
import { logger, type Service, type ShardHost, type TimerHandle } from '../../../runtime/index.js';
import type { RevokedTokenRepository, SigningKeyRepository } from '../../../storage/index.js';
import type { Bus } from '../../../transports/bus/index.js';
import type { Route } from '../../../transports/http/index.js';
import type { PlatformConfig } from '../../platform-config.js';
import { durationSetting } from '../clients/duration.js';
import { OAUTH_CLIENTS, OAUTH_VERIFIER, type OAuthClients } from '../contract.js';
import { KeyEncryptionKey } from './kek.js';
import { SigningKeys } from './keys.js';
import { ActorLimiter, BlockedView, blockViewActorKind, failureBroadcast, limitActorKind, viewKeys } from './limiter.js';
import { tokenRoutes } from './routes.js';
import { TokenService } from './service.js';
import { BuiltInVerifier } from './verify.js';

export const TOKEN_SERVICE = 'oauth.tokenService';

export function setup(host: ShardHost): void {
  const cfg = host.config as PlatformConfig;
  const kekText = cfg['oauth.keyEncryptionKey'];
  if (kekText === null) throw new TypeError('oauth.keyEncryptionKey must be resolved before the shards start');
  const rotationMs = durationSetting('oauth.signingKeyRotation', cfg['oauth.signingKeyRotation']);
  const overlapMs = durationSetting('oauth.signingKeyOverlap', cfg['oauth.signingKeyOverlap']);
  const audit = logger('audit', { shard: host.shardId });
  const revoked = host.dep<RevokedTokenRepository>('storage.revokedTokens');
  const keys = new SigningKeys({
    repo: host.dep<SigningKeyRepository>('storage.signingKeys'),
    kek: new KeyEncryptionKey(kekText),
    alg: cfg['oauth.signingAlg'],
    rotationMs,
    overlapMs,
    refreshMs: cfg['oauth.keyRefreshMs'],
    clock: host.clock,
    audit,
  });
  const verifier = new BuiltInVerifier({ keys, revoked, audience: cfg['oauth.audience'], issuer: cfg['oauth.issuer'], clock: host.clock, skewMs: cfg['oauth.clockSkewMs'] });
  host.provide(OAUTH_VERIFIER, verifier);

  const limits = { maxFailures: cfg['oauth.rateLimit.maxFailures'], windowMs: cfg['oauth.rateLimit.windowMs'] };
  const view = new BlockedView();
  host.registerActor(limitActorKind(limits, viewKeys(host.shardCount)));
  host.registerActor(blockViewActorKind(view));
  const broadcast = failureBroadcast(host.dep<Bus>('bus'), cfg['service.replicaId'], host.actors, host.log);
  host.addService(broadcast.service);

  const service = new TokenService({
    clients: host.dep<OAuthClients>(OAUTH_CLIENTS),
    keys,
    verifier,
    revoked,
    limiter: new ActorLimiter(host.actors, view, host.clock, host.log, broadcast.publish),
    clock: host.clock,
    audit,
    audience: cfg['oauth.audience'],
    issuer: cfg['oauth.issuer'],
    requireHttps: cfg['oauth.requireHttps'],
    skewMs: cfg['oauth.clockSkewMs'],
    maxTtlMs: overlapMs,
  });
  host.provide(TOKEN_SERVICE, service);
  host.dep<Route[]>('http.routes').push(...tokenRoutes(service));
  // The first key is made (or the rotation done) before traffic, not by the first request.
  host.addService({ name: 'oauth-signing-keys', start: () => keys.refresh(), stop: () => undefined });
  if (host.shardId === 0) host.addService(purgeService(revoked, host));
}

/** Revoked jtis and seen assertion jtis are useless once expired: one shard per replica drops
 *  them now and then (several replicas doing it at once is harmless). */
function purgeService(revoked: RevokedTokenRepository, host: ShardHost): Service {
  let timer: TimerHandle | undefined;
  const schedule = (): void => {
    timer = host.clock.setTimeout(() => {
      revoked
        .purgeExpired(host.clock.now())
        .then((n) => {
          if (n > 0) host.log.debug({ purged: n }, 'expired revoked token ids purged');
        })
        .catch((err: unknown) => host.log.warn({ err: String(err) }, 'purging expired revoked token ids failed'))
        .finally(() => {
          if (timer !== undefined) schedule();
        });
    }, PURGE_EVERY_MS);
  };
  return {
    name: 'oauth-revoked-purge',
    start: schedule,
    stop() {
      if (timer !== undefined) host.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}

const PURGE_EVERY_MS = 10 * 60_000;
