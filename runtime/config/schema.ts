/**
 * Declaring settings: each one has a dotted key (its place in the YAML file), an optional
 * environment variable that overrides the file, a default, and a rule that both parses and
 * validates. A failure names the key, where the value came from, the value and the rule.
 */

export interface Setting<T> {
  readonly env?: string;
  readonly doc: string;
  readonly default: T | (() => T);
  /** Human statement of the rule, used in error messages. */
  readonly rule: string;
  /** Returns the parsed value, or undefined when the raw value breaks the rule. Raw values
   *  from the environment are strings; from YAML they keep their YAML type. */
  parse(raw: unknown): T | undefined;
  /** Never print the value (secrets). */
  readonly secret?: boolean;
}

type Common = { env?: string; doc: string; secret?: boolean };

function toInt(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) return Number(raw.trim());
  return undefined;
}

export function int(o: Common & { default: number | (() => number); min: number; max?: number }): Setting<number> {
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  const rule = o.max === undefined ? `an integer >= ${o.min}` : `an integer between ${o.min} and ${o.max}`;
  return {
    ...o,
    rule,
    parse(raw) {
      const n = toInt(raw);
      return n !== undefined && n >= o.min && n <= max ? n : undefined;
    },
  };
}

export function port(o: Common & { default: number }): Setting<number> {
  return { ...int({ ...o, min: 0, max: 65535 }), rule: 'a TCP port between 0 and 65535 (0 picks a free one)' };
}

export function str(o: Common & { default: string | (() => string); pattern?: RegExp; patternText?: string }): Setting<string> {
  return {
    ...o,
    rule: o.pattern ? (o.patternText ?? `a string matching ${o.pattern}`) : 'a non-empty string',
    parse(raw) {
      if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
      const s = String(raw);
      if (s.length === 0) return undefined;
      return o.pattern && !o.pattern.test(s) ? undefined : s;
    },
  };
}

export function optionalStr(o: Common & { pattern?: RegExp; patternText?: string }): Setting<string | null> {
  const inner = str({ ...o, default: '' });
  return {
    ...o,
    default: null,
    rule: `${inner.rule}, or nothing`,
    parse(raw) {
      if (raw === null || raw === '') return null;
      return inner.parse(raw);
    },
  };
}

export function oneOf<const V extends string>(o: Common & { default: V; values: readonly V[] }): Setting<V> {
  return {
    ...o,
    rule: `one of ${o.values.map((v) => `"${v}"`).join(', ')}`,
    parse(raw) {
      return typeof raw === 'string' && (o.values as readonly string[]).includes(raw) ? (raw as V) : undefined;
    },
  };
}

export function bool(o: Common & { default: boolean }): Setting<boolean> {
  return {
    ...o,
    rule: 'true or false',
    parse(raw) {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return undefined;
    },
  };
}

export type Schema = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Schema> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };
