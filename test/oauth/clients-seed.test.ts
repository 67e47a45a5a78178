/**
 * Pure parts and start-up parts of the client registry: the ISO 8601 duration settings, the
 * secret rules, the seed file's strict reading, and applying a seed to real storage (PGlite)
 * twice, as two start-ups would: clients create-only, service accounts updated, failures that
 * name the client, the variable or the unresolved name before anything is written.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import { hasCode, loadConfig, settings } from '../../runtime/index.js';
import { rootLogger } from '../../runtime/log.js';
import { openBackend, type StorageBackend } from '../../storage/index.js';
import { parseDuration } from '../../actors/oauth/clients/duration.js';
import { candidates, previousExpiry, secretStatus } from '../../actors/oauth/clients/secret-rules.js';
import { checkSeed, readSeedFile } from '../../actors/oauth/clients/seed-file.js';
import { applySeed, builtInRoles, type SeedOptions } from '../../actors/oauth/clients/seed.js';

rootLogger().level = 'silent';
const DAY = 86_400_000;

describe('ISO 8601 durations', () => {
  const good: Array<[string, number]> = [
    ['P365D', 365 * DAY],
    ['P7D', 7 * DAY],
    ['PT2H', 2 * 3_600_000],
    ['PT2S', 2000],
    ['P1DT12H30M', DAY + 12 * 3_600_000 + 30 * 60_000],
    ['PT0.5S', 500],
    ['PT1.25S', 1250],
    ['PT0S', 0],
    ['p28d', 28 * DAY],
  ];
  const bad = ['', 'P', 'PT', 'P1DT', '365D', 'P1Y', 'P1M', 'P2W', '-P1D', 'P-1D', 'PT1.5H', 'PT0.0001S', 'P1D ', ' P1D', 'P1H', 'PT1D', 'P1.5D'];
  const setting = settings['oauth.clientSecret.ttl'];

  it('parses the java.time.Duration grammar to milliseconds', () => {
    for (const [text, ms] of good) assert.equal(parseDuration(text), ms, text);
  });
  it('refuses everything else, and the setting accepts exactly what the parser does', () => {
    for (const text of bad) assert.equal(parseDuration(text), undefined, text);
    for (const [text] of good) assert.equal(setting.parse(text), text, text);
    for (const text of bad) assert.equal(setting.parse(text), undefined, text);
  });
  it('has the defaults of the seed and names the key of a bad value', () => {
    const cfg = loadConfig(settings, { env: {} });
    assert.equal(cfg['oauth.clientSecret.ttl'], 'P365D');
    assert.equal(cfg['oauth.clientSecret.previousGraceWindow'], 'P7D');
    assert.equal(cfg['oauth.clientSecret.rotationRequiredBeforeExpiry'], 'P28D');
    assert.equal(loadConfig(settings, { env: { APP_CLIENT_SECRET_PREVIOUS_GRACE_WINDOW: 'PT2S' } })['oauth.clientSecret.previousGraceWindow'], 'PT2S');
    assert.throws(() => loadConfig(settings, { env: { APP_CLIENT_SECRET_TTL: 'P1Y' } }), /oauth\.clientSecret\.ttl/);
    assert.throws(() => loadConfig(settings, { env: { APP_CLIENT_SECRET_ROTATION_REQUIRED_BEFORE_EXPIRY: '28 days' } }), /oauth\.clientSecret\.rotationRequiredBeforeExpiry/);
  });
});

describe('secret rules', () => {
  const rules = { ttlMs: 100 * DAY, previousGraceMs: 7 * DAY, rotationRequiredBeforeExpiryMs: 28 * DAY };
  it('orders usable slots current first and sets expired ones apart', () => {
    const secrets = [
      { slot: 'current' as const, createdAt: 0, expiresAt: 1000 },
      { slot: 'previous' as const, createdAt: 0, expiresAt: 500 },
    ];
    assert.deepEqual(candidates(secrets, 499), { usable: ['current', 'previous'], expired: [] });
    assert.deepEqual(candidates(secrets, 500), { usable: ['current'], expired: ['previous'] });
    assert.deepEqual(candidates(secrets, 1000), { usable: [], expired: ['current', 'previous'] });
    assert.deepEqual(candidates([{ slot: 'current', createdAt: 0, expiresAt: null }], 1e15), { usable: ['current'], expired: [] });
    assert.deepEqual(candidates([], 0), { usable: [], expired: [] });
  });
  it('ends the grace window at rotation + grace, but never after the secret would have expired', () => {
    assert.equal(previousExpiry({ expiresAt: 100 * DAY }, 10 * DAY, rules), 17 * DAY);
    assert.equal(previousExpiry({ expiresAt: 12 * DAY }, 10 * DAY, rules), 12 * DAY);
    assert.equal(previousExpiry({ expiresAt: null }, 10 * DAY, rules), 17 * DAY);
  });
  it('reports rotationRequired from expiresAt - lead on, and nothing to rotate without a secret', () => {
    const s = [{ slot: 'current' as const, createdAt: 0, expiresAt: 100 * DAY }];
    assert.equal(secretStatus(s, 72 * DAY - 1, rules).rotationRequired, false);
    assert.equal(secretStatus(s, 72 * DAY, rules).rotationRequired, true);
    assert.equal(secretStatus(s, 100 * DAY, rules).expired, true);
    assert.deepEqual(secretStatus([], 0, rules), { hasSecret: false, createdAt: null, expiresAt: null, previousExpiresAt: null, rotationRequired: false, expired: false });
  });
});

describe('seed file', () => {
  it('applies the defaults of seed 003', () => {
    const seed = checkSeed({
      clients: { public: [], confidential: [{ client_id: 'my-service', client_secret_env_var_name: 'MY_SERVICE_CLIENT_SECRET' }] },
    });
    assert.deepEqual(seed.clients, [
      {
        clientId: 'my-service',
        secretEnvVar: 'MY_SERVICE_CLIENT_SECRET',
        name: 'Confidential Client: my-service',
        authMethod: 'client_secret_basic',
        accessTokenTtlMinutes: 30,
        scopes: [],
        jwks: null,
        tenant: null,
      },
    ]);
  });
  it('reads the example of seed 003 in YAML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetgate-seed-'));
    const file = join(dir, 'clients.yaml');
    await writeFile(
      file,
      [
        'clients:',
        '  public: []',
        '  confidential:',
        '    - client_id: my-service',
        '      client_name: My Service',
        '      client_secret_env_var_name: MY_SERVICE_CLIENT_SECRET',
        '      client_authentication_method: client_secret_post',
        '      access_token_ttl_minutes: 60',
        '      scope: read',
        'serviceAccounts:',
        '  - id: svc-my-service',
        '    name: svc-my-service',
        '    description: Service account for My Service',
        '    active: true',
        '    clientId: my-service',
        '    roles: ["USER"]',
        '    permissions: []',
        '    groups: []',
        '    attributes: {}',
        '',
      ].join('\n'),
    );
    const seed = readSeedFile(file);
    assert.deepEqual(seed.clients[0], {
      clientId: 'my-service',
      secretEnvVar: 'MY_SERVICE_CLIENT_SECRET',
      name: 'My Service',
      authMethod: 'client_secret_post',
      accessTokenTtlMinutes: 60,
      scopes: ['read'],
      jwks: null,
      tenant: null,
    });
    assert.deepEqual(seed.serviceAccounts[0], {
      id: 'svc-my-service',
      name: 'svc-my-service',
      description: 'Service account for My Service',
      active: true,
      clientId: 'my-service',
      roles: ['USER'],
      permissions: [],
      groups: [],
      attributes: {},
      tenant: null,
    });
    await writeFile(file, 'clients: [unclosed');
    assert.throws(() => readSeedFile(file), (e: unknown) => hasCode(e, 'ERR_SEED_INVALID') && /not valid YAML or JSON/.test((e as Error).message));
    assert.throws(() => readSeedFile(join(dir, 'missing.yaml')), /cannot be read \(ENOENT\)/);
    await rm(dir, { recursive: true, force: true });
  });
  it('refuses unknown fields, naming the field and the entry', () => {
    const bad = (doc: unknown, message: RegExp) => assert.throws(() => checkSeed(doc), (e: unknown) => hasCode(e, 'ERR_SEED_INVALID') && message.test((e as Error).message));
    bad({ clients: { confidential: [{ client_id: 'a', client_secret_env_var_name: 'A', client_secrte: 'x' }] } }, /clients\.confidential\[0\]: unknown field "client_secrte"/);
    bad({ serviceAccounts: [{ id: 'sa', clientid: 'a' }] }, /serviceAccounts\[0\]: unknown field "clientid"/);
    bad({ client: {} }, /top level: unknown field "client"/);
    bad({ clients: { private: [] } }, /clients: unknown field "private"/);
    bad({ clients: { confidential: [{ client_id: 'a' }] } }, /clients\.confidential\[a\]\.client_secret_env_var_name: must be the name of an environment variable/);
    bad({ clients: { confidential: [{ client_id: 'a', client_secret_env_var_name: 'A', access_token_ttl_minutes: 0 }] } }, /\[a\]\.access_token_ttl_minutes/);
    bad({ clients: { confidential: [{ client_id: 'a', client_secret_env_var_name: 'A', client_authentication_method: 'none' }] } }, /\[a\]\.client_authentication_method/);
    bad({ clients: { confidential: [{ client_id: 'a', client_secret_env_var_name: 'A' }, { client_id: 'a', client_secret_env_var_name: 'B' }] } }, /\[a\]: client_id appears twice/);
    bad({ serviceAccounts: [{ id: 's1', clientId: 'a' }, { id: 's2', clientId: 'a' }] }, /serviceAccounts\[s2\]\.clientId: client a is linked to two/);
  });
});

describe('applying a seed at start-up', () => {
  let dir: string;
  let backend: StorageBackend;
  const hash = (s: string) => argon2.hash(s, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const opts = (over: Partial<SeedOptions> = {}): SeedOptions => ({
    clients: backend.oauthClients,
    serviceAccounts: backend.serviceAccounts,
    env: { MY_SERVICE_CLIENT_SECRET: 'first-secret-value-0123456789' },
    defaultTenant: 'kaa',
    secretTtlMs: 365 * DAY,
    now: Date.UTC(2026, 0, 1),
    hash,
    log: rootLogger(),
    ...over,
  });
  const doc = (client: Record<string, unknown> = {}, account: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
    roles: { OPERATOR: ['client.write', 'tenant:basic-credentials:read'] },
    groups: ['ops', 'dev'],
    ...top,
    clients: {
      public: [{ client_id: 'spa' }],
      confidential: [{ client_id: 'my-service', client_secret_env_var_name: 'MY_SERVICE_CLIENT_SECRET', scope: 'read write', ...client }],
    },
    serviceAccounts: [{ id: 'svc-my-service', clientId: 'my-service', roles: ['OPERATOR'], permissions: ['users.write'], groups: ['ops'], ...account }],
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetgate-seed-apply-'));
    backend = await openBackend({ kind: 'pglite', dataDir: join(dir, 'pglite') });
    await backend.migrate();
  });
  after(async () => {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails on a missing variable naming the client and the variable, before writing anything', async () => {
    await assert.rejects(applySeed(checkSeed(doc()), opts({ env: {} })), (e: unknown) => {
      assert.ok(hasCode(e, 'ERR_SEED_INVALID'));
      assert.match((e as Error).message, /clients\.confidential\[my-service\]: environment variable MY_SERVICE_CLIENT_SECRET/);
      return true;
    });
    assert.equal(await backend.oauthClients.get('my-service'), null);
  });

  it('fails on an unresolved role, permission or group naming it, before writing anything', async () => {
    const failsWith = async (d: unknown, message: RegExp) =>
      assert.rejects(applySeed(checkSeed(d), opts()), (e: unknown) => hasCode(e, 'ERR_SEED_INVALID') && message.test((e as Error).message));
    await failsWith(doc({}, { roles: ['SUPERUSER'] }), /serviceAccounts\[svc-my-service\]\.roles: unknown role "SUPERUSER"/);
    await failsWith(doc({}, { permissions: ['users.destroy'] }), /serviceAccounts\[svc-my-service\]\.permissions: unknown permission "users.destroy"/);
    await failsWith(doc({}, { groups: ['finance'] }), /serviceAccounts\[svc-my-service\]\.groups: unknown group "finance"/);
    await failsWith(doc({}, {}, { roles: { OPERATOR: ['client.fly'] } }), /roles\.OPERATOR: unknown permission "client.fly"/);
    await failsWith(doc({}, { clientId: 'ghost' }), /serviceAccounts\[svc-my-service\]\.clientId: unknown client "ghost"/);
    assert.equal(await backend.oauthClients.get('my-service'), null);
    assert.equal(await backend.serviceAccounts.get('svc-my-service'), null);
  });

  it('creates the client with the hashed secret and the service account with its roles resolved', async () => {
    const report = await applySeed(checkSeed(doc()), opts());
    assert.deepEqual(report, {
      created: ['my-service'],
      existing: [],
      accountsCreated: ['svc-my-service'],
      accountsUpdated: [],
      accountsUnchanged: [],
      publicIgnored: ['spa'],
    });
    const c = (await backend.oauthClients.get('my-service'))!;
    assert.equal(c.tenantId, 'kaa');
    assert.equal(c.name, 'Confidential Client: my-service');
    assert.deepEqual(c.scopes, ['read', 'write']);
    assert.equal(c.seeded, true);
    const [s] = await backend.oauthClients.secrets('my-service');
    assert.equal(s!.slot, 'current');
    assert.equal(s!.expiresAt, Date.UTC(2026, 0, 1) + 365 * DAY);
    assert.equal(await argon2.verify(s!.secretHash, 'first-secret-value-0123456789'), true);
    const a = (await backend.serviceAccounts.get('svc-my-service'))!;
    assert.equal(a.tenantId, 'kaa', "the linked client's tenant");
    assert.deepEqual([...a.permissions].sort(), ['client.write', 'tenant:basic-credentials:read', 'users.write']);
    assert.deepEqual(a.roles, ['OPERATOR']);
    assert.equal(a.name, 'svc-my-service');
    assert.equal(await backend.oauthClients.get('spa'), null, 'public clients are not stored');
  });

  it('never updates an existing client, and updates the service account', async () => {
    const before = (await backend.oauthClients.get('my-service'))!;
    const [secretBefore] = await backend.oauthClients.secrets('my-service');
    const report = await applySeed(
      checkSeed(doc({ client_name: 'Renamed', scope: 'admin', access_token_ttl_minutes: 5 }, { description: 'now described', groups: ['dev'], roles: ['USER'] })),
      opts({ env: { MY_SERVICE_CLIENT_SECRET: 'a-different-secret-value' }, now: Date.UTC(2026, 1, 1) }),
    );
    assert.deepEqual(report.created, []);
    assert.deepEqual(report.existing, ['my-service']);
    assert.deepEqual(report.accountsUpdated, ['svc-my-service']);
    assert.deepEqual(await backend.oauthClients.get('my-service'), before);
    assert.deepEqual(await backend.oauthClients.secrets('my-service'), [secretBefore]);
    const a = (await backend.serviceAccounts.get('svc-my-service'))!;
    assert.equal(a.description, 'now described');
    assert.deepEqual(a.groups, ['dev']);
    assert.deepEqual([...a.permissions].sort(), [...new Set([...builtInRoles()['USER']!, 'users.write'])].sort());
    // A start-up without changes changes nothing.
    const again = await applySeed(
      checkSeed(doc({}, { description: 'now described', groups: ['dev'], roles: ['USER'] })),
      opts({ env: {} }),
    );
    assert.deepEqual(again.accountsUnchanged, ['svc-my-service']);
  });

  it('completes a seeded client whose secret was never written', async () => {
    await backend.oauthClients.create({
      clientId: 'half-made', tenantId: 'kaa', name: 'x', authMethod: 'client_secret_basic', accessTokenTtlMinutes: 30, scopes: [], jwks: null,
      seeded: true, version: 1, createdAt: 1, updatedAt: 1,
    });
    await applySeed(checkSeed({ clients: { confidential: [{ client_id: 'half-made', client_secret_env_var_name: 'HALF' }] } }), opts({ env: { HALF: 'half-made-secret' } }));
    const [s] = await backend.oauthClients.secrets('half-made');
    assert.equal(await argon2.verify(s!.secretHash, 'half-made-secret'), true);
  });
});
