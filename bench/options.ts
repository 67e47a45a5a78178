/**
 * Command-line options: declared once (name, type, rule, default), validated at start, and a
 * failure names the option, the value and the rule. Unknown options are refused with a
 * "did you mean" hint. Declarations are checked when a scenario registers (a bad declaration
 * is a programming error, a TypeError), values when a user runs it (a UsageError, exit 2).
 */
import { UsageError } from './errors.js';

export type OptionValue = number | string | boolean;
export type OptionType = 'integer' | 'number' | 'string' | 'boolean' | 'enum';

export interface OptionSpec {
  /** kebab-case, without the leading dashes. */
  readonly name: string;
  readonly type: OptionType;
  readonly description: string;
  readonly default?: OptionValue;
  /** Shown instead of a default when the option has none ("closed loop", "none"). */
  readonly defaultText?: string;
  /** enum: the accepted values. */
  readonly choices?: readonly string[];
  /** integer / number: inclusive lower bound. */
  readonly min?: number;
  /** number: exclusive lower bound (`gt: 0` is "positive"). */
  readonly gt?: number;
  /** integer / number: inclusive upper bound. */
  readonly max?: number;
  /** Placeholder in help: `--rate N`, `--target URL`. */
  readonly valueName?: string;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** The rule an option's value must follow, in words, as printed in errors and help. */
export function describeRule(spec: OptionSpec): string {
  switch (spec.type) {
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a non-empty string';
    case 'enum':
      return `one of ${(spec.choices ?? []).join(', ')}`;
    case 'integer': {
      const { min, max } = spec;
      if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
      if (min === 1) return 'a positive integer';
      if (min === 0) return 'a non-negative integer';
      if (min !== undefined) return `an integer >= ${min}`;
      if (max !== undefined) return `an integer <= ${max}`;
      return 'an integer';
    }
    case 'number': {
      const { min, gt, max } = spec;
      const low = gt !== undefined ? `> ${gt}` : min !== undefined ? `>= ${min}` : undefined;
      if (low !== undefined && max !== undefined) {
        if (gt === undefined) return `a number from ${min} to ${max}`;
        return `a number ${low} and <= ${max}`;
      }
      if (gt === 0) return 'a positive number';
      if (min === 0) return 'a non-negative number';
      if (low !== undefined) return `a number ${low}`;
      if (max !== undefined) return `a number <= ${max}`;
      return 'a number';
    }
  }
}

/** Converts one raw value, or returns undefined when it breaks the option's rule. */
function convert(spec: OptionSpec, raw: string): OptionValue | undefined {
  switch (spec.type) {
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
    case 'string':
      return raw.length > 0 ? raw : undefined;
    case 'enum':
      return spec.choices?.includes(raw) ? raw : undefined;
    case 'integer': {
      if (!INTEGER.test(raw)) return undefined;
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return undefined;
      return inRange(spec, n) ? n : undefined;
    }
    case 'number': {
      if (!DECIMAL.test(raw)) return undefined;
      const n = Number(raw);
      if (!Number.isFinite(n)) return undefined;
      return inRange(spec, n) ? n : undefined;
    }
  }
}

function inRange(spec: OptionSpec, n: number): boolean {
  if (spec.min !== undefined && n < spec.min) return false;
  if (spec.gt !== undefined && n <= spec.gt) return false;
  if (spec.max !== undefined && n > spec.max) return false;
  return true;
}

/** Checks declarations once, at registration. Throws TypeError: this is the caller's bug. */
export function checkSpecs(owner: string, specs: readonly OptionSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (!NAME.test(s.name)) throw new TypeError(`${owner}: option name "${s.name}" must be kebab-case`);
    if (s.name === 'help' || s.name.startsWith('no-')) throw new TypeError(`${owner}: option name "${s.name}" is reserved`);
    if (seen.has(s.name)) throw new TypeError(`${owner}: option --${s.name} is declared twice`);
    seen.add(s.name);
    if (s.type === 'enum' && (!s.choices || s.choices.length === 0)) {
      throw new TypeError(`${owner}: enum option --${s.name} needs choices`);
    }
    if (s.default !== undefined && convert(s, String(s.default)) !== s.default) {
      throw new TypeError(`${owner}: default of --${s.name} (${String(s.default)}) breaks its own rule: ${describeRule(s)}`);
    }
  }
}

