/**
 * `selftest`: exercises the whole framework with no server at all. Workers call an async
 * function that sleeps `--delay-ms` on a timer, closed loop (`--concurrency`) or open loop
 * (`--rate`), optionally failing a fraction of calls (`--fail-rate`). Useful to check what the
 * load generator itself can sustain on a machine before trusting other scenarios there.
 */
import { loadFigures } from '../figures.js';
import type { Scenario } from '../scenario.js';
import type { SelftestParams } from './selftest-generator.js';

const GENERATOR = new URL('./selftest-generator.js', import.meta.url);

export const selftestScenario: Scenario = {
  name: 'selftest',
  summary: 'framework self-test: an in-process async function with an artificial delay, no server',
  options: [
    { name: 'delay-ms', type: 'number', min: 0, max: 60_000, default: 1, valueName: 'MS', description: 'delay of each call (setTimeout)' },
    { name: 'fail-rate', type: 'number', min: 0, max: 1, default: 0, valueName: 'F', description: 'fraction of calls that fail (deterministic)' },
  ],
  targets: [],
  peers: [],
  headline: ['ops_per_s', 'p50_us', 'p99_us'],
  async run(ctx) {
    const params: SelftestParams = { delayMs: ctx.options.number('delay-ms'), failRate: ctx.options.number('fail-rate') };
    const r = await ctx.runLoad({ generator: GENERATOR, params });
    return {
      figures: {
        ...loadFigures(r),
        injected_failures: r.counters['injected_failures'] ?? 0,
        workers: r.workers,
        clamped: r.clamped,
      },
      errors: r.errors,
      errorsByCode: r.errorsByCode,
      histograms: { call: r.latency },
    };
  },
};
