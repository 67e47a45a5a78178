/**
 * The secret lifecycle settings (APP_CLIENT_SECRET_*) as milliseconds. Configuration loading has
 * checked the grammar already; a value that still does not convert (too large) names its key.
 */
import type { Config } from '../../../runtime/index.js';
import { durationSetting } from './duration.js';
import type { SecretLifecycle } from './secret-rules.js';

export function secretLifecycle(cfg: Config): SecretLifecycle {
  return {
    ttlMs: durationSetting('oauth.clientSecret.ttl', cfg['oauth.clientSecret.ttl']),
    previousGraceMs: durationSetting('oauth.clientSecret.previousGraceWindow', cfg['oauth.clientSecret.previousGraceWindow']),
    rotationRequiredBeforeExpiryMs: durationSetting('oauth.clientSecret.rotationRequiredBeforeExpiry', cfg['oauth.clientSecret.rotationRequiredBeforeExpiry']),
  };
}
