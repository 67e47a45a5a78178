/**
 * The fleetgate the `token` bench measures when no --target is given: the whole platform in
 * this process (`startPlatform`, as `fleetgate start` runs it) on its embedded defaults,
 * restarted once on the data directory its first start prepared, with
 * the bench client created by the OAuth seed file at start-up (its secret from the seed's
 * environment variable, hashed with argon2id at the given parameters; production by default).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformModules, startPlatform } from '../../bin/platform.js';
import { loadConfig, setLogLevel, settings } from '../../runtime/index.js';
import type { OidcTokenProfile } from '../peers/oidc-provider-messages.js';

export const TOKEN_PATH = '/oauth2/token';
const SECRET_ENV = 'FLEETGATE_BENCH_TOKEN_CLIENT_SECRET';

export interface TokenPlatformOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly profile: OidcTokenProfile;
  readonly shards: number;
  readonly hashingThreads: number;
  readonly memoryCost: number;
  readonly timeCost: number;
}

export interface TokenPlatform {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startTokenPlatform(o: TokenPlatformOptions): Promise<TokenPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetgate-bench-token-'));
  try {
    const seedFile = join(dataDir, 'oauth-seed.json');
    const seed = {
      clients: {
        confidential: [{
          client_id: o.clientId,
          client_secret_env_var_name: SECRET_ENV,
          client_name: 'token bench client',
          client_authentication_method: 'client_secret_basic',
          access_token_ttl_minutes: Math.round(o.profile.accessTokenTtlSeconds / 60),
          scope: o.profile.scopes.join(' '),
          tenant: String(o.profile.extraClaims['tenant'] ?? 'bench'),
        }],
      },
    };
    writeFileSync(seedFile, JSON.stringify(seed), { mode: 0o600 });
    // env: {} so that no FLEETGATE_* variable of the shell changes what is measured.
    const config = loadConfig(settings, {
      env: {},
      overrides: {
        dataDir,
        'listen.host': '127.0.0.1',
        'http.port': 0,
        'management.port': 0,
        'runtime.shards': o.shards,
        'hashing.threads': o.hashingThreads,
        'hashing.memoryCost': o.memoryCost,
        'hashing.timeCost': o.timeCost,
        'log.level': 'warn',
        'oauth.seedFile': seedFile,
        // The bench's stdout carries only the result: no admin secret printed there.
        'auth.admin.bootstrap': false,
        // Only the HTTP port is measured; no MQTT listener on a fixed port to collide with.
        'mqtt.tcp.enabled': false,
        'oauth.audience': o.profile.audience,
      },
    });
    setLogLevel(config['log.level']);
    const start = () => startPlatform(config, { modules: platformModules(), env: { [SECRET_ENV]: o.clientSecret } });
    // A first start creates the embedded database (initdb) and leaves some 450 MB of buffers for
    // V8 to collect later, during the measurement: the measured platform is a restart on it.
    await (await start()).stop();
    const platform = await start();
    return {
      port: platform.httpPort,
      async stop() {
        await platform.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
