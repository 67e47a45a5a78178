/**
 * `--target`: the server under load when it is not started by the scenario itself. Parsed and
 * validated here; each scenario declares which kinds (mqtt, http) it accepts.
 */
import { UsageError } from './errors.js';

export type TargetKind = 'mqtt' | 'http';

export interface MqttTarget {
  readonly kind: 'mqtt';
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

export interface HttpTarget {
  readonly kind: 'http';
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Path and query, at least "/". */
  readonly path: string;
  readonly tls: boolean;
}

export type Target = MqttTarget | HttpTarget;

const RULE = 'mqtt://host:port or http://host:port/path';

/** Parses a target URL. `accepted` is what the scenario can drive; the error says which. */
export function parseTarget(raw: string, accepted: readonly TargetKind[], scenario: string): Target {
  if (accepted.length === 0) {
    throw new UsageError(`--target is not supported by scenario "${scenario}" (it starts what it measures), got "${raw}"`);
  }
  let url: URL;
  try {
    // Without "://" the URL parser reads "localhost:1883" as scheme "localhost": refuse plainly.
    if (!raw.includes('://')) throw new TypeError('no scheme');
    url = new URL(raw);
  } catch {
    throw new UsageError(`--target must be ${RULE}, got "${raw}"`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`--target must name a host (${RULE}), got "${raw}"`);
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URL end up in the result JSON's parameters and in shell history.
    throw new UsageError(`--target must not carry credentials (use the scenario's options), got "${redact(url)}"`);
  }
  let target: Target;
  if (url.protocol === 'mqtt:') {
    if (url.pathname !== '' && url.pathname !== '/') {
      throw new UsageError(`--target mqtt:// takes no path, got "${raw}"`);
    }
    target = { kind: 'mqtt', url: `mqtt://${url.host}`, host, port: url.port === '' ? 1883 : Number(url.port) };
  } else if (url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:';
    const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
    const path = `${url.pathname === '' ? '/' : url.pathname}${url.search}`;
    target = { kind: 'http', url: url.href, host, port, path, tls };
  } else {
    throw new UsageError(`--target must be ${RULE}, got "${raw}" (scheme ${url.protocol.replace(/:$/, '')} is not supported)`);
  }
  if (!accepted.includes(target.kind)) {
    const want = accepted.map((k) => `${k}://`).join(' or ');
    throw new UsageError(`--target must be a ${want} URL for scenario "${scenario}", got "${raw}"`);
  }
  return target;
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  copy.username = copy.username === '' ? '' : '***';
  copy.password = copy.password === '' ? '' : '***';
  return copy.href;
}
