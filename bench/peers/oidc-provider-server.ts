/**
 * The oidc-provider peer's server process (run by oidc-provider.ts with `node`, never
 * imported): panva's oidc-provider on a loopback port, configured to issue what fleetgate
 * issues: the client_credentials grant only, the bench's clients with client_secret_basic,
 * JWT access tokens (RFC 9068, `typ: at+jwt`) signed ES256, one audience, the same TTL and the
 * same extra claims. Its own process so that its CPU and memory are sampled apart from the
 * load generator.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { Provider } from 'oidc-provider';
import type { FromOidcChild, OidcConfigMessage, ToOidcChild } from './oidc-provider-messages.js';

const TOKEN_PATH = '/oauth2/token';
/** A resource indicator is how oidc-provider chooses JWT over opaque tokens; clients send none,
 *  this one is applied (RFC 8707). */
const RESOURCE = 'urn:fleetgate:bench';

const send = (m: FromOidcChild): void => {
  process.send?.(m);
};

async function serve(cfg: OidcConfigMessage): Promise<() => Promise<void>> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench-es256' };
  const scope = cfg.profile.scopes.join(' ');
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  const provider = new Provider(`http://127.0.0.1:${addr.port}`, {
    clients: cfg.credentials.map((c) => ({
      client_id: c.username,
      client_secret: c.password,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope,
    })),
    // The only key is ES256: the clients' default signing algorithm must be it too.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    jwks: { keys: [jwk] },
    scopes: [...cfg.profile.scopes],
    routes: { token: TOKEN_PATH, jwks: '/oauth2/jwks' },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope,
          audience: cfg.profile.audience,
          accessTokenTTL: cfg.profile.accessTokenTtlSeconds,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    extraTokenClaims: () => ({ ...cfg.profile.extraClaims }),
  });
  // Koa would print every 4xx/5xx stack; a refused token is an expected answer in a bench.
  provider.on('server_error', (_ctx: unknown, err: Error) => process.stderr.write(`oidc-provider server_error: ${err.message}\n`));
  handler = provider.callback();
  send({ type: 'listening', port: addr.port, tokenPath: TOKEN_PATH });
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

let close: (() => Promise<void>) | undefined;

process.on('message', (m: ToOidcChild) => {
  if (m.type === 'config') {
    serve(m).then(
      (c) => (close = c),
      (err: unknown) => {
        send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  } else {
    setTimeout(() => process.exit(0), 2000).unref();
    void (close?.() ?? Promise.resolve()).then(() => process.exit(0));
  }
});

// The launcher's death closes the IPC channel: do not outlive it.
process.on('disconnect', () => process.exit(0));
