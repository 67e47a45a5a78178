/**
 * The bootstrap admin client: on a start that finds no client with the admin client id
 * (`auth.admin.clientId`, FLEETGATE_ADMIN_CLIENT_ID, default `fleetgate-admin`), create it in
 * the system tenant with every admin permission as its scopes, so that a newcomer gets an admin
 * token with one `curl` against POST /oauth2/token.
 *
 * Its secret is FLEETGATE_ADMIN_CLIENT_SECRET when given (then never printed), else 32 random
 * bytes, printed ONCE to stdout (not to the log: log lines are shipped and kept), and stored only
 * as an argon2id hash. A later start finds the client and prints nothing; so does a replica that
 * loses the race to create it (ERR_DUPLICATE). Runs on the main thread, after migrations.
 */
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { hasCode, logger, type Config, type Logger } from '../../runtime/index.js';
import type { OAuthClientRepository } from '../../storage/index.js';
import { durationSetting } from '../oauth/clients/duration.js';
import { ADMIN_PERMISSIONS } from './permissions.js';

export interface BootstrapOptions {
  clients: OAuthClientRepository;
  clientId: string;
  tenantId: string;
  scopes: readonly string[];
  /** The configured secret, or null to generate one. */
  secret: string | null;
  /** Lifetime of the secret (APP_CLIENT_SECRET_TTL), ms. */
  secretTtlMs: number;
  accessTokenTtlMinutes?: number;
  /** argon2id parameters (`hashing.*`). */
  hashing: { memoryCost: number; timeCost: number; parallelism: number };
  /** Where the generated secret is written (stdout). */
  print(text: string): void;
  /** The URL the printed curl example names. */
  tokenUrl: string;
  now?: () => number;
  log: Logger;
}

export interface BootstrapOutcome {
  created: boolean;
  /** True when a generated secret was printed. */
  printed: boolean;
}

export async function bootstrapAdmin(o: BootstrapOptions): Promise<BootstrapOutcome> {
  if ((await o.clients.get(o.clientId)) !== null) return { created: false, printed: false };
  const now = (o.now ?? Date.now)();
  const generated = o.secret === null;
  const secret = o.secret ?? randomBytes(32).toString('base64url');
  const secretHash = await argon2.hash(secret, { type: argon2.argon2id, ...o.hashing });
  let version: number;
  try {
    const c = await o.clients.create({
      clientId: o.clientId,
      tenantId: o.tenantId,
      name: 'fleetgate bootstrap admin',
      authMethod: 'client_secret_basic',
      accessTokenTtlMinutes: o.accessTokenTtlMinutes ?? 30,
      scopes: [...o.scopes],
      jwks: null,
      seeded: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    version = c.version;
  } catch (err) {
    // Another replica created it first: theirs is the admin, and they printed its secret.
    if (hasCode(err, 'ERR_DUPLICATE')) return { created: false, printed: false };
    throw err;
  }
  await o.clients.setSecret(o.clientId, version, { secretHash, createdAt: now, expiresAt: now + o.secretTtlMs });
  o.log.info({ audit: 'admin.bootstrap', clientId: o.clientId, tenantId: o.tenantId, secretGiven: !generated }, 'bootstrap admin client created');
  if (!generated) return { created: true, printed: false };
  o.print(
    [
      '',
      `fleetgate: created the bootstrap admin client "${o.clientId}" (tenant ${o.tenantId}). Its secret is shown ONCE:`,
      '',
      `  client_secret: ${secret}`,
      '',
      'Get an admin access token with:',
      `  curl -s -u '${o.clientId}:${secret}' -d grant_type=client_credentials ${o.tokenUrl}`,
      '',
      'Only its hash is stored: keep the secret now, or rotate it with POST /clients/{clientId}/secret/rotate.',
      '',
    ].join('\n') + '\n',
  );
  return { created: true, printed: true };
}

/** The bootstrap as `startPlatform` runs it: options from the configuration, printed to stdout.
 *  Does nothing unless `api.auth` is bearer and `auth.admin.bootstrap` is on. */
export async function bootstrapFromConfig(cfg: Config, clients: OAuthClientRepository, httpPort: number): Promise<BootstrapOutcome> {
  if (cfg['api.auth'] !== 'bearer' || !cfg['auth.admin.bootstrap']) return { created: false, printed: false };
  const host = ['0.0.0.0', '::', ''].includes(cfg['listen.host']) ? 'localhost' : cfg['listen.host'].includes(':') ? `[${cfg['listen.host']}]` : cfg['listen.host'];
  const issuer = cfg['oauth.issuer'];
  return bootstrapAdmin({
    clients,
    clientId: cfg['auth.admin.clientId'],
    tenantId: cfg['oauth.defaultTenant'],
    scopes: ADMIN_PERMISSIONS,
    secret: cfg['auth.admin.clientSecret'],
    secretTtlMs: durationSetting('oauth.clientSecret.ttl', cfg['oauth.clientSecret.ttl']),
    hashing: { memoryCost: cfg['hashing.memoryCost'], timeCost: cfg['hashing.timeCost'], parallelism: cfg['hashing.parallelism'] },
    print: (text) => process.stdout.write(text),
    tokenUrl: issuer === null ? `http://${host}:${httpPort}/oauth2/token` : `${issuer.replace(/\/+$/, '')}/oauth2/token`,
    log: logger('auth'),
  });
}
