/**
 * Every setting fleetgate reads, declared once. The YAML file uses the dotted keys as nested
 * maps (`runtime: { shards: 2 }`); the environment variable, when given, wins over the file.
 */
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { bool, int, oneOf, optionalStr, port, str, type ConfigOf, type Schema, type Setting } from './schema.js';

/** One tenant's external token issuer (`auth.tenants`). */
export interface TenantIssuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Required `aud`; null: the built-in audience. */
  readonly audience: string | null;
  /** The claim that names the tenant in this issuer's tokens. */
  readonly tenantClaim: string;
}

const HTTP_URL = /^https?:\/\/[^\s]{1,2040}$/;
const TENANT_KEY = /^[A-Za-z0-9._~-]{1,128}$/;
const CLAIM_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A map tenantId -> TenantIssuer, strict: unknown fields, bad URLs and more than 1000 tenants
 *  are refused. YAML gives the map itself; the environment gives it as JSON. */
function tenantIssuers(o: { env: string; doc: string }): Setting<Readonly<Record<string, TenantIssuer>>> {
  const entry = (v: unknown): TenantIssuer | undefined => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const e = v as Record<string, unknown>;
    if (Object.keys(e).some((k) => !['issuer', 'jwksUrl', 'audience', 'tenantClaim'].includes(k))) return undefined;
    const { issuer, jwksUrl, audience = null, tenantClaim = 'tenant' } = e;
    if (typeof issuer !== 'string' || !HTTP_URL.test(issuer) || typeof jwksUrl !== 'string' || !HTTP_URL.test(jwksUrl)) return undefined;
    if (audience !== null && (typeof audience !== 'string' || audience.length === 0 || audience.length > 256)) return undefined;
    if (typeof tenantClaim !== 'string' || !CLAIM_NAME.test(tenantClaim)) return undefined;
    return { issuer, jwksUrl, audience, tenantClaim };
  };
  return {
    ...o,
    default: {},
    rule: 'a map of at most 1000 tenant ids to { issuer: http(s) URL, jwksUrl: http(s) URL, audience?: string, tenantClaim?: claim name } with no other fields',
    parse(raw) {
      let v = raw;
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          return undefined;
        }
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length > 1000) return undefined;
      const out: Record<string, TenantIssuer> = {};
      for (const [tenant, e] of Object.entries(v as Record<string, unknown>)) {
        const parsed = entry(e);
        if (!TENANT_KEY.test(tenant) || parsed === undefined) return undefined;
        out[tenant] = parsed;
      }
      return out;
    },
  };
}

/** ISO 8601 durations as java.time.Duration reads them (PnDTnHnMn.nS). */
const ISO_DURATION = /^P(?=\d|T\d)(?:\d{1,6}D)?(?:T(?=\d)(?:\d{1,9}H)?(?:\d{1,9}M)?(?:\d{1,12}(?:\.\d{1,3})?S)?)?$/i;

