/**
 * Revocation storm: many sessions opened with one credential (and, optionally, each having
 * published once with one endpoint token, so the broker knows the token per session), then a
 * single revocation, and for every session the time from sending the revocation to seeing its
 * connection end (the server's FIN or RST; an MQTT 5 DISCONNECT before it is noted by reason).
 *
 * The sessions live in client worker threads (revocation-worker.ts), their ends timed on the
 * clock all threads share; the clock starts here when the revocation is sent. An end is timed in
 * the socket's first callback, so the client's work on the ends before it, in its own thread, is
 * part of the figure: `clientBusyMs` (event-loop active time of the busiest client thread over
 * the window) bounds that share, and more threads shrink it where there are cores for them.
 */
import { Worker } from 'node:worker_threads';
import { BenchCodes, BenchError } from '../errors.js';
import { createLatencyHistogram, recordLatencyUs, type Histogram } from '../histogram.js';
import { splitEvenly } from '../schedule.js';
import { epochNow, type GroupReport, type SessionGroupOptions } from './revocation-group.js';
import type { FromRevocationWorker, ToRevocationWorker } from './revocation-worker.js';

const WORKER = new URL('./revocation-worker.js', import.meta.url);

export interface RevocationStormOptions extends Omit<SessionGroupOptions, 'first' | 'count'> {
  readonly sessions: number;
  /** Client threads the sessions are spread over. */
  readonly threads: number;
  /** The revocation: starts the clock when called; its answer time is reported. */
  readonly trigger: () => Promise<void>;
  /** Sessions not ended this long after the trigger count as not closed. */
  readonly deadlineMs: number;
  readonly say?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface RevocationReport {
  readonly sessions: number;
  /** Trigger to end, per session (microseconds). */
  readonly disconnect: Histogram;
  /** Sessions still open at the deadline. */
  readonly notClosed: number;
  /** Sessions that ended before the trigger (the storm set-up lost them). */
  readonly endedBefore: number;
  /** The revocation call's own round trip. */
  readonly triggerMs: number;
  /** First to last end seen by the client threads. */
  readonly clientSpanMs: number;
  /**
   * The busiest client thread's event-loop active time from just before the trigger to its
   * last end: the most the client's own work can have added to any session's figure.
   */
  readonly clientBusyMs: number;
  /** MQTT 5 DISCONNECT reason codes received, by "0x87". */
  readonly reasons: Readonly<Record<string, number>>;
}

export async function revocationStorm(o: RevocationStormOptions): Promise<RevocationReport> {
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new TypeError(`revocationStorm: threads must be a positive integer, got ${o.threads}`);
  const { sessions, threads, trigger, deadlineMs, say, signal, ...group } = o;
  const shares = splitEvenly(sessions, Math.min(threads, sessions));
  const workers: Worker[] = [];
  const reports: Array<GroupReport | undefined> = [];
  let onMessage: (() => void) | undefined;
  let failure: BenchError | undefined;
  let opened = 0;
  const fail = (err: BenchError): void => {
    failure ??= err;
    onMessage?.();
  };
  const until = (done: () => boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (failure !== undefined) reject(failure);
        else if (signal?.aborted === true) reject(new BenchError(BenchCodes.HARD_CAP, 'stopped during the revocation storm'));
        else if (done()) resolve();
        else return;
        onMessage = undefined;
        signal?.removeEventListener('abort', check);
      };
      onMessage = check;
      signal?.addEventListener('abort', check);
      check();
    });
  try {
    say?.(`opening ${sessions} sessions from ${shares.length} client thread(s)`);
    let first = 0;
    shares.forEach((count, w) => {
      const data: SessionGroupOptions = { ...group, first, count };
      first += count;
      const worker = new Worker(WORKER, { workerData: data });
      workers.push(worker);
      worker.on('message', (m: FromRevocationWorker) => {
        if (m.type === 'opened') opened++;
        else if (m.type === 'report') reports[w] = m.report;
        else fail(new BenchError(m.code, m.message));
        onMessage?.();
      });
      worker.on('error', (err) => fail(new BenchError(BenchCodes.GENERATOR_FAILED, `client thread ${w}: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => {
        if (reports[w] === undefined) fail(new BenchError(BenchCodes.GENERATOR_FAILED, `client thread ${w} exited (code ${code}) early`));
      });
    });
    await until(() => opened === shares.length);
    // Let stragglers of the set-up show before the clock starts.
    await new Promise((r) => setTimeout(r, 200));
    for (const w of workers) w.postMessage({ type: 'arm' } satisfies ToRevocationWorker);

    const t0 = epochNow();
    let triggerMs = Number.NaN;
    const triggered = trigger().then(() => {
      triggerMs = epochNow() - t0;
    });
    triggered.catch(() => undefined);
    for (const w of workers) w.postMessage({ type: 'collect', deadlineEpochMs: t0 + deadlineMs } satisfies ToRevocationWorker);
    await until(() => reports.filter((r) => r !== undefined).length === shares.length);
    await triggered;

    const disconnect = createLatencyHistogram();
    const reasons: Record<string, number> = {};
    let firstEnd = Number.POSITIVE_INFINITY;
    let lastEnd = Number.NEGATIVE_INFINITY;
    let notClosed = 0;
    let endedBefore = 0;
    let clientBusyMs = 0;
    for (const r of reports) {
      if (r === undefined) continue;
      clientBusyMs = Math.max(clientBusyMs, r.busyMs);
      for (const [k, v] of Object.entries(r.reasons)) reasons[k] = (reasons[k] ?? 0) + v;
      for (const end of r.ends) {
        if (Number.isNaN(end)) notClosed++;
        else if (end < t0) endedBefore++;
        else {
          recordLatencyUs(disconnect, (end - t0) * 1000);
          firstEnd = Math.min(firstEnd, end);
          lastEnd = Math.max(lastEnd, end);
        }
      }
    }
    return {
      sessions,
      disconnect,
      notClosed,
      endedBefore,
      triggerMs,
      clientSpanMs: Number.isFinite(firstEnd) ? lastEnd - firstEnd : 0,
      clientBusyMs,
      reasons,
    };
  } finally {
    onMessage = undefined;
    for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToRevocationWorker);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
