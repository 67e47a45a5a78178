/** Shared by the HTTP tests: a real server on 127.0.0.1, raw-socket exchanges, a captured log. */
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { startHttpServer, type HttpServer, type HttpServerOptions } from '../../transports/http/index.js';

export const silent: Logger = pino({ level: 'silent' });

export function serve(opts: Omit<HttpServerOptions, 'host' | 'port'> & { port?: number }): Promise<HttpServer> {
  return startHttpServer({ host: '127.0.0.1', port: 0, log: silent, ...opts });
}

/** A logger whose lines are kept, to assert what is (and is not) logged. */
export function capturedLog(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const text: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb): void {
      text.push(chunk.toString());
      cb();
    },
  });
  const log = pino({ level: 'info' }, sink);
  return { log, lines: () => text.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Parses one HTTP/1.1 response with a Content-Length (or none, for 204/HEAD) off `buf`. */
export function parseResponse(buf: Buffer, head = false): { res: RawResponse; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number((lines[0] ?? '').split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  const len = head || status === 204 ? 0 : Number(headers['content-length'] ?? 0);
  if (buf.length < end + 4 + len) return undefined;
  return { res: { status, headers, body: buf.subarray(end + 4, end + 4 + len) }, rest: buf.subarray(end + 4 + len) };
}

/** A raw connection that reads responses one by one. */
export class RawClient {
  readonly socket: Socket;
  #buf: Buffer = Buffer.alloc(0);
  #closed = false;
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The next response; rejects if the connection closes first. */
  async response(head = false): Promise<RawResponse> {
    for (;;) {
      const parsed = parseResponse(this.#buf, head);
      if (parsed !== undefined) {
        this.#buf = parsed.rest;
        return parsed.res;
      }
      if (this.#closed) throw new Error(`connection closed with ${this.#buf.length} bytes unparsed: ${JSON.stringify(this.#buf.subarray(0, 200).toString('latin1'))}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /** Resolves when the server closed the connection. */
  async untilClosed(): Promise<void> {
    while (!this.#closed) await new Promise<void>((r) => this.#waiters.push(r));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: unknown }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** A promise with its resolver, for handlers held open by a test. */
export function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void } {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}
