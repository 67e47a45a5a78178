/**
 * The data-collection extension (2/DCP, instance `dcx` by default): samples from ClientData are
 * appended as JSON lines to `<dataDir>/dcx/<appVersionName>.jsonl`.
 *
 * Answers (4/ESP ExtensionData): 200 with a zero-length payload once the lines are written;
 * 400 / 413 from the 2/DCP rules (nothing written); 503 when the write queue or the open-file
 * slots are full or the extension is stopping (nothing written); 500 when the write failed.
 * A request without a request id is ack-only (1/KP: no response SHOULD be published), so it gets
 * no answer at all, not even a refusal: under overload every message would otherwise come back
 * as a 503 and double the load. Its refusals are counted in the metrics only.
 */
import { join } from 'node:path';
import type { Logger, Service } from '../../runtime/index.js';
import type { Bus } from '../../transports/bus/index.js';
import { JsonLinesAppender } from './appender.js';
import { dcpLines } from './dcp.js';
import { espEndpoint, type Origin } from './esp.js';
import type { ExtensionMetrics, RefusalReason } from './metrics.js';

export interface DcxOptions {
  bus: Bus;
  instanceName: string;
  kpcInstanceName: string;
  /** The platform's data directory; files go to its `dcx` folder. */
  dataDir: string;
  maxPayloadBytes: number;
  maxQueueBytes: number;
  maxOpenFiles: number;
  flushDelayMs: number;
  log: Logger;
  metrics: ExtensionMetrics;
  /** ms since the epoch, for `receivedAt`. */
  now?: () => number;
}

export interface DcxExtension {
  readonly service: Service;
  /** Writes what is queued and closes the files (call after the service stopped). */
  close(): Promise<void>;
}

const EMPTY = new Uint8Array(0);

const UNAVAILABLE: Record<string, string> = {
  queue_full: 'data collection is busy: write queue full',
  too_many_files: 'data collection is busy: every data file slot is in use',
  stopping: 'data collection is stopping',
};

export function dataCollectionExtension(opts: DcxOptions): DcxExtension {
  const { metrics, instanceName, log } = opts;
  const now = opts.now ?? Date.now;
  const appender = new JsonLinesAppender({
    dir: join(opts.dataDir, 'dcx'),
    maxQueueBytes: opts.maxQueueBytes,
    maxOpenFiles: opts.maxOpenFiles,
    flushDelayMs: opts.flushDelayMs,
    onWrite(name, samples, seconds, err) {
      if (err === null) {
        metrics.samplesWritten(samples);
        metrics.writeLatency(seconds);
      } else {
        log.error({ appVersionName: name, code: err.code, samples }, 'data-collection write failed');
      }
    },
  });

  const { service, replier } = espEndpoint(
    {
      bus: opts.bus,
      instanceName,
      kpcInstanceName: opts.kpcInstanceName,
      log,
      onUndecodable: () => metrics.refused(instanceName, 'undecodable'),
      onReplyFailed: () => metrics.replyFailed(instanceName),
    },
    (req, origin) => {
      metrics.handled(instanceName);
      const wantsAnswer = origin.requestId !== null;
      const refuse = (statusCode: number, reason: RefusalReason, reasonPhrase: string): void => {
        metrics.refused(instanceName, reason);
        if (wantsAnswer) replier.send(origin, { statusCode, reasonPhrase, payload: null });
      };
      const r = dcpLines(req, now(), opts.maxPayloadBytes);
      if (!r.ok) {
        refuse(r.statusCode, r.reason, r.reasonPhrase);
        return;
      }
      if (r.samples === 0) {
        if (wantsAnswer) replier.send(origin, { statusCode: 200, reasonPhrase: null, payload: EMPTY });
        return;
      }
      const refusal = appender.append(req.appVersionName, r.lines, r.samples, wantsAnswer ? written(origin) : failedOnly);
      if (refusal !== null) refuse(503, refusal, UNAVAILABLE[refusal] as string);
    },
  );

  function written(origin: Origin) {
    return (err: NodeJS.ErrnoException | null): void => {
      if (err === null) replier.send(origin, { statusCode: 200, reasonPhrase: null, payload: EMPTY });
      else {
        metrics.refused(instanceName, 'write_failed');
        replier.send(origin, { statusCode: 500, reasonPhrase: 'data collection could not write the samples', payload: null });
      }
    };
  }

  function failedOnly(err: NodeJS.ErrnoException | null): void {
    if (err !== null) metrics.refused(instanceName, 'write_failed');
  }

  return { service, close: () => appender.close() };
}
