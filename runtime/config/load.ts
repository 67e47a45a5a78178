/**
 * Loading configuration: YAML file (optional) + environment overrides, validated against the
 * declared settings. All problems are reported at once, each naming key, source, value and rule;
 * unknown keys are refused with the closest known key as a hint. This module is the only place
 * that reads environment variables for settings.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import type { ConfigOf, Schema } from './schema.js';

export const ConfigCodes = { INVALID: 'ERR_CONFIG_INVALID', FILE: 'ERR_CONFIG_FILE' } as const;

function flatten(obj: unknown, prefix: string, out: Map<string, unknown>, known: Set<string>): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || known.has(prefix)) {
    out.set(prefix, obj);
    return;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out, known);
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function hint(key: string, known: string[]): string {
  let best = '';
  let bestD = Infinity;
  for (const k of known) {
    const dd = Math.min(distance(key.toLowerCase(), k.toLowerCase()), distance(key.split('.').pop()!, k.split('.').pop()!) + 1);
    if (dd < bestD) {
      bestD = dd;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

export interface LoadOptions {
  /** Path of a YAML file; none means defaults and environment only. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values given by the calling code (tests, the CLI), applied after the file, before env. */
  overrides?: Record<string, unknown>;
}

export function loadConfig<S extends Schema>(schema: S, opts: LoadOptions = {}): ConfigOf<S> {
  const env = opts.env ?? process.env;
  // The file itself may be named by the environment, like every other setting.
  opts = { ...opts, file: opts.file ?? env['FLEETGATE_CONFIG'] };
  const keys = Object.keys(schema);
  const known = new Set(keys);
  const fromFile = new Map<string, unknown>();
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(ConfigCodes.FILE, `cannot read configuration file ${opts.file}: ${(err as Error).message}`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new ConfigError(ConfigCodes.FILE, `configuration file ${opts.file} is not valid YAML: ${(err as Error).message}`, { cause: err });
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new ConfigError(ConfigCodes.FILE, `configuration file ${opts.file} must hold a YAML mapping at the top`);
      }
      flatten(doc, '', fromFile, known);
    }
  }
  const problems: string[] = [];
  for (const k of fromFile.keys()) if (!known.has(k)) problems.push(`unknown configuration key "${k}"${hint(k, keys)}`);
  for (const k of Object.keys(opts.overrides ?? {})) if (!known.has(k)) problems.push(`unknown configuration key "${k}"${hint(k, keys)}`);

  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const s = schema[key]!;
    let raw: unknown;
    let source = 'default';
    if (fromFile.has(key)) {
      raw = fromFile.get(key);
      source = `file ${opts.file}`;
    }
    if (opts.overrides && key in opts.overrides) {
      raw = opts.overrides[key];
      source = 'override';
    }
    if (s.env !== undefined && env[s.env] !== undefined) {
      raw = env[s.env];
      source = `environment variable ${s.env}`;
    }
    if (source === 'default') {
      out[key] = typeof s.default === 'function' ? (s.default as () => unknown)() : s.default;
      continue;
    }
    const v = s.parse(raw);
    if (v === undefined) {
      const shown = s.secret ? '(hidden)' : show(raw);
      problems.push(`"${key}" from ${source}: ${shown} is not valid; it must be ${s.rule}`);
    } else out[key] = v;
  }
  if (problems.length > 0) {
    throw new ConfigError(ConfigCodes.INVALID, `invalid configuration:\n  - ${problems.join('\n  - ')}`, { data: { problems } });
  }
  return out as ConfigOf<S>;
}
