/**
 * The front door's configuration file (`kpc.configFile`): which application versions exist and
 * which extensions each may reach, which extensions are endpoint-aware, and the per-tenant
 * authentication policy of each MQTT transport. Every instance reads the same file, so a change
 * holds across replicas; each shard re-reads it when it changes (see KpcConfigWatcher), and a
 * policy that becomes stricter ends the sessions that no longer satisfy it.
 *
 *   applications:            # absent: every `<application>-<suffix>` may use every extension
 *     demo-v1: { application: demo, extensions: [dcx, echo] }
 *   extensions:              # default: echo and dcx, both endpoint-aware
 *     dcx: { endpointAware: true }
 *   auth:
 *     default:               # tenants not listed, and clients that name no tenant
 *       tcp: { basic: required }
 *       tls: { basic: optional, x509: optional, anonymous: false }
 *       ws:  { basic: required }
 *     tenants:
 *       acme: { tcp: { basic: optional, anonymous: true } }
 *     x509Issuers:           # SHA-256 fingerprints of the CAs that may vouch for each tenant
 *       acme: [ "3f:a1:...:09" ]
 *
 * A method `required` must succeed; `optional` is checked when presented (a wrong password is
 * refused either way); `off` ignores it. With no method succeeded, `anonymous` decides.
 *
 * x509Issuers: the TLS listener verifies client certificates against one CA bundle, the CAs of
 * every tenant. Without this map any of those CAs may issue a certificate for any tenant, which
 * is right for one tenant or one shared CA only. With it, a certificate counts for a tenant
 * only when its chain runs through one of that tenant's listed CAs, and a tenant not listed
 * has none: one tenant's CA cannot make certificates that speak for another.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FleetgateError } from '../../runtime/index.js';
import type { ListenerKind } from '../../transports/mqtt/index.js';

export type MethodRule = 'required' | 'optional' | 'off';

export interface TransportPolicy {
  readonly basic: MethodRule;
  /** TLS only; `off` elsewhere. */
  readonly x509: MethodRule;
  readonly anonymous: boolean;
}

export interface ExtensionRoute {
  readonly application: string;
  readonly endpointAware: boolean;
}

export const KpcConfigCodes = { INVALID: 'ERR_KPC_CONFIG_INVALID' } as const;

const NAME = /^[A-Za-z0-9_-]{1,128}$/;
const LISTENERS: readonly ListenerKind[] = ['tcp', 'tls', 'ws'];
const RULES: readonly MethodRule[] = ['required', 'optional', 'off'];

const DEFAULT_POLICY: Readonly<Record<ListenerKind, TransportPolicy>> = Object.freeze({
  tcp: { basic: 'required', x509: 'off', anonymous: false },
  tls: { basic: 'optional', x509: 'optional', anonymous: false },
  ws: { basic: 'required', x509: 'off', anonymous: false },
});

interface AppEntry {
  application: string;
  extensions: ReadonlySet<string> | undefined;
}

export class KpcConfig {
  readonly #apps: ReadonlyMap<string, AppEntry> | undefined;
  readonly #extensions: ReadonlyMap<string, { endpointAware: boolean }>;
  readonly #defaultPolicy: Readonly<Record<ListenerKind, TransportPolicy>>;
  readonly #tenants: ReadonlyMap<string, Readonly<Record<ListenerKind, TransportPolicy>>>;
  /** undefined: no binding, every CA of the bundle may vouch for every tenant. */
  readonly #issuers: ReadonlyMap<string, ReadonlySet<string>> | undefined;

  private constructor(
    apps: ReadonlyMap<string, AppEntry> | undefined,
    extensions: ReadonlyMap<string, { endpointAware: boolean }>,
    defaultPolicy: Readonly<Record<ListenerKind, TransportPolicy>>,
    tenants: ReadonlyMap<string, Readonly<Record<ListenerKind, TransportPolicy>>>,
    issuers: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  ) {
    this.#apps = apps;
    this.#extensions = extensions;
    this.#defaultPolicy = defaultPolicy;
    this.#tenants = tenants;
    this.#issuers = issuers;
  }

  static defaults(): KpcConfig {
    return KpcConfig.fromObject({});
  }

