/**
 * What bin/platform.ts runs once per process before the shards start: the seed file, if one is
 * configured, applied to the OAuth storage. Secrets are hashed here in-process with the
 * configured argon2id parameters (the hashing pool belongs to the cluster, which is not up yet;
 * a seed holds a handful of clients). Any problem is thrown as a coded error whose message names
 * the entry and the field, and start-up stops.
 */
import argon2 from 'argon2';
import type { Config, Logger } from '../../../runtime/index.js';
import type { StorageBackend } from '../../../storage/index.js';
import { secretLifecycle } from './lifecycle.js';
import { applySeed, type SeedReport } from './seed.js';
import { readSeedFile } from './seed-file.js';

export async function seedOAuthClients(
  config: Config,
  backend: Pick<StorageBackend, 'oauthClients' | 'serviceAccounts'>,
  env: Readonly<Record<string, string | undefined>>,
  log: Logger,
  now: number = Date.now(),
): Promise<SeedReport | null> {
  // Checked even without a seed file: a bad duration should stop start-up here, not in a shard.
  const lifecycle = secretLifecycle(config);
  const file = config['oauth.seedFile'];
  if (file === null) return null;
  const seed = readSeedFile(file);
  const params = { memoryCost: config['hashing.memoryCost'], timeCost: config['hashing.timeCost'], parallelism: config['hashing.parallelism'] };
  return applySeed(seed, {
    clients: backend.oauthClients,
    serviceAccounts: backend.serviceAccounts,
    env,
    defaultTenant: config['oauth.defaultTenant'],
    secretTtlMs: lifecycle.ttlMs,
    now,
    hash: (secret) => argon2.hash(secret, { type: argon2.argon2id, ...params }),
    log,
  });
}
