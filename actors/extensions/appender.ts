/**
 * Batched appends to JSON-lines files, one file per name in one directory: what the
 * data-collection extension writes through. Built for many small appends per second from one
 * thread while other threads (other shards, other replicas on the same disk) append to the same
 * files.
 *
 * - Batching: appends gather per file and go out as ONE write call per file per flush (the next
 *   event-loop turn, or `flushDelayMs` later); while a file's write is in flight, what arrives
 *   gathers for the next one, so a slow disk makes batches larger, not writes more numerous.
 * - No interleaving: files are opened O_APPEND and every write holds whole lines, so writers with
 *   their own descriptors never split each other's lines (for a regular file, Linux serialises
 *   O_APPEND writes on the inode). A short write happens only when the disk is failing
 *   (ENOSPC, EIO); the rest is then retried and the error of the retry, if any, reported.
 * - Bounded: at most `maxQueueBytes` of lines are held (queued or being written) and at most
 *   `maxOpenFiles` files are open; the least recently used idle file is closed to make room. An
 *   append beyond either bound is refused at once and nothing of it is written.
 * - `close()` writes what is queued, waits for the writes in flight and closes every file.
 */
import { close as fsClose, mkdirSync, open as fsOpen, write as fsWrite } from 'node:fs';
import { join } from 'node:path';
import { APP_VERSION_NAME } from './dcp.js';

export type AppendRefusal = 'queue_full' | 'too_many_files' | 'stopping';

/** Called once per append after its lines were written (err null) or could not be. */
export type AppendDone = (err: NodeJS.ErrnoException | null) => void;

export interface AppenderOptions {
  /** Directory of the files; created when missing. */
  dir: string;
  maxQueueBytes: number;
  maxOpenFiles: number;
  /** 0: flush on the next event-loop turn. */
  flushDelayMs: number;
  /** After every write: the file's name, lines' samples, and how long the write took. */
  onWrite?: (name: string, samples: number, seconds: number, err: NodeJS.ErrnoException | null) => void;
}

interface FileState {
  readonly name: string;
  readonly path: string;
  fd: number;
  /** An open or a write is in flight. */
  busy: boolean;
  pending: string[];
  pendingBytes: number;
  pendingSamples: number;
  pendingDone: AppendDone[];
  lastUse: number;
}

export class JsonLinesAppender {
  readonly #opts: AppenderOptions;
  readonly #files = new Map<string, FileState>();
  readonly #dirty = new Set<FileState>();
  #queuedBytes = 0;
  #busyCount = 0;
  #tick = 0;
  #flushScheduled = false;
  #closing = false;
  #idleWaiters: Array<() => void> = [];

  constructor(opts: AppenderOptions) {
    if (!Number.isInteger(opts.maxQueueBytes) || opts.maxQueueBytes < 1) throw new TypeError('maxQueueBytes must be a positive integer');
    if (!Number.isInteger(opts.maxOpenFiles) || opts.maxOpenFiles < 1) throw new TypeError('maxOpenFiles must be a positive integer');
    if (!Number.isInteger(opts.flushDelayMs) || opts.flushDelayMs < 0) throw new TypeError('flushDelayMs must be an integer >= 0');
    this.#opts = opts;
    mkdirSync(opts.dir, { recursive: true, mode: 0o750 });
  }

  /** Bytes of lines held now (queued or being written). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Files open (or opening) now. */
  get openFiles(): number {
    return this.#files.size;
  }

