/**
 * A thread that appends numbered lines to one data file through its own appender (its own file
 * descriptor), for the test that several writers never interleave their lines.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JsonLinesAppender } from '../../actors/extensions/appender.js';

interface Job {
  dir: string;
  name: string;
  writer: string;
  appends: number;
  /** Samples per append; every line padded to its index's width so batches differ in size. */
  perAppend: number;
}

const job = workerData as Job;
const appender = new JsonLinesAppender({ dir: job.dir, maxQueueBytes: 64 * 1024 * 1024, maxOpenFiles: 4, flushDelayMs: 0 });
let seq = 0;
let pending = 0;
let failed = 0;

function batch(): void {
  for (let a = 0; a < 50 && seq < job.appends * job.perAppend; a++) {
    let lines = '';
    for (let i = 0; i < job.perAppend; i++) {
      lines += `${JSON.stringify({ writer: job.writer, seq, pad: 'x'.repeat((seq * 37) % 3000) })}\n`;
      seq++;
    }
    pending++;
    const refused = appender.append(job.name, lines, job.perAppend, (err) => {
      if (err !== null) failed++;
      pending--;
    });
    if (refused !== null) throw new Error(`append refused: ${refused}`);
  }
  if (seq < job.appends * job.perAppend) setImmediate(batch);
  else void appender.close().then(() => parentPort?.postMessage({ written: seq, pending, failed }));
}
batch();
