/**
 * The oidc-provider peer: panva's oidc-provider (npm) in a child `node` process running
 * oidc-provider-server.js, configured with the bench's client and fleetgate's token profile
 * (client_credentials, client_secret_basic, ES256 JWT access tokens, same audience, TTL and
 * claims), listening on a loopback port it picks itself and reports over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { BenchCodes, BenchError } from '../errors.js';
import type { FromOidcChild, OidcTokenProfile, ToOidcChild } from './oidc-provider-messages.js';
import type { Peer, PeerDefinition, PeerOptions, PeerStartInfo } from './peer.js';
import { TailBuffer, stopIpcChild } from './process.js';

const SERVER = new URL('./oidc-provider-server.js', import.meta.url);
const START_TIMEOUT_MS = 15_000;

/** The token both sides issue in the `token` bench: fleetgate's client is registered with it too. */
export const BENCH_TOKEN_PROFILE: OidcTokenProfile = {
  scopes: ['telemetry.read', 'telemetry.write', 'devices.read'],
  audience: 'fleetgate',
  accessTokenTtlSeconds: 1800,
  extraClaims: { tenant: 'bench', roles: [], permissions: [], groups: [] },
};

export const oidcProviderPeer: PeerDefinition = {
  name: 'oidc-provider',
  kind: 'http',
  description: 'oidc-provider (npm, panva): OAuth 2.0 client_credentials with JWT access tokens, in its own node process',
  unavailableReason() {
    try {
      // Resolved, not imported: importing it here would print its runtime warning in this process.
      import.meta.resolve('oidc-provider');
      return Promise.resolve(undefined);
    } catch {
      return Promise.resolve('the npm package oidc-provider is not installed (npm install --save-dev oidc-provider)');
    }
  },
  create: (options) => new OidcProviderPeer(options),
};

class OidcProviderPeer implements Peer {
  readonly name = 'oidc-provider' as const;
  readonly #options: PeerOptions;
  #child: ChildProcess | undefined;

  constructor(options: PeerOptions) {
    this.#options = options;
  }

  async start(): Promise<PeerStartInfo> {
    const stderr = new TailBuffer();
    // NODE_ENV=production: oidc-provider's own setting for a deployment (no development
    // pretty-printing or extra checks), so the peer is measured as it is run.
    const child = fork(SERVER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json', env: { ...process.env, NODE_ENV: 'production' } });
    this.#child = child;
    child.stderr?.on('data', (d: Buffer) => stderr.push(d));
    const listening = await new Promise<{ port: number; tokenPath: string }>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        this.#options.log?.(`oidc-provider stderr: ${stderr.text}`);
        reject(new BenchError(BenchCodes.PEER_START_FAILED, `oidc-provider did not start: ${why}`));
      };
      const timer = setTimeout(() => fail(`no answer within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      child.once('error', (err) => fail(err.message));
      child.once('exit', (code) => fail(`exited with code ${code}: ${stderr.text}`));
      child.on('message', (m: FromOidcChild) => {
        if (m.type === 'listening') {
          clearTimeout(timer);
          resolve(m);
        } else fail(m.message);
      });
      const config: ToOidcChild = { type: 'config', credentials: this.#options.credentials, profile: BENCH_TOKEN_PROFILE };
      child.send(config);
    });
    child.removeAllListeners('exit');
    return {
      target: `http://127.0.0.1:${listening.port}${listening.tokenPath}`,
      ...(child.pid === undefined ? {} : { pid: child.pid }),
    };
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child !== undefined) await stopIpcChild(child);
  }
}