/** Parsed option values: defaults filled in, each value already checked against its rule. */
export class Options {
  readonly #values: Map<string, OptionValue>;
  readonly #given: Set<string>;

  constructor(values: Map<string, OptionValue>, given: Set<string>) {
    this.#values = values;
    this.#given = given;
  }

  /** True when the option has a value, given or defaulted. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** True when the user gave the option on the command line. */
  given(name: string): boolean {
    return this.#given.has(name);
  }

  number(name: string): number {
    const v = this.optionalNumber(name);
    if (v === undefined) throw new TypeError(`option --${name} has no value and no default`);
    return v;
  }

  optionalNumber(name: string): number | undefined {
    return this.#typed(name, 'number');
  }

  string(name: string): string {
    const v = this.optionalString(name);
    if (v === undefined) throw new TypeError(`option --${name} has no value and no default`);
    return v;
  }

  optionalString(name: string): string | undefined {
    return this.#typed(name, 'string');
  }

  boolean(name: string): boolean {
    return this.#typed(name, 'boolean') ?? false;
  }

  /** Every value, for the `parameters` of the result. */
  toJSON(): Record<string, OptionValue> {
    return Object.fromEntries([...this.#values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  #typed<T extends 'number' | 'string' | 'boolean'>(
    name: string,
    type: T,
  ): (T extends 'number' ? number : T extends 'string' ? string : boolean) | undefined {
    const v = this.#values.get(name);
    if (v === undefined) return undefined;
    if (typeof v !== type) throw new TypeError(`option --${name} is a ${typeof v}, not a ${type}`);
    return v as T extends 'number' ? number : T extends 'string' ? string : boolean;
  }
}

/**
 * Parses `--name value`, `--name=value`, boolean `--flag` / `--no-flag`. `usageHint` ends the
 * unknown-option error ("see npm run bench -- selftest --help").
 */
export function parseOptions(args: readonly string[], specs: readonly OptionSpec[], usageHint: string): Options {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, OptionValue>();
  const given = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(`unexpected argument "${arg}"; options start with --; ${usageHint}`);
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let raw: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = byName.get(name);
    if (spec === undefined && name.startsWith('no-') && raw === undefined) {
      const positive = byName.get(name.slice(3));
      if (positive?.type === 'boolean') {
        spec = positive;
        name = positive.name;
        raw = 'false';
      }
    }
    if (spec === undefined) {
      const hint = didYouMean(name, [...byName.keys()]);
      throw new UsageError(
        `unknown option --${name}${hint === undefined ? '' : ` (did you mean --${hint}?)`}; ${usageHint}`,
      );
    }
    if (given.has(name)) throw new UsageError(`--${name} is given more than once`);
    if (raw === undefined) {
      if (spec.type === 'boolean') raw = 'true';
      else {
        const next = args[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          throw new UsageError(`--${name} needs a value: ${describeRule(spec)}`);
        }
        raw = next;
        i++;
      }
    }
    const v = convert(spec, raw);
    if (v === undefined) throw new UsageError(`--${name} must be ${describeRule(spec)}, got "${raw}"`);
    values.set(name, v);
    given.add(name);
  }
  for (const s of specs) if (!values.has(s.name) && s.default !== undefined) values.set(s.name, s.default);
  return new Options(values, given);
}

/** The closest candidate by edit distance, if close enough to be a likely typo. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = c.startsWith(input) && input.length >= 3 ? 0.5 : editDistance(input, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(1, Math.floor(input.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transposition). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
        (d[(i - 1) * cols + j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (d[(i - 2) * cols + j - 2] as number) + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1] as number;
}

/** Help lines for a list of options, aligned, with defaults. */
export function formatOptions(specs: readonly OptionSpec[]): string[] {
  const heads = specs.map((s) => {
    const value = s.type === 'boolean' ? '' : ` ${s.valueName ?? (s.type === 'enum' ? (s.choices ?? []).join('|') : 'N')}`;
    return `--${s.name}${value}`;
  });
  const width = Math.min(22, Math.max(...heads.map((h) => h.length)) + 2);
  return specs.map((s, i) => {
    const head = heads[i] as string;
    const dflt =
      s.default !== undefined ? ` (default: ${String(s.default)})` : s.defaultText !== undefined ? ` (default: ${s.defaultText})` : '';
    const pad = head.length >= width ? '  ' : ' '.repeat(width - head.length);
    return `  ${head}${pad}${s.description}${dflt}`;
  });
}
