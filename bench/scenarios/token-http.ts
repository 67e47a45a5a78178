/**
 * A lean HTTP/1.1 keep-alive client for the `token` bench: one TCP connection sends one fixed,
 * pre-encoded request at a time and reads one answer (Content-Length or chunked). The request
 * bytes are built once, so the generator spends its CPU on the server's answers, not on
 * building requests: on a 2-core machine the load generator shares the cores with the server
 * under test, and a heavier client would cap both sides' figures alike.
 *
 * No pipelining: a byte arriving after a complete answer is a protocol error, the connection
 * is dropped.
 */
import { connect, type Socket } from 'node:net';
import { BenchError } from '../errors.js';

export const HttpCodes = {
  CLOSED: 'ERR_HTTP_CLOSED',
  PROTOCOL: 'ERR_HTTP_PROTOCOL',
  CONNECT: 'ERR_HTTP_CONNECT',
} as const;

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 256 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

export interface HttpAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/** The bytes of a POST with a form body; `headers` are added as given (lower-case names). */
export function encodePost(host: string, port: number, path: string, headers: Readonly<Record<string, string>>, body: string): Buffer {
  const b = Buffer.from(body, 'utf8');
  const lines = [`POST ${path} HTTP/1.1`, `host: ${host}:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${b.length}`, '', ''];
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), b]);
}

export class FixedRequestConnection {
  readonly #socket: Socket;
  #buf: Buffer = Buffer.alloc(0);
  #pending: { resolve: (a: HttpAnswer) => void; reject: (e: Error) => void } | undefined;
  #dead: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('error', (e) => this.#fail(new BenchError(HttpCodes.CLOSED, `connection error: ${e.message}`)));
    socket.on('close', () => this.#fail(new BenchError(HttpCodes.CLOSED, 'connection closed by the server')));
  }

  static open(host: string, port: number): Promise<FixedRequestConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port, noDelay: true });
      s.once('connect', () => {
        s.removeAllListeners('error');
        resolve(new FixedRequestConnection(s));
      });
      s.once('error', (e) => reject(new BenchError(HttpCodes.CONNECT, `cannot connect to ${host}:${port}: ${e.message}`)));
    });
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Sends `request` and resolves with the answer. One at a time per connection. */
  send(request: Buffer): Promise<HttpAnswer> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    if (this.#pending !== undefined) return Promise.reject(new BenchError(HttpCodes.PROTOCOL, 'a request is already in flight on this connection'));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#socket.write(request);
    });
  }

  close(): void {
    this.#dead ??= new BenchError(HttpCodes.CLOSED, 'closed');
    this.#socket.destroy();
  }

  #fail(err: Error): void {
    if (this.#dead === undefined) this.#dead = err;
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(this.#dead);
    this.#socket.destroy();
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    if (this.#pending === undefined) {
      this.#fail(new BenchError(HttpCodes.PROTOCOL, 'bytes arrived with no request in flight'));
      return;
    }
    let parsed: { answer: HttpAnswer; used: number } | undefined;
    try {
      parsed = parseAnswer(this.#buf);
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    if (parsed === undefined) return;
    if (parsed.used !== this.#buf.length) {
      this.#fail(new BenchError(HttpCodes.PROTOCOL, 'bytes beyond the answer (no pipelining here)'));
      return;
    }
    this.#buf = Buffer.alloc(0);
    const p = this.#pending;
    this.#pending = undefined;
    p.resolve(parsed.answer);
  }
}

/** One complete answer at the start of `buf`, or undefined when more bytes are needed. */
export function parseAnswer(buf: Buffer): { answer: HttpAnswer; used: number } | undefined {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) {
    if (buf.length > MAX_HEADER_BYTES) throw new BenchError(HttpCodes.PROTOCOL, 'header section too large');
    return undefined;
  }
  const head = buf.toString('latin1', 0, end);
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (m === null) throw new BenchError(HttpCodes.PROTOCOL, `not an HTTP/1.x status line: ${(lines[0] ?? '').slice(0, 60)}`);
  const status = Number(m[1]);
  let length: number | undefined;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding' && value.toLowerCase().includes('chunked')) chunked = true;
  }
  const start = end + 4;
  if (chunked) return parseChunked(buf, start, status);
  if (length === undefined || !Number.isInteger(length) || length < 0 || length > MAX_BODY_BYTES) {
    throw new BenchError(HttpCodes.PROTOCOL, `unusable content-length ${String(length)}`);
  }
  if (buf.length < start + length) return undefined;
  return { answer: { status, body: buf.subarray(start, start + length) }, used: start + length };
}

function parseChunked(buf: Buffer, from: number, status: number): { answer: HttpAnswer; used: number } | undefined {
  const parts: Buffer[] = [];
  let at = from;
  let total = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return undefined;
    const size = parseInt(buf.toString('latin1', at, eol).split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw new BenchError(HttpCodes.PROTOCOL, 'bad chunk size');
    total += size;
    if (total > MAX_BODY_BYTES) throw new BenchError(HttpCodes.PROTOCOL, 'chunked body too large');
    const dataStart = eol + 2;
    if (size === 0) {
      // No trailers expected: the last chunk is followed by an empty line.
      if (buf.length < dataStart + 2) return undefined;
      return { answer: { status, body: Buffer.concat(parts) }, used: dataStart + 2 };
    }
    if (buf.length < dataStart + size + 2) return undefined;
    parts.push(buf.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}
