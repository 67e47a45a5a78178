/** report.html: one self-contained page (inline CSS and SVG, no external assets). */
import type { BenchResult } from '../result.js';
import { figureRows, latencyChart, peerLabel, throughputChart } from './model.js';
import { escapeXml } from './svg.js';

const e = (v: unknown): string => (v === undefined || v === null ? '' : escapeXml(String(v)));

function table(head: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [
    '<table>',
    `<tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr>`,
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`),
    '</table>',
  ].join('\n');
}

function serverTable(title: string, server: unknown): string {
  if (typeof server !== 'object' || server === null) return '';
  const rows: unknown[][] = [];
  for (const [k, v] of Object.entries(server as Record<string, unknown>)) {
    if (typeof v === 'object' && v !== null) {
      const s = v as { min?: number; avg?: number; max?: number };
      rows.push([k, s.min, s.avg, s.max]);
    } else rows.push([k, v, '', '']);
  }
  return `<h3>${e(title)}</h3>\n${table(['series', 'min', 'avg', 'max'], rows)}`;
}

export function renderHtml(result: BenchResult): string {
  const vs = result['vs'] as Record<string, unknown> | undefined;
  const peer = peerLabel(result);
  const rows = figureRows(result).map((r) => (vs ? [r.name, r.fleetgate, r.peer, r.ratio] : [r.name, r.fleetgate]));
  const failure = result['failure'] as { code: string; message: string } | undefined;
  const m = result.machine;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${e(`fleetgate bench: ${result.scenario}`)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.failed { color: #b00020; font-weight: bold; }
</style>
</head>
<body>
<h1>${e(result.scenario)}</h1>
<p>${e(result['started_at'])} &#8212; ${e(m.cpus)} x ${e(m.model)}, ${e((m.memory_bytes / 2 ** 30).toFixed(1))} GiB, ${e(m.os)}, node ${e(m.node)}</p>
${failure ? `<p class="failed">Run failed: ${e(failure.code)}: ${e(failure.message)}</p>` : ''}
${result.errors > 0 ? `<p class="failed">${e(result.errors)} errors: ${e(JSON.stringify(result['errors_by_code']))}</p>` : ''}
<h2>Figures</h2>
${table(vs ? ['figure', 'fleetgate', peer, 'ratio'] : ['figure', 'value'], rows)}
<h2>Latency</h2>
${latencyChart(result)}
<h2>Throughput</h2>
${throughputChart(result)}
<h2>Server</h2>
${serverTable('fleetgate', result['server'])}
${serverTable(peer, vs?.['server'])}
<h2>Parameters</h2>
${table(['option', 'value'], Object.entries(result.parameters))}
</body>
</html>
`;
}
