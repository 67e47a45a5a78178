/**
 * 1/KP resource paths (kaa-rfcs 0001, shared spec section 1): what a topic names, and the topics
 * the answers go to. Pure functions, shared by MQTT and the HTTP binding.
 *
 *   kp1/<appversion>/<extension>/[<token>/]<path>[/<requestId>]
 *
 * Whether the token level is there depends on the extension (endpoint-aware or not), which is
 * configuration, so the parser is given that answer. A last level that is a positive integer is a
 * request id and never part of the path.
 */

/** Application version and extension instance names: they become NATS subject tokens. */
const NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** Kaa concepts: a token is non-empty, without `+ # / .`; we also refuse spaces and controls. */
const TOKEN = /^[^\s+#/.\u0000-\u001f\u007f]{1,512}$/;
const REQUEST_ID = /^[1-9][0-9]{0,9}$/;
const INT32_MAX = 2_147_483_647;

export interface Kp1Request {
  readonly appVersion: string;
  readonly extension: string;
  /** Present for endpoint-aware extensions. */
  readonly token: string | undefined;
  /** The extension-specific path with a leading `/` (`/json`), or '' when there is none. */
  readonly resourcePath: string;
  readonly requestId: number | null;
}

export type Kp1Parse =
  | { readonly ok: true; readonly request: Kp1Request }
  /** `not-kp1`: outside `kp1/`; `bad-name`: app version or extension unusable; `no-token`:
   *  an endpoint-aware extension without a valid token level; `bad-request-id`: too large. */
  | { readonly ok: false; readonly problem: 'not-kp1' | 'bad-name' | 'no-token' | 'bad-request-id'; readonly detail: string };

/**
 * Parses a 1/KP topic (or HTTP path without its leading `/`). `endpointAware` answers for the
 * extension named in the topic; an unknown extension is the caller's business (it still parses,
 * as endpoint-unaware when `endpointAware` says false).
 */
export function parseKp1(topic: string, endpointAware: (extension: string) => boolean): Kp1Parse {
  const levels = topic.split('/');
  if (levels[0] !== 'kp1' || levels.length < 3) return { ok: false, problem: 'not-kp1', detail: 'the topic must start with kp1/<appversion>/<extension>' };
  const appVersion = levels[1]!;
  const extension = levels[2]!;
  if (!NAME.test(appVersion)) return { ok: false, problem: 'bad-name', detail: 'the application version must be 1 to 128 of A-Z a-z 0-9 _ -' };
  if (!NAME.test(extension)) return { ok: false, problem: 'bad-name', detail: 'the extension instance name must be 1 to 128 of A-Z a-z 0-9 _ -' };
  let rest = levels.slice(3);
  let token: string | undefined;
  if (endpointAware(extension)) {
    token = rest[0];
    if (token === undefined || !TOKEN.test(token)) {
      return { ok: false, problem: 'no-token', detail: `extension ${extension} is endpoint-aware: the level after it must be an endpoint token` };
    }
    rest = rest.slice(1);
  }
  let requestId: number | null = null;
  const last = rest[rest.length - 1];
  if (last !== undefined && /^[0-9]+$/.test(last) && last !== '0' && !last.startsWith('0')) {
    const n = REQUEST_ID.test(last) ? Number(last) : Infinity;
    if (n > INT32_MAX) return { ok: false, problem: 'bad-request-id', detail: `request id ${last.slice(0, 20)} is larger than ${INT32_MAX}` };
    requestId = n;
    rest = rest.slice(0, -1);
  }
  return { ok: true, request: { appVersion, extension, token, resourcePath: rest.length === 0 ? '' : `/${rest.join('/')}`, requestId } };
}

/** Where the answer to a request published on `topic` goes. */
export function responseTopic(topic: string, isError: boolean): string {
  return `${topic}/${isError ? 'error' : 'status'}`;
}

/** Where a push without a request id goes: the resource topic plus `/status`. */
export function pushTopic(appVersion: string, extension: string, token: string | undefined, resourcePath: string): string {
  const base = token === undefined ? `kp1/${appVersion}/${extension}` : `kp1/${appVersion}/${extension}/${token}`;
  return `${base}${resourcePath}/status`;
}

/** The MQTT error payload of 1/KP (`0001-error-response.schema.json`). */
export function errorPayload(statusCode: number, reasonPhrase: string): string {
  return JSON.stringify({ statusCode, reasonPhrase });
}

/**
 * Which subscriptions a client may make: only response topics under `kp1/` (KPC relays, it is not
 * a broker). A filter qualifies when it starts with `kp1/` and ends in `status`, `error`, `+` or
 * `#` (`kp1/app-v1/dcx/tok/json/#` covers both answers).
 */
export function isResponseFilter(filter: string): boolean {
  if (!filter.startsWith('kp1/')) return false;
  const last = filter.slice(filter.lastIndexOf('/') + 1);
  return last === 'status' || last === 'error' || last === '+' || last === '#';
}

/** MQTT topic filter matching (`+` one level, `#` the rest, including the parent level). */
export function matchesFilter(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
