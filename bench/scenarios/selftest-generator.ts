/**
 * The selftest's load generator: an async function that waits `delayMs` on a timer and fails
 * a fixed fraction of calls. Failures are deterministic (call i fails when
 * floor((i + 1) * rate) > floor(i * rate)), so n calls give exactly floor(n * rate) errors.
 */
import type { CreateGenerator } from '../generator.js';

export interface SelftestParams {
  readonly delayMs: number;
  readonly failRate: number;
}

const INJECTED = 'ERR_SELFTEST_INJECTED';

export const createGenerator: CreateGenerator<SelftestParams> = (init) => {
  const { delayMs, failRate } = init.params;
  let calls = 0;
  return {
    call() {
      const i = calls++;
      const fail = Math.floor((i + 1) * failRate) > Math.floor(i * failRate);
      return new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          if (!fail) return resolve();
          init.count('injected_failures');
          reject(Object.assign(new Error('injected failure'), { code: INJECTED }));
        }, delayMs);
      });
    },
  };
};
