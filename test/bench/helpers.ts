/**
 * Test helpers for the bench: virtual time for the load loop, a well-formedness check for the
 * report's SVG, a capturing CLI io, and an in-process aedes broker on a loopback port.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

/** Virtual milliseconds with timers that fire only when `runUntilSettled` moves time. */
export class FakeTime {
  #now = 0;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; seq: number; fn: () => void }>();

  now = (): number => this.#now;

  setTimer = (fn: () => void, ms: number): (() => void) => {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, fn });
    return () => this.#timers.delete(id);
  };

  /** Settles `p`, firing timers in time order whenever nothing else can move. */
  async runUntilSettled<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    const done = p.finally(() => {
      settled = true;
    });
    for (let guard = 0; guard < 10_000_000; guard++) {
      // Let every pending promise continuation run before deciding that time must move.
      await new Promise<void>((r) => setImmediate(r));
      if (settled) return done;
      let next: { id: number; at: number; seq: number; fn: () => void } | undefined;
      for (const [id, t] of this.#timers) {
        if (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = { id, ...t };
      }
      if (next === undefined) throw new Error('FakeTime: the promise waits on nothing');
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    throw new Error('FakeTime: too many steps');
  }
}

/**
 * A strict enough XML well-formedness check for generated SVG: every tag closes in order,
 * attributes are quoted, no stray '<' or '&' in text.
 */
export function checkWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:lt|gt|amp|quot|apos|#\d+);)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml)) !== null) {
    if (m[2] === undefined) throw new Error(`stray "${m[0]}" at ${m.index}: ${xml.slice(m.index, m.index + 40)}`);
    const [, closing, name, , selfClosing] = m;
    if (closing === '/') {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}> at ${m.index}`);
    } else if (selfClosing !== '/') stack.push(name);
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
}

export interface CapturedIo {
  readonly out: string[];
  readonly err: string[];
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export function captureIo(): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l) };
}

export interface TestBroker {
  readonly port: number;
  close(): Promise<void>;
}

/** aedes in this process, accepting exactly `username` / `password` (CONNACK 5 otherwise). */
export async function startAedes(username: string, password: string): Promise<TestBroker> {
  const broker = await Aedes.createBroker({
    authenticate(_client, u, p, done) {
      done(null, u === username && p?.toString('utf8') === password);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

/** FLEETGATE_REQUIRE_SERVERS=1 turns "server missing, skipped" into a failure (CI with servers). */
export const REQUIRE_SERVERS = process.env['FLEETGATE_REQUIRE_SERVERS'] === '1';
