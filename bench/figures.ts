/** Figures every load-driven scenario reports the same way, so results compare across scenarios. */
import { summarize } from './histogram.js';
import type { LoadResult } from './scenario.js';

/**
 * `ops`, `ops_per_s`, `mean_us`, `p50_us`, `p90_us`, `p99_us`, `p999_us`, `max_us` (with
 * `<prefix>_` in front when given, for a scenario reporting several loads).
 */
export function loadFigures(r: LoadResult, prefix = ''): Record<string, number> {
  const p = prefix === '' ? '' : `${prefix}_`;
  const s = summarize(r.latency);
  return {
    [`${p}ops`]: r.ops,
    [`${p}ops_per_s`]: r.opsPerSec,
    [`${p}mean_us`]: s.mean_us,
    [`${p}p50_us`]: s.p50_us,
    [`${p}p90_us`]: s.p90_us,
    [`${p}p99_us`]: s.p99_us,
    [`${p}p999_us`]: s.p999_us,
    [`${p}max_us`]: s.max_us,
  };
}
