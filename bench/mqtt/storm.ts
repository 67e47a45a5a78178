/**
 * Reconnect storm: every device of a connected fleet drops at once, then all reconnect within
 * a jitter window, the way a fleet comes back after a broker restart or a network outage.
 * The figure that matters is how long until the whole fleet is back, and the connect latency
 * distribution while the server absorbs the burst.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectReport, Fleet } from './fleet.js';

export interface StormOptions {
  /** `abrupt` drops TCP without DISCONNECT (outage); `graceful` sends DISCONNECT first. */
  readonly mode: 'abrupt' | 'graceful';
  /** Reconnects spread over [0, jitterMs). 0 = everyone at once. */
  readonly jitterMs: number;
  /** Wait between the drop and the first reconnect, letting the server notice the losses. */
  readonly pauseMs?: number;
  readonly signal?: AbortSignal;
}

export interface StormReport extends ConnectReport {
  /** Devices that were connected when the storm began. */
  readonly dropped: number;
  /** From the drop to the last reconnect attempt settling. */
  readonly totalMs: number;
}

export async function reconnectStorm(fleet: Fleet, options: StormOptions): Promise<StormReport> {
  const t0 = performance.now();
  const dropped = await fleet.disconnectAll(options.mode);
  if ((options.pauseMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.pauseMs));
  const report = await fleet.connectAll({
    jitterMs: options.jitterMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { ...report, dropped, totalMs: performance.now() - t0 };
}
