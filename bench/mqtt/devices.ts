/**
 * The devices of the MQTT scenarios and how fleetgate learns about them: basic credentials
 * `device-<i>@bench` sharing one password made for this bench invocation (never written to a
 * log or to the result), endpoint tokens chosen here so that a peer sees the very same topics,
 * provisioning through the REST API, and the warm-up that puts every credential in
 * fleetgate's verified-secret cache before a measured storm.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BenchError } from '../errors.js';
import type { Credential } from '../peers/peer.js';
import { AnswerError, callApi, type RestClient } from '../scenarios/credentials-rest.js';
import { LeanConnection, refusal } from './lean.js';

/** One password for every device of this invocation: fleetgate and the peer accept the same. */
export const DEVICE_PASSWORD = randomBytes(18).toString('base64url');

/** The application version of the bench's 1/KP topics: application `bench`. */
export const APP_VERSION = 'bench-v1';
export const APPLICATION = 'bench';

export interface DeviceCredentials {
  /** MQTT usernames, `<name>@<tenant>`. */
  readonly usernames: readonly string[];
  /** Undefined: connect without username and password (an anonymous `--target`). */
  readonly password: string | undefined;
}

export function deviceUsernames(count: number, tenant: string, prefix = 'device'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}@${tenant}`);
}

/** The peer's credentials: the same usernames and password as fleetgate's devices. */
export function peerCredentials(usernames: readonly string[]): Credential[] {
  return usernames.map((username) => ({ username, password: DEVICE_PASSWORD }));
}

/** The first line of a password file (`--password-file`), so no password sits in argv. */
export async function readPasswordFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line === '') throw new BenchError('ERR_BENCH_PASSWORD_FILE', `${path}: the first line is empty`);
  return line;
}

/** The 1/KP data-collection topic of a token (no request id: no answer is published). */
export function dcxTopic(token: string): string {
  return `kp1/${APP_VERSION}/dcx/${token}/json`;
}

/** A random endpoint token (URL-safe, no MQTT wildcard or level separator). */
export function newToken(): string {
  return randomBytes(15).toString('base64url');
}

/** Runs `fn` over `items` with at most `limit` calls at once; rejects with the first failure. */
export async function inBatches<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** Creates basic credentials `<name>` (the part before '@' of each username); returns their ids. */
export async function provisionCredentials(rest: RestClient, usernames: readonly string[], password: string): Promise<string[]> {
  return inBatches(usernames, 8, async (u) => {
    const username = u.slice(0, u.lastIndexOf('@'));
    const a = await callApi(rest, 'POST', '/api/v1/basic-credentials', { username, password });
    if (a.status !== 201) throw new AnswerError(`POST basic-credentials ${username}`, a);
    return (a.body as { id: string }).id;
  });
}

export interface ProvisionedToken {
  readonly token: string;
  readonly endpointTokenId: string;
  readonly endpointId: string;
}

/** Provisions the given tokens for endpoints `ep-<i>` of application `bench`, all in one bulk call. */
export async function provisionTokens(rest: RestClient, tokens: readonly string[], endpointPrefix = 'ep'): Promise<ProvisionedToken[]> {
  const items = tokens.map((token, i) => ({ endpointId: `${endpointPrefix}-${i}`, applicationName: APPLICATION, token }));
  const a = await callApi(rest, 'POST', '/api/v1/endpoint-tokens/bulk', { items });
  if (a.status !== 201) throw new AnswerError('POST endpoint-tokens/bulk', a);
  return (a.body as { items: ProvisionedToken[] }).items.map((t) => ({ token: t.token, endpointTokenId: t.endpointTokenId, endpointId: t.endpointId }));
}

export interface WarmOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly protocolVersion: 4 | 5;
  readonly credentials: DeviceCredentials;
  readonly clientIdPrefix: string;
}

/**
 * Connects once with every credential and disconnects: the first use of a credential (argon2id
 * verification, Inactive -> Active) is not what a storm of cached credentials measures.
 * A refusal here is a set-up failure (wrong password, broker not ready), thrown.
 */
export async function warmCredentials(o: WarmOptions): Promise<void> {
  await inBatches(o.credentials.usernames, 16, async (username, i) => {
    const c = new LeanConnection({
      host: o.host,
      port: o.port,
      ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
      clientId: `${o.clientIdPrefix}-warm-${i}`,
      ...(o.credentials.password === undefined ? {} : { username, password: o.credentials.password }),
      protocolVersion: o.protocolVersion,
      keepaliveSec: 60,
      connectTimeoutMs: 30_000,
    });
    const code = await c.connect();
    c.disconnect();
    if (code !== 0) throw new BenchError('ERR_BENCH_WARMUP_REFUSED', `warm-up connect as ${username} refused: ${refusal(code, o.protocolVersion)}`);
  });
}