  /** Reads and validates the file; every problem at once in one ERR_KPC_CONFIG_INVALID. */
  static load(path: string): KpcConfig {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new FleetgateError(KpcConfigCodes.INVALID, `cannot read the KPC configuration ${path}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text) ?? {};
    } catch (err) {
      throw new FleetgateError(KpcConfigCodes.INVALID, `${path} is not valid YAML: ${(err as Error).message}`);
    }
    return KpcConfig.fromObject(doc, path);
  }

  static fromObject(doc: unknown, source = 'KPC configuration'): KpcConfig {
    const problems: string[] = [];
    const root = record(doc, source, problems) ?? {};
    unknownKeys(root, ['applications', 'extensions', 'auth'], source, problems);

    const extensions = new Map<string, { endpointAware: boolean }>();
    const extDoc = root.extensions === undefined ? { echo: { endpointAware: true }, dcx: { endpointAware: true } } : record(root.extensions, `${source}: extensions`, problems) ?? {};
    for (const [name, v] of Object.entries(extDoc)) {
      const where = `${source}: extensions.${name}`;
      if (!NAME.test(name)) problems.push(`${where}: an extension instance name is 1 to 128 of A-Z a-z 0-9 _ -`);
      const e = record(v ?? {}, where, problems) ?? {};
      unknownKeys(e, ['endpointAware'], where, problems);
      const aware = e.endpointAware ?? true;
      if (typeof aware !== 'boolean') problems.push(`${where}.endpointAware must be true or false`);
      extensions.set(name, { endpointAware: aware === true });
    }

    let apps: Map<string, AppEntry> | undefined;
    if (root.applications !== undefined) {
      apps = new Map();
      const appDoc = record(root.applications, `${source}: applications`, problems) ?? {};
      for (const [appVersion, v] of Object.entries(appDoc)) {
        const where = `${source}: applications.${appVersion}`;
        if (!NAME.test(appVersion)) problems.push(`${where}: an application version is 1 to 128 of A-Z a-z 0-9 _ -`);
        const a = record(v ?? {}, where, problems) ?? {};
        unknownKeys(a, ['application', 'extensions'], where, problems);
        const application = a.application ?? applicationOf(appVersion);
        if (typeof application !== 'string' || !NAME.test(application)) problems.push(`${where}.application must be 1 to 128 of A-Z a-z 0-9 _ -`);
        let allowed: Set<string> | undefined;
        if (a.extensions !== undefined) {
          if (!Array.isArray(a.extensions)) problems.push(`${where}.extensions must be a list of extension instance names`);
          else {
            allowed = new Set();
            for (const x of a.extensions) {
              if (typeof x !== 'string' || !extensions.has(x)) problems.push(`${where}.extensions: ${JSON.stringify(x)} is not an extension listed under extensions`);
              else allowed.add(x);
            }
          }
        }
        apps.set(appVersion, { application: String(application), extensions: allowed });
      }
    }

    const auth = record(root.auth ?? {}, `${source}: auth`, problems) ?? {};
    unknownKeys(auth, ['default', 'tenants', 'x509Issuers'], `${source}: auth`, problems);
    const defaultPolicy = policies(auth.default, DEFAULT_POLICY, `${source}: auth.default`, problems);
    const tenants = new Map<string, Readonly<Record<ListenerKind, TransportPolicy>>>();
    for (const [tenant, v] of Object.entries(record(auth.tenants ?? {}, `${source}: auth.tenants`, problems) ?? {})) {
      if (!/^[A-Za-z0-9._~-]{1,128}$/.test(tenant)) problems.push(`${source}: auth.tenants.${tenant}: not a tenant id`);
      tenants.set(tenant, policies(v, defaultPolicy, `${source}: auth.tenants.${tenant}`, problems));
    }
    const issuers = auth.x509Issuers === undefined ? undefined : issuerMap(auth.x509Issuers, `${source}: auth.x509Issuers`, problems);
    if (problems.length > 0) {
      throw new FleetgateError(KpcConfigCodes.INVALID, `${problems.length} problem(s) in ${source}:\n  ${problems.join('\n  ')}`, { data: { problems } });
    }
    return new KpcConfig(apps, extensions, defaultPolicy, tenants, issuers);
  }

  /** Whether a certificate verified through the CAs `caFingerprints` (tls.ts: normalised) may
   *  speak for `tenantId` (auth.x509Issuers). */
  issuerAllowed(tenantId: string, caFingerprints: readonly string[]): boolean {
    if (this.#issuers === undefined) return true;
    const own = this.#issuers.get(tenantId);
    return own !== undefined && caFingerprints.some((f) => own.has(f));
  }

  /** Where traffic for `extension` of `appVersion` may go, or a reason it may not. */
  route(appVersion: string, extension: string): ExtensionRoute | { refused: string } {
    const ext = this.#extensions.get(extension);
    if (ext === undefined) return { refused: `unknown extension ${extension}` };
    if (this.#apps === undefined) return { application: applicationOf(appVersion), endpointAware: ext.endpointAware };
    const app = this.#apps.get(appVersion);
    if (app === undefined) return { refused: `unknown application version ${appVersion}` };
    if (app.extensions !== undefined && !app.extensions.has(extension)) return { refused: `extension ${extension} is not allowed for ${appVersion}` };
    return { application: app.application, endpointAware: ext.endpointAware };
  }

  /** For the topic parser: unknown extensions parse as endpoint-unaware (and are refused later). */
  endpointAware(extension: string): boolean {
    return this.#extensions.get(extension)?.endpointAware ?? false;
  }

  policy(tenantId: string | undefined, listener: ListenerKind): TransportPolicy {
    return (tenantId === undefined ? undefined : this.#tenants.get(tenantId))?.[listener] ?? this.#defaultPolicy[listener];
  }
}

const FINGERPRINT = /^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;

function issuerMap(v: unknown, where: string, problems: string[]): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  for (const [tenant, list] of Object.entries(record(v, where, problems) ?? {})) {
    const at = `${where}.${tenant}`;
    if (!/^[A-Za-z0-9._~-]{1,128}$/.test(tenant)) problems.push(`${at}: not a tenant id`);
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`${at} must be a non-empty list of SHA-256 certificate fingerprints`);
      continue;
    }
    const set = new Set<string>();
    for (const f of list) {
      if (typeof f !== 'string' || !FINGERPRINT.test(f)) problems.push(`${at}: ${JSON.stringify(f)} is not a SHA-256 fingerprint (64 hex digits, colons allowed)`);
      else set.add(f.replace(/:/g, '').toLowerCase());
    }
    out.set(tenant, set);
  }
  return out;
}

/** Kaa Cloud names application versions `<application>-<suffix>`. */
export function applicationOf(appVersion: string): string {
  const i = appVersion.lastIndexOf('-');
  return i > 0 ? appVersion.slice(0, i) : appVersion;
}

/** Whether a session authenticated with `methods` may stay under `policy`. */
export function admits(policy: TransportPolicy, methods: { basic: boolean; x509: boolean }): boolean {
  if (policy.basic === 'required' && !methods.basic) return false;
  if (policy.x509 === 'required' && !methods.x509) return false;
  const any = (methods.basic && policy.basic !== 'off') || (methods.x509 && policy.x509 !== 'off');
  return any || policy.anonymous;
}

function policies(
  v: unknown,
  base: Readonly<Record<ListenerKind, TransportPolicy>>,
  where: string,
  problems: string[],
): Readonly<Record<ListenerKind, TransportPolicy>> {
  const doc = record(v ?? {}, where, problems) ?? {};
  unknownKeys(doc, LISTENERS, where, problems);
  const out = { ...base };
  for (const l of LISTENERS) {
    if (doc[l] === undefined) continue;
    const w = `${where}.${l}`;
    const p = record(doc[l], w, problems) ?? {};
    unknownKeys(p, l === 'tls' ? ['basic', 'x509', 'anonymous'] : ['basic', 'anonymous'], w, problems);
    const rule = (k: 'basic' | 'x509'): MethodRule => {
      const r = p[k];
      if (r === undefined) return base[l][k];
      if (typeof r !== 'string' || !RULES.includes(r as MethodRule)) {
        problems.push(`${w}.${k} must be one of ${RULES.join(', ')}`);
        return base[l][k];
      }
      return r as MethodRule;
    };
    const anonymous = p.anonymous ?? base[l].anonymous;
    if (typeof anonymous !== 'boolean') problems.push(`${w}.anonymous must be true or false`);
    out[l] = { basic: rule('basic'), x509: l === 'tls' ? rule('x509') : 'off', anonymous: anonymous === true };
  }
  return out;
}

function record(v: unknown, where: string, problems: string[]): Record<string, unknown> | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    problems.push(`${where} must be a mapping`);
    return undefined;
  }
  return v as Record<string, unknown>;
}

function unknownKeys(o: Record<string, unknown>, known: readonly string[], where: string, problems: string[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) problems.push(`${where}: unknown key ${JSON.stringify(k)} (known: ${known.join(', ')})`);
}

/**
 * Re-reads the file when its modification time changes (polled: fs.watch misses atomic renames
 * that configuration tools use). A file that no longer validates is logged and the previous
 * configuration stays in force.
 */
export class KpcConfigWatcher {
  #current: KpcConfig;
  #mtime = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string | null,
    private readonly onChange: (next: KpcConfig, previous: KpcConfig) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.#current = path === null ? KpcConfig.defaults() : KpcConfig.load(path);
    if (path !== null) this.#mtime = mtimeOf(path);
  }

  get current(): KpcConfig {
    return this.#current;
  }

  start(intervalMs = 1000): void {
    if (this.path === null || this.#timer !== undefined) return;
    const path = this.path;
    this.#timer = setInterval(() => this.check(path), intervalMs);
    this.#timer.unref();
  }

  /** The poll: reloads when the file's modification time or size changed. */
  check(path = this.path): void {
    if (path === null) return;
    const m = mtimeOf(path);
    if (m === this.#mtime) return;
    this.#mtime = m;
    try {
      this.#apply(KpcConfig.load(path));
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * SIGHUP: reads the file whatever its time and size say (an edit of the same size within the
   * file system's time granularity looks unchanged to the poll). Throws the file's problem, and
   * the configuration in force stays.
   */
  reload(): void {
    if (this.path === null) return;
    const m = mtimeOf(this.path);
    const next = KpcConfig.load(this.path);
    this.#mtime = m;
    this.#apply(next);
  }

  #apply(next: KpcConfig): void {
    const previous = this.#current;
    this.#current = next;
    this.onChange(next, previous);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function mtimeOf(path: string): number {
  try {
    const s = statSync(path);
    return s.mtimeMs * 1000 + (s.size % 1000);
  } catch {
    return -1;
  }
}
