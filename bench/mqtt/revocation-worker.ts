/**
 * A worker thread holding one SessionGroup of a revocation storm (started by revocation.ts,
 * never imported). Spreading the sessions over threads spreads the client's own work on the
 * ends, which would otherwise queue behind each other in one event loop and add to the figure.
 *
 * Order: open -> `opened` (or `failed`); `arm` (the trigger is about to be sent) -> `collect`
 * -> `report` once every session ended or at the deadline; then the thread ends on `stop`.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { errorCode, errorMessage } from '../errors.js';
import { SessionGroup, type GroupReport, type SessionGroupOptions } from './revocation-group.js';

export type ToRevocationWorker = { readonly type: 'arm' } | { readonly type: 'collect'; readonly deadlineEpochMs: number } | { readonly type: 'stop' };
export type FromRevocationWorker =
  | { readonly type: 'opened' }
  | { readonly type: 'failed'; readonly code: string; readonly message: string }
  | { readonly type: 'report'; readonly report: GroupReport };

if (parentPort === null) throw new TypeError('revocation-worker.js must run as a worker thread');
const port: MessagePort = parentPort;
const post = (m: FromRevocationWorker): void => port.postMessage(m);
const group = new SessionGroup(workerData as SessionGroupOptions);

port.on('message', (m: ToRevocationWorker) => {
  if (m.type === 'arm') group.arm();
  else if (m.type === 'collect') void group.collect(m.deadlineEpochMs).then((report) => post({ type: 'report', report }));
  else {
    group.destroy();
    port.close();
  }
});

group.open().then(
  () => post({ type: 'opened' }),
  (err: unknown) => {
    group.destroy();
    post({ type: 'failed', code: errorCode(err), message: errorMessage(err) });
  },
);
