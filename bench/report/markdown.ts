/** summary.md: the figures as a table, with what produced them (parameters, machine, date). */
import type { BenchResult, Machine } from '../result.js';
import { figureRows, peerLabel } from './model.js';

const cell = (v: unknown): string => (v === undefined || v === null ? '' : String(v).replace(/\|/g, '\\|'));

export function renderMarkdown(result: BenchResult): string {
  const vs = result['vs'] !== undefined;
  const peer = peerLabel(result);
  const m: Machine = result.machine;
  const lines: string[] = [
    `# ${result.scenario}`,
    '',
    `- date: ${cell(result['started_at'])}`,
    `- machine: ${m.cpus} x ${m.model}, ${(m.memory_bytes / 2 ** 30).toFixed(1)} GiB, ${m.os}, node ${m.node}`,
    `- parameters: ${Object.entries(result.parameters).map(([k, v]) => `--${k} ${String(v)}`).join(' ')}`,
    '',
    vs ? `| figure | fleetgate | ${peer} | ratio |` : '| figure | value |',
    vs ? '|---|---:|---:|---:|' : '|---|---:|',
  ];
  for (const r of figureRows(result)) {
    lines.push(vs ? `| ${r.name} | ${cell(r.fleetgate)} | ${cell(r.peer)} | ${cell(r.ratio)} |` : `| ${r.name} | ${cell(r.fleetgate)} |`);
  }
  const failure = result['failure'] as { code: string; message: string } | undefined;
  if (failure !== undefined) lines.push('', `**Run failed**: ${failure.code}: ${failure.message}`);
  const byCode = result['errors_by_code'] as Record<string, number> | undefined;
  if (byCode !== undefined && Object.keys(byCode).length > 0) {
    lines.push('', '**Errors by code**: ' + Object.entries(byCode).map(([k, v]) => `${k} ${v}`).join(', '));
  }
  lines.push('');
  return lines.join('\n');
}
