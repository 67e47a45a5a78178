/**
 * The JSON-lines appender on a real file system: threads with their own descriptors appending to
 * one file, batching, the queue and open-file bounds, close, and a file that cannot be opened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { JsonLinesAppender, type AppendDone } from '../../actors/extensions/appender.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleetgate-appender-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const read = (name: string): string => readFileSync(join(dir, `${name}.jsonl`), 'utf8');
const doneP = (): { done: AppendDone; result: Promise<NodeJS.ErrnoException | null> } => {
  let done!: AppendDone;
  const result = new Promise<NodeJS.ErrnoException | null>((resolve) => {
    done = resolve;
  });
  return { done, result };
};

describe('JSON-lines appender', () => {
  it('several threads appending to one file never interleave their lines', async () => {
    const writers = 4;
    const appends = 300;
    const perAppend = 5;
    const url = new URL('./writer-worker.js', import.meta.url);
    const results = await Promise.all(
      Array.from(
        { length: writers },
        (_, w) =>
          new Promise<{ written: number; pending: number; failed: number }>((resolve, reject) => {
            const worker = new Worker(url, { workerData: { dir, name: 'shared', writer: `w${w}`, appends, perAppend } });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    for (const r of results) assert.deepEqual(r, { written: appends * perAppend, pending: 0, failed: 0 });
    const lines = read('shared').split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a line break');
    assert.equal(lines.length, writers * appends * perAppend);
    const next = new Map<string, number>();
    for (const line of lines) {
      const rec = JSON.parse(line) as { writer: string; seq: number; pad: string };
      assert.equal(rec.seq, next.get(rec.writer) ?? 0, `writer ${rec.writer} in order, whole lines only`);
      assert.equal(rec.pad.length, (rec.seq * 37) % 3000);
      next.set(rec.writer, rec.seq + 1);
    }
    assert.deepEqual([...next.values()], Array(writers).fill(appends * perAppend));
  });

  it('batches appends of one turn into the file in order and reports each append once', async () => {
    const written: Array<[string, number]> = [];
    const a = new JsonLinesAppender({ dir, maxQueueBytes: 1 << 20, maxOpenFiles: 4, flushDelayMs: 0, onWrite: (name, samples) => written.push([name, samples]) });
    const dones = Array.from({ length: 100 }, () => doneP());
    dones.forEach((d, i) => assert.equal(a.append('app', `{"i":${i}}\n`, 1, d.done), null));
    assert.deepEqual(await Promise.all(dones.map((d) => d.result)), Array(100).fill(null));
    assert.equal(read('app'), Array.from({ length: 100 }, (_, i) => `{"i":${i}}\n`).join(''));
    assert.deepEqual(written, [['app', 100]], 'one write for the whole turn');
    assert.equal(a.queuedBytes, 0);
    await a.close();
  });

  it('refuses an append that would overflow the queue, writes nothing of it, and takes more once written', async () => {
    const a = new JsonLinesAppender({ dir, maxQueueBytes: 100, maxOpenFiles: 4, flushDelayMs: 0 });
    const first = doneP();
    assert.equal(a.append('app', `${'a'.repeat(59)}\n`, 1, first.done), null);
    assert.equal(a.queuedBytes, 60);
    assert.equal(a.append('app', `${'b'.repeat(59)}\n`, 1, null), 'queue_full');
    assert.equal(a.append('app', `${'\u00e9'.repeat(20)}\n`, 1, null), 'queue_full', 'bytes, not characters: 41 bytes do not fit in 40');
    assert.equal(a.append('app', `${'c'.repeat(39)}\n`, 1, null), null, 'exactly up to the bound');
    assert.equal(await first.result, null);
    const last = doneP();
    assert.equal(a.append('app', `${'d'.repeat(59)}\n`, 1, last.done), null);
    assert.equal(await last.result, null);
    assert.equal(read('app'), `${'a'.repeat(59)}\n${'c'.repeat(39)}\n${'d'.repeat(59)}\n`);
    assert.equal(a.queuedBytes, 0);
    await a.close();
  });

  it('keeps at most maxOpenFiles open: closes the least recently used idle one, refuses when all are busy', async () => {
    const a = new JsonLinesAppender({ dir, maxQueueBytes: 1 << 20, maxOpenFiles: 2, flushDelayMs: 0 });
    const x = doneP();
    const y = doneP();
    assert.equal(a.append('x', 'x1\n', 1, x.done), null);
    assert.equal(a.append('y', 'y1\n', 1, y.done), null);
    assert.equal(a.append('z', 'z1\n', 1, null), 'too_many_files', 'both slots hold queued lines');
    await Promise.all([x.result, y.result]);
    const y2 = doneP();
    assert.equal(a.append('y', 'y2\n', 1, y2.done), null); // x is now the least recently used
    await y2.result;
    const z = doneP();
    assert.equal(a.append('z', 'z1\n', 1, z.done), null);
    assert.equal(a.openFiles, 2);
    await z.result;
    const x2 = doneP();
    assert.equal(a.append('x', 'x2\n', 1, x2.done), null, 'x reopens, y (idle, older than z) makes room');
    assert.equal(await x2.result, null);
    assert.equal(a.openFiles, 2);
    assert.deepEqual([read('x'), read('y'), read('z')], ['x1\nx2\n', 'y1\ny2\n', 'z1\n']);
    await a.close();
  });

  it('close writes what is queued, then refuses appends', async () => {
    const a = new JsonLinesAppender({ dir, maxQueueBytes: 1 << 20, maxOpenFiles: 2, flushDelayMs: 1000 });
    const d = doneP();
    assert.equal(a.append('app', 'one\n', 1, d.done), null);
    assert.equal(a.append('app', 'two\n', 1, null), null);
    await a.close();
    assert.equal(await d.result, null);
    assert.equal(read('app'), 'one\ntwo\n');
    assert.equal(a.append('app', 'three\n', 1, null), 'stopping');
    assert.equal(a.openFiles, 0);
    await a.close();
    assert.equal(read('app'), 'one\ntwo\n');
  });

  it('a file that cannot be opened fails its appends with the error and frees their bytes', async () => {
    const a = new JsonLinesAppender({ dir: join(dir, 'gone'), maxQueueBytes: 1 << 20, maxOpenFiles: 2, flushDelayMs: 0 });
    rmSync(join(dir, 'gone'), { recursive: true });
    const d = doneP();
    assert.equal(a.append('app', 'one\n', 1, d.done), null);
    assert.equal((await d.result)?.code, 'ENOENT');
    assert.equal(a.queuedBytes, 0);
    assert.equal(a.openFiles, 0);
    await a.close();
  });

  it('a name that is not a safe file name is misuse', () => {
    const a = new JsonLinesAppender({ dir, maxQueueBytes: 1 << 20, maxOpenFiles: 2, flushDelayMs: 0 });
    for (const name of ['../x', 'a/b', '.', '']) assert.throws(() => a.append(name, 'x\n', 1, null), TypeError);
    assert.throws(() => new JsonLinesAppender({ dir, maxQueueBytes: 0, maxOpenFiles: 2, flushDelayMs: 0 }), TypeError);
  });
});
