/**
 * Inline SVG line charts for the offline report: no script, no font or stylesheet from
 * anywhere, so report.html opens from a file on any machine.
 */

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  /** [x, y] in data units. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface Tick {
  readonly value: number;
  readonly label: string;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
  readonly xTicks: readonly Tick[];
  readonly yTicks: readonly Tick[];
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const f = (n: number): string => (Math.round(n * 10) / 10).toString();

export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 360;
  const m = { left: 72, right: 170, top: 36, bottom: 52 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const [x0, x1] = spec.xDomain;
  const [y0, y1] = spec.yDomain;
  const sx = (x: number): number => m.left + (x1 === x0 ? 0 : ((x - x0) / (x1 - x0)) * pw);
  const sy = (y: number): number => m.top + ph - (y1 === y0 ? 0 : ((y - y0) / (y1 - y0)) * ph);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="20" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  for (const t of spec.yTicks) {
    const y = f(sy(t.value));
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(t.label)}</text>`);
  }
  for (const t of spec.xTicks) {
    const x = f(sx(t.value));
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${escapeXml(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const pts = s.points.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(' ');
      out.push(
        `<polyline fill="none" stroke="${escapeXml(s.color)}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${pts}"/>`,
      );
    }
    const ly = m.top + 8 + i * 18;
    const lx = m.left + pw + 12;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${escapeXml(s.color)}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    out.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Round upper bound and evenly spaced ticks (1, 2, 5 x 10^n steps) for a domain starting at 0. */
export function niceTicks(max: number, count = 5, format: (v: number) => string = String): { top: number; ticks: Tick[] } {
  if (!(max > 0)) return { top: 1, ticks: [{ value: 0, label: format(0) }, { value: 1, label: format(1) }] };
  const raw = max / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = ([1, 2, 5, 10].find((s) => s * mag >= raw) ?? 10) * mag;
  const top = Math.ceil(max / step) * step;
  const ticks: Tick[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push({ value: v, label: format(Number(v.toPrecision(12))) });
  return { top, ticks };
}

/** x position of a percentile on the "number of nines" axis: log10(1 / (1 - p)). */
export function nines(p: number): number {
  return Math.log10(100 / (100 - Math.min(p, 99.9999)));
}

export const PERCENTILE_TICKS: readonly Tick[] = [50, 90, 99, 99.9, 99.99, 99.999].map((p) => ({ value: nines(p), label: `${p}%` }));