export const settings = {
  'log.level': oneOf({
    env: 'FLEETGATE_LOG_LEVEL',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Lowest level written to the JSON log',
  }),
  dataDir: str({ env: 'FLEETGATE_DATA_DIR', default: './data', doc: 'Directory of the embedded database and other local data' }),
  'listen.host': str({ env: 'FLEETGATE_HOST', default: '0.0.0.0', doc: 'Address every listener binds to' }),
  'management.port': port({ env: 'FLEETGATE_MGMT_PORT', default: 9090, doc: 'Port of GET /health and GET /metrics' }),

  'runtime.shards': int({ env: 'FLEETGATE_SHARDS', min: 1, max: 256, default: () => availableParallelism(), doc: 'Shard worker threads' }),
  'runtime.mailboxCapacity': int({ min: 1, max: 1_000_000, default: 1024, doc: 'Messages an actor mailbox holds before it answers busy' }),
  'runtime.idlePassivationMs': int({ min: 1000, default: 300_000, doc: 'Idle time after which an actor is passivated' }),
  'runtime.askTimeoutMs': int({ min: 1, max: 600_000, default: 5000, doc: 'Default deadline of an ask' }),
  'runtime.maxBatch': int({ min: 1, max: 65_536, default: 4096, doc: 'Messages per cross-thread batch before a flush is forced' }),
  'runtime.turnBudget': int({ min: 1, max: 1_000_000, default: 8192, doc: 'Messages a shard handles before yielding to I/O' }),
  'runtime.drainTimeoutMs': int({ min: 0, max: 600_000, default: 10_000, doc: 'How long shutdown waits for mailboxes to drain' }),

  'hashing.threads': int({ env: 'FLEETGATE_HASHING_THREADS', min: 1, max: 256, default: () => availableParallelism(), doc: 'Threads of the hashing pool' }),
  'hashing.maxQueue': int({ min: 1, max: 1_000_000, default: 4096, doc: 'Hashing tasks that may wait before callers get busy' }),
  'hashing.memoryCost': int({ min: 1024, max: 4_194_304, default: 19_456, doc: 'argon2id memory in KiB' }),
  'hashing.timeCost': int({ min: 1, max: 100, default: 2, doc: 'argon2id iterations' }),
  'hashing.parallelism': int({ min: 1, max: 64, default: 1, doc: 'argon2id lanes' }),

  'http.port': port({ env: 'FLEETGATE_HTTP_PORT', default: 8080, doc: 'Port of the REST APIs, OAuth endpoints, 1/KP over HTTP and MQTT over WebSocket' }),
  'http.maxBodyBytes': int({ min: 1024, max: 64 * 1024 * 1024, default: 1024 * 1024, doc: 'Largest request body accepted, except bulk provisioning' }),
  'http.bulkMaxBodyBytes': int({ min: 1024, max: 256 * 1024 * 1024, default: 16 * 1024 * 1024, doc: 'Largest bulk provisioning body' }),

  'api.auth': oneOf({
    env: 'FLEETGATE_API_AUTH',
    default: 'bearer',
    values: ['bearer', 'trusted-header'],
    doc: 'How admin REST calls are authenticated. bearer: an OAuth 2.0 access token (RFC 6750) of the built-in issuer or of a tenant\'s configured issuer; trusted-header: behind a gateway that authenticates the caller and sets X-Fleetgate-Tenant and X-Fleetgate-Scopes',
  }),
  'auth.admin.bootstrap': bool({ default: true, doc: 'On a start that finds no admin client, create it (its secret printed once to stdout unless given)' }),
  'auth.admin.clientId': str({ env: 'FLEETGATE_ADMIN_CLIENT_ID', default: 'fleetgate-admin', pattern: /^[A-Za-z0-9._~-]{1,128}$/, patternText: '1 to 128 characters of A-Z a-z 0-9 . _ ~ -', doc: 'Client id of the bootstrap admin client' }),
  'auth.admin.clientSecret': optionalStr({ env: 'FLEETGATE_ADMIN_CLIENT_SECRET', secret: true, pattern: /^[\x21-\x7e]{16,512}$/, patternText: '16 to 512 printable ASCII characters', doc: 'Secret of the bootstrap admin client when it is created (default: generated and printed once)' }),
  'auth.tenants': tenantIssuers({ env: 'FLEETGATE_AUTH_TENANTS', doc: 'External issuers per tenant: tenantId -> { issuer, jwksUrl, audience?, tenantClaim? } (a JSON object in the environment variable)' }),
  'auth.tenantManager.url': optionalStr({ env: 'FLEETGATE_TENANT_MANAGER_URL', pattern: /^https?:\/\/[^\s]+$/, patternText: 'an http:// or https:// URL', doc: 'Base URL of the Tenant Manager; a tenant\'s issuer is read from GET <url>/api/v1/tenants/{tenantId}' }),
  'auth.tenantManager.token': optionalStr({ env: 'FLEETGATE_TENANT_MANAGER_TOKEN', secret: true, doc: 'Bearer token sent to the Tenant Manager, if it wants one' }),
  'auth.tenantManager.cacheTtlMs': int({ min: 1000, max: 86_400_000, default: 60_000, doc: 'How long a Tenant Manager answer is used before it is asked again (a stale answer serves while it is down)' }),
  'auth.tenantManager.timeoutMs': int({ min: 100, max: 60_000, default: 2000, doc: 'Deadline of one Tenant Manager request' }),
  'auth.tenantManager.tenantClaim': str({ default: 'tenant', pattern: /^[A-Za-z0-9_.:-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ . : -', doc: 'Claim naming the tenant in tokens of issuers known from the Tenant Manager' }),
  'auth.tenantManager.audience': optionalStr({ doc: 'Audience required in tokens of issuers known from the Tenant Manager (default: the built-in audience)' }),
  'http.trustedProxies': str({
    env: 'FLEETGATE_TRUSTED_PROXIES',
    default: '127.0.0.1,::1',
    doc: 'Comma-separated addresses or CIDR blocks of the gateways whose X-Forwarded-* and X-Fleetgate-* headers are believed',
  }),
  'service.replicaId': str({
    env: 'FLEETGATE_REPLICA_ID',
    default: () => randomBytes(8).toString('hex'),
    pattern: /^[A-Za-z0-9_-]{1,64}$/,
    patternText: '1 to 64 characters of A-Z a-z 0-9 _ -',
    doc: 'This replica in 3/ISM replica subjects and event originatorReplicaId (random by default)',
  }),
  'ccm.instanceName': str({ default: 'ccm', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the client credential service on the bus' }),
  'cm.instanceName': str({ default: 'cm', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the endpoint token service on the bus' }),
  'kpc.instanceName': str({ default: 'kpc', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the front door (KPC) on the bus: extensions answer to kaa.v1.service.<name>.esp.ExtensionData' }),
  'kpc.configFile': optionalStr({ env: 'FLEETGATE_KPC_CONFIG', doc: 'YAML file of application versions, extensions and per-tenant authentication policy (re-read when it changes, and on SIGHUP)' }),
  'kpc.configPollMs': int({ env: 'FLEETGATE_KPC_CONFIG_POLL_MS', min: 100, max: 86_400_000, default: 1000, doc: 'How often each shard looks for a change of kpc.configFile (SIGHUP re-reads it at once)' }),
  'kpc.credentials': oneOf({ default: 'local', values: ['local', 'bus'], doc: 'Authenticate clients and tokens with the credential services of this process (local) or over the bus with 22/CAP and 16/ECAP (bus)' }),
  'kpc.requestTimeoutMs': int({ min: 100, max: 600_000, default: 10_000, doc: 'How long an HTTP 1/KP request waits for the extension, and a bus authentication for its answer' }),
  'kpc.tokenRecheckMs': int({ min: 1000, default: 300_000, doc: 'Age after which a session validates a cached endpoint token again (revocation events end sessions at once regardless)' }),
  'kpc.maxTokensPerSession': int({ min: 1, max: 100_000, default: 1000, doc: 'Endpoint tokens one session (a gateway) may carry' }),
  'kpc.x509.identity': oneOf({ default: 'subject', values: ['subject', 'cap'], doc: 'Who a verified client certificate belongs to: its subject (the tenant in kpc.x509.tenantAttribute, the credential id its SHA-256 fingerprint), or the credential service over 22/CAP certificate-request' }),
  'kpc.x509.tenantAttribute': str({ default: 'O', pattern: /^[A-Za-z]{1,16}$/, patternText: 'a DN attribute name such as O or OU', doc: 'Subject attribute that names the tenant when kpc.x509.identity is subject' }),
  'kpc.maxSessions': int({ min: 1, max: 10_000_000, default: 1_000_000, doc: 'MQTT connections this instance accepts before refusing with server busy (an equal share per accepting thread)' }),
  'mqtt.tcp.enabled': bool({ env: 'FLEETGATE_MQTT_ENABLED', default: true, doc: 'Plain MQTT over TCP' }),
  'mqtt.tcp.port': port({ env: 'FLEETGATE_MQTT_PORT', default: 1883, doc: 'Port of plain MQTT' }),
  'mqtt.tls.port': port({ env: 'FLEETGATE_MQTTS_PORT', default: 8883, doc: 'Port of MQTT over TLS (served when a certificate is configured)' }),
  'mqtt.tls.certFile': optionalStr({ env: 'FLEETGATE_MQTTS_CERT', doc: 'PEM server certificate (chain) of MQTT over TLS; also served at GET /kpc/api/v1/server-certificate' }),
  'mqtt.tls.keyFile': optionalStr({ env: 'FLEETGATE_MQTTS_KEY', secret: true, doc: 'PEM private key of the MQTT over TLS certificate' }),
  'mqtt.tls.caFile': optionalStr({ env: 'FLEETGATE_MQTTS_CA', doc: 'PEM CA bundle for client certificates; when set, clients are asked for one (X.509 authentication)' }),
  'mqtt.sharedAccept': bool({ env: 'FLEETGATE_MQTT_SHARED_ACCEPT', default: true, doc: 'Every shard accepts MQTT over TCP and TLS on the shared ports (SO_REUSEPORT: Node 22.12+, or the native helper the build makes); off, shard 0 accepts them alone' }),
  'mqtt.ws.enabled': bool({ default: true, doc: 'MQTT over WebSocket on the HTTP port' }),
  'mqtt.ws.path': str({ default: '/mqtt', pattern: /^\/[A-Za-z0-9._~\/-]{0,127}$/, patternText: 'an absolute path', doc: 'Path of MQTT over WebSocket' }),
  'mqtt.maxPacketBytes': int({ min: 128, max: 268_435_455, default: 1024 * 1024, doc: 'Largest MQTT packet accepted' }),
  'mqtt.connectTimeoutMs': int({ min: 100, max: 3_600_000, default: 10_000, doc: 'Time a new connection has to send CONNECT' }),
  'mqtt.receiveMaximum': int({ min: 1, max: 65_535, default: 32, doc: 'QoS 1 and 2 publishes a client may have unacknowledged (inflight window)' }),

  'bus.kind': oneOf({ env: 'FLEETGATE_BUS', default: 'inprocess', values: ['inprocess', 'nats'], doc: 'In-process bus (one node) or NATS (replicas)' }),
  'bus.nats.servers': str({ env: 'FLEETGATE_NATS_SERVERS', default: 'nats://127.0.0.1:4222', doc: 'Comma-separated NATS server URLs' }),

  'storage.clientCredentials': oneOf({ env: 'FLEETGATE_CCM_STORAGE', default: 'embedded', values: ['embedded', 'postgres', 'mariadb'], doc: 'Where client credentials live' }),
  'storage.endpointTokens': oneOf({ env: 'FLEETGATE_CM_STORAGE', default: 'embedded', values: ['embedded', 'postgres', 'mariadb'], doc: 'Where endpoint tokens live' }),
  'storage.oauth': oneOf({ env: 'FLEETGATE_OAUTH_STORAGE', default: 'embedded', values: ['embedded', 'postgres', 'mariadb'], doc: 'Where OAuth clients, service accounts, signing keys and revoked tokens live' }),
  'storage.postgres.url': optionalStr({ env: 'FLEETGATE_POSTGRES_URL', secret: true, pattern: /^postgres(ql)?:\/\//, patternText: 'a postgres:// URL', doc: 'PostgreSQL connection URL' }),
  'storage.mariadb.url': optionalStr({ env: 'FLEETGATE_MARIADB_URL', secret: true, pattern: /^mariadb:\/\//, patternText: 'a mariadb:// URL', doc: 'MariaDB connection URL' }),
  'storage.poolSize': int({ min: 1, max: 1000, default: 10, doc: 'Connections per shard to each database server' }),

  'credentials.tokenPepper': optionalStr({
    env: 'FLEETGATE_TOKEN_PEPPER',
    secret: true,
    pattern: /^.{32,}$/,
    patternText: 'at least 32 characters',
    doc: 'HMAC key of endpoint-token lookups; the same on every replica. Default: generated once into the data directory',
  }),
  'credentials.cache.maxEntries': int({ min: 1, max: 10_000_000, default: 100_000, doc: 'Verified secrets remembered per shard' }),
  'credentials.cache.ttlMs': int({ min: 1000, default: 600_000, doc: 'How long a verified secret is remembered' }),
  'credentials.stateTtlMs': int({ min: 100, default: 30_000, doc: 'Age after which a credential actor reloads its state before deciding' }),
  'credentials.lastUseGranularityMs': int({ min: 0, default: 60_000, doc: 'How often at most lastUseDate is written per credential' }),

  'oauth.issuer': optionalStr({ env: 'FLEETGATE_OAUTH_ISSUER', pattern: /^https?:\/\/[^\s?#]+$/, patternText: 'an http(s) URL without query or fragment', doc: 'Issuer (iss) of the built-in authorization server; unset: derived per request from the Host (and X-Forwarded-Proto/-Host of trusted proxies)' }),
  'oauth.audience': str({ env: 'FLEETGATE_OAUTH_AUDIENCE', default: 'fleetgate', doc: 'Audience (aud) of the access tokens, checked by fleetgate\'s own APIs' }),
  'oauth.signingAlg': oneOf({ env: 'FLEETGATE_OAUTH_SIGNING_ALG', default: 'ES256', values: ['ES256', 'RS256', 'EdDSA'], doc: 'JWS algorithm of the access tokens (a change makes a new signing key at once; keys of the old one stay published for the overlap)' }),
  'oauth.keyEncryptionKey': optionalStr({ env: 'FLEETGATE_OAUTH_KEK', secret: true, pattern: /^[A-Za-z0-9+/]{43}=$/, patternText: 'the base64 of 32 bytes', doc: 'AES-256-GCM key that encrypts the stored private signing keys; the same on every replica. Default: generated once into the data directory' }),
  'oauth.signingKeyRotation': str({ default: 'P30D', pattern: ISO_DURATION, patternText: 'an ISO 8601 duration PnDTnHnMn.nS', doc: 'Age at which the signing key is replaced by a new one' }),
  'oauth.signingKeyOverlap': str({ default: 'P2D', pattern: ISO_DURATION, patternText: 'an ISO 8601 duration PnDTnHnMn.nS', doc: 'How long a replaced signing key stays published; access tokens never live longer than this' }),
  'oauth.keyRefreshMs': int({ min: 100, max: 600_000, default: 5000, doc: 'How often a shard re-reads the signing keys (to see a rotation made by another replica)' }),
  'oauth.clockSkewMs': int({ min: 0, max: 600_000, default: 30_000, doc: 'Clock difference tolerated when checking exp/nbf of access tokens and client assertions' }),
  'oauth.requireHttps': bool({ env: 'FLEETGATE_OAUTH_REQUIRE_HTTPS', default: false, doc: 'Refuse token, introspection and revocation requests that did not arrive over HTTPS (X-Forwarded-Proto of a trusted proxy counts)' }),
  'oauth.rateLimit.maxFailures': int({ min: 1, max: 1_000_000, default: 10, doc: 'Failed client authentications per client id, and per source address, within the window before 429' }),
  'oauth.rateLimit.windowMs': int({ min: 1000, max: 86_400_000, default: 60_000, doc: 'Sliding window of the failed-authentication limit' }),
  'oauth.seedFile': optionalStr({ env: 'FLEETGATE_OAUTH_SEED_FILE', doc: 'YAML or JSON seed of confidential clients (created when missing, never updated) and service accounts (created or updated), applied at every start' }),
  'oauth.defaultTenant': str({ env: 'FLEETGATE_OAUTH_DEFAULT_TENANT', default: 'kaa', pattern: /^[A-Za-z0-9._~-]{1,128}$/, patternText: '1 to 128 characters of A-Z a-z 0-9 . _ ~ -', doc: 'Tenant of seeded clients and service accounts that name none (kaa: the Kaa system tenant)' }),
  'oauth.clientSecret.ttl': str({ env: 'APP_CLIENT_SECRET_TTL', default: 'P365D', pattern: ISO_DURATION, patternText: 'an ISO 8601 duration PnDTnHnMn.nS', doc: 'Lifetime of a client secret before it is refused as expired' }),
  'oauth.clientSecret.previousGraceWindow': str({ env: 'APP_CLIENT_SECRET_PREVIOUS_GRACE_WINDOW', default: 'P7D', pattern: ISO_DURATION, patternText: 'an ISO 8601 duration PnDTnHnMn.nS', doc: 'How long the previous secret stays valid after a rotation' }),
  'oauth.clientSecret.rotationRequiredBeforeExpiry': str({ env: 'APP_CLIENT_SECRET_ROTATION_REQUIRED_BEFORE_EXPIRY', default: 'P28D', pattern: ISO_DURATION, patternText: 'an ISO 8601 duration PnDTnHnMn.nS', doc: 'Lead time before expiry from which GET /clients/{clientId}/secret says rotationRequired: true' }),

  'extensions.echo.enabled': bool({ default: true, doc: 'Run the built-in echo extension (4/ESP), which answers every request with its own payload' }),
  'extensions.echo.instanceName': str({ default: 'echo', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the echo extension on the bus (the extension level of the 1/KP topic)' }),
  'extensions.dcx.enabled': bool({ default: true, doc: 'Run the built-in data-collection extension (2/DCP), which appends samples to <dataDir>/dcx/<appVersionName>.jsonl' }),
  'extensions.dcx.instanceName': str({ default: 'dcx', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the data-collection extension on the bus' }),
  'extensions.dcx.maxPayloadBytes': int({ min: 16, max: 16 * 1024 * 1024, default: 256 * 1024, doc: 'Largest 2/DCP request payload; a larger one is answered 413 and nothing is written' }),
  'extensions.dcx.maxQueueBytes': int({ min: 64 * 1024, max: 1024 * 1024 * 1024, default: 16 * 1024 * 1024, doc: 'JSON-lines bytes a shard holds waiting for (or in) a write; beyond it requests are answered 503 and nothing is written' }),
  'extensions.dcx.maxOpenFiles': int({ min: 1, max: 4096, default: 64, doc: 'Data files a shard keeps open; the least recently used idle one is closed first' }),
  'extensions.dcx.flushDelayMs': int({ min: 0, max: 1000, default: 0, doc: 'How long samples gather before a write (0: the next event-loop turn); one write per file per flush' }),
} satisfies Schema;

export type Settings = typeof settings;
export type Config = ConfigOf<Settings>;
