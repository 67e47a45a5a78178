/**
 * The one way the rest of fleetgate gets a bus: validated configuration in, a connected bus out.
 * A malformed configuration is the caller's mistake (TypeError naming the key and the rule);
 * a NATS server that cannot be reached is ERR_BUS_UNAVAILABLE.
 */
import { InProcessBus } from './inprocess.js';
import { NatsBus } from './nats.js';
import type { Bus, BusConfig } from './types.js';

const KEYS: Record<BusConfig['kind'], readonly string[]> = {
  inprocess: ['kind', 'maxPending'],
  nats: ['kind', 'servers', 'name', 'user', 'pass', 'token'],
};

function optionalString(cfg: Record<string, unknown>, key: string): void {
  const v = cfg[key];
  if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
    throw new TypeError(`bus.${key} must be a non-empty string when set`);
  }
}

export function validateBusConfig(cfg: BusConfig): void {
  if (typeof cfg !== 'object' || cfg === null) throw new TypeError('bus configuration must be an object');
  const raw = cfg as unknown as Record<string, unknown>;
  const kind = raw['kind'];
  if (kind !== 'inprocess' && kind !== 'nats') {
    throw new TypeError(`bus.kind must be "inprocess" or "nats", got ${JSON.stringify(kind)}`);
  }
  const allowed = KEYS[kind];
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) throw new TypeError(`bus.${k} is not a setting of a ${kind} bus (known: ${allowed.join(', ')})`);
  }
  if (kind === 'nats') {
    const servers = raw['servers'];
    if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new TypeError('bus.servers must be a non-empty array of server URLs');
    }
    for (const k of ['name', 'user', 'pass', 'token']) optionalString(raw, k);
    if (raw['token'] !== undefined && raw['user'] !== undefined) {
      throw new TypeError('bus.token and bus.user are exclusive: NATS authenticates with one or the other');
    }
  }
}

export async function openBus(cfg: BusConfig): Promise<Bus> {
  validateBusConfig(cfg);
  if (cfg.kind === 'inprocess') {
    return new InProcessBus(cfg.maxPending === undefined ? {} : { maxPending: cfg.maxPending });
  }
  return NatsBus.connect({
    servers: cfg.servers,
    ...(cfg.name !== undefined ? { name: cfg.name } : {}),
    ...(cfg.user !== undefined ? { user: cfg.user } : {}),
    ...(cfg.pass !== undefined ? { pass: cfg.pass } : {}),
    ...(cfg.token !== undefined ? { token: cfg.token } : {}),
  });
}
