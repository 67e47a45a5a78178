import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLatencyHistogram, recordLatencyUs } from '../../bench/histogram.js';
import { lineChart, niceTicks } from '../../bench/report/svg.js';
import { writeReport } from '../../bench/report/write.js';
import { buildResult, machineInfo, type SideRun } from '../../bench/result.js';
import { checkWellFormedXml } from './helpers.js';

function sideRun(side: 'fleetgate' | 'peer', round: number): SideRun {
  const h = createLatencyHistogram();
  for (let v = 1; v <= 2000; v++) recordLatencyUs(h, v * (side === 'peer' ? 3 : 2));
  return {
    side,
    round,
    figures: { ops_per_s: side === 'peer' ? 800 : 1000, label: 'a < b & "c"' },
    errors: 0,
    errorsByCode: {},
    histograms: { publish: h, connect: h },
    series: { throughput: [990, 1010, 1000, 1005] },
    server: undefined,
    durationMs: 4000,
  };
}

describe('report writer', () => {
  it('writes result.json, summary.md and a self-contained report.html with two well-formed SVG charts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-report-'));
    try {
      const result = buildResult(
        {
          scenario: 'publish',
          parameters: { rate: 1000 },
          machine: machineInfo(),
          startedAt: '2026-01-01T00:00:00.000Z',
          finishedAt: '2026-01-01T00:01:00.000Z',
          peer: 'mosquitto',
          runs: [sideRun('fleetgate', 1), sideRun('peer', 1), sideRun('fleetgate', 2), sideRun('peer', 2)],
        },
        true,
      );
      const paths = await writeReport(dir, result);
      const json = JSON.parse(await readFile(paths.resultJson, 'utf8')) as Record<string, unknown>;
      assert.equal(json['scenario'], 'publish');
      assert.ok(json['detail'] !== undefined);

      const md = await readFile(paths.summaryMd, 'utf8');
      assert.match(md, /^# publish$/m);
      assert.match(md, /^\| ops_per_s \| 1000 \| 800 \| 1.25 \|$/m);

      const html = await readFile(paths.reportHtml, 'utf8');
      const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
      assert.equal(svgs.length, 2);
      for (const svg of svgs) checkWellFormedXml(svg);
      assert.match(svgs[0] ?? '', /latency by percentile/);
      assert.match(svgs[0] ?? '', />99\.999%</);
      assert.equal((svgs[0]?.match(/<polyline/g) ?? []).length, 4); // 2 sides x 2 histograms
      assert.match(svgs[1] ?? '', /throughput per second/);
      assert.equal((svgs[1]?.match(/<polyline/g) ?? []).length, 4); // one line per run
      // Offline: no scripts, no external references.
      assert.doesNotMatch(html, /<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      assert.match(html, /a &lt; b &amp; &quot;c&quot;/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('escapes labels in charts and handles empty series', () => {
    const svg = lineChart({
      title: 'x < y',
      xLabel: 'a&b',
      yLabel: '"q"',
      xDomain: [0, 1],
      yDomain: [0, 1],
      xTicks: [],
      yTicks: [],
      series: [{ label: '<none>', color: '#000', points: [] }],
    });
    checkWellFormedXml(svg);
  });

  it('picks round tick steps', () => {
    assert.deepEqual(niceTicks(9.3, 5).ticks.map((t) => t.value), [0, 2, 4, 6, 8, 10]);
    assert.equal(niceTicks(0).top, 1);
  });
});
