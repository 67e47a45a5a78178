/**
 * A reader for the Prometheus text exposition format (version 0.0.4), enough to sample a
 * server's `/metrics` during a run: sample lines with optional labels and timestamp, comments
 * skipped, label values unescaped, NaN and +/-Inf values kept.
 */

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parsePrometheusText(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample !== undefined) out.push(sample);
  }
  return out;
}

function parseLine(line: string): MetricSample | undefined {
  const m = NAME.exec(line);
  if (m === null) return undefined;
  const name = m[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const eq = line.indexOf('=', i);
      if (eq === -1 || line[eq + 1] !== '"') return undefined;
      const key = line.slice(i, eq).trim();
      let j = eq + 2;
      let value = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\') {
          const next = line[j + 1];
          value += next === 'n' ? '\n' : (next ?? '');
          j += 2;
        } else {
          value += line[j];
          j++;
        }
      }
      if (j >= line.length) return undefined;
      labels[key] = value;
      i = j + 1;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? '');
  return value === undefined ? undefined : { name, labels, value };
}

function parseValue(s: string): number | undefined {
  if (s === 'NaN') return Number.NaN;
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * One value for a series name across its label sets: `sum` (mailbox depth over all shards) or
 * `max` (the worst shard's loop delay). Undefined when the series is absent.
 */
export function seriesValue(samples: readonly MetricSample[], name: string, aggregate: 'sum' | 'max'): number | undefined {
  let out: number | undefined;
  for (const s of samples) {
    if (s.name !== name || Number.isNaN(s.value)) continue;
    if (out === undefined) out = s.value;
    else out = aggregate === 'sum' ? out + s.value : Math.max(out, s.value);
  }
  return out;
}