  /**
   * Queues `lines` (whole lines, each ending in `\n`) for `<dir>/<name>.jsonl`. Returns null when
   * queued (`done`, if given, follows after the write), or why nothing was queued.
   */
  append(name: string, lines: string, samples: number, done: AppendDone | null): AppendRefusal | null {
    if (this.#closing) return 'stopping';
    const bytes = Buffer.byteLength(lines);
    if (this.#queuedBytes + bytes > this.#opts.maxQueueBytes) return 'queue_full';
    let f = this.#files.get(name);
    if (f === undefined) {
      if (!APP_VERSION_NAME.test(name)) throw new TypeError('a data file name must be 1 to 128 characters of A-Z a-z 0-9 _ -');
      if (this.#files.size >= this.#opts.maxOpenFiles && !this.#evictOne()) return 'too_many_files';
      f = { name, path: join(this.#opts.dir, `${name}.jsonl`), fd: -1, busy: false, pending: [], pendingBytes: 0, pendingSamples: 0, pendingDone: [], lastUse: 0 };
      this.#files.set(name, f);
    }
    f.pending.push(lines);
    f.pendingBytes += bytes;
    f.pendingSamples += samples;
    if (done !== null) f.pendingDone.push(done);
    f.lastUse = ++this.#tick;
    this.#queuedBytes += bytes;
    this.#dirty.add(f);
    this.#scheduleFlush();
    return null;
  }

  /** Writes what is queued, waits for every write and closes every file. Idempotent. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#flush();
    if (this.#busyCount > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    const closing: Array<Promise<void>> = [];
    for (const f of this.#files.values()) {
      if (f.fd >= 0) {
        const fd = f.fd;
        f.fd = -1;
        closing.push(new Promise((resolve) => fsClose(fd, () => resolve())));
      }
    }
    this.#files.clear();
    await Promise.all(closing);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    const run = (): void => {
      this.#flushScheduled = false;
      this.#flush();
    };
    if (this.#opts.flushDelayMs === 0) setImmediate(run);
    else setTimeout(run, this.#opts.flushDelayMs);
  }

  #flush(): void {
    for (const f of this.#dirty) if (!f.busy) this.#start(f);
    this.#dirty.clear();
  }

  /** Closes the least recently used idle file; false when every file is busy. */
  #evictOne(): boolean {
    let victim: FileState | undefined;
    for (const f of this.#files.values()) {
      if (f.busy || f.pending.length > 0) continue;
      if (victim === undefined || f.lastUse < victim.lastUse) victim = f;
    }
    if (victim === undefined) return false;
    this.#files.delete(victim.name);
    if (victim.fd >= 0) fsClose(victim.fd, () => {});
    return true;
  }

  #setBusy(f: FileState, busy: boolean): void {
    if (f.busy === busy) return;
    f.busy = busy;
    this.#busyCount += busy ? 1 : -1;
    if (this.#busyCount === 0 && this.#idleWaiters.length > 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  #start(f: FileState): void {
    if (f.pending.length === 0) return;
    if (f.fd < 0) {
      this.#setBusy(f, true);
      fsOpen(f.path, 'a', 0o640, (err, fd) => {
        if (err !== null) {
          this.#files.delete(f.name);
          this.#fail(f, err);
          this.#setBusy(f, false);
          return;
        }
        f.fd = fd;
        // Still busy: the write follows at once, so close() cannot slip in between.
        this.#write(f);
      });
      return;
    }
    this.#setBusy(f, true);
    this.#write(f);
  }

  /** Drops what `f` has queued, telling each append why. */
  #fail(f: FileState, err: NodeJS.ErrnoException): void {
    const done = f.pendingDone;
    this.#queuedBytes -= f.pendingBytes;
    this.#opts.onWrite?.(f.name, f.pendingSamples, 0, err);
    f.pending = [];
    f.pendingBytes = 0;
    f.pendingSamples = 0;
    f.pendingDone = [];
    for (const d of done) d(err);
  }

  #write(f: FileState): void {
    const buf = Buffer.from(f.pending.length === 1 ? (f.pending[0] as string) : f.pending.join(''), 'utf8');
    const bytes = f.pendingBytes;
    const samples = f.pendingSamples;
    const done = f.pendingDone;
    f.pending = [];
    f.pendingBytes = 0;
    f.pendingSamples = 0;
    f.pendingDone = [];
    const t0 = process.hrtime.bigint();
    const fd = f.fd;

    const finish = (err: NodeJS.ErrnoException | null): void => {
      this.#queuedBytes -= bytes;
      this.#opts.onWrite?.(f.name, samples, Number(process.hrtime.bigint() - t0) / 1e9, err);
      if (err !== null && this.#files.get(f.name) === f) {
        // Reopen on the next append: the descriptor may be what failed.
        this.#files.delete(f.name);
        f.fd = -1;
        fsClose(fd, () => {});
        this.#fail(f, err);
      }
      for (const d of done) d(err);
      if (f.pending.length > 0 && this.#files.get(f.name) === f) {
        this.#write(f);
        return;
      }
      this.#setBusy(f, false);
    };

    const writeFrom = (offset: number): void => {
      fsWrite(fd, buf, offset, buf.length - offset, null, (err, n) => {
        if (err !== null) finish(err);
        else if (offset + n < buf.length) writeFrom(offset + n);
        else finish(null);
      });
    };
    writeFrom(0);
  }
}
