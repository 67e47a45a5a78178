/**
 * Writing an HttpResponse to a uWS response: serialisation (pure), then the socket side:
 * corking, abort, back-pressure.
 *
 * uWS rules this follows: a response must not be touched after `onAborted` fired or after it was
 * ended; writes outside the request callback must be corked (one syscall for status, headers and
 * body); a large body goes through `tryEnd`, and what the socket did not take is retried from
 * `onWritable` at the offset uWS reports, so a 10 MB answer to a slow reader is neither copied
 * into uWS's buffer at once nor cut short.
 */
import { isBodiless, statusLine } from './status.js';
import type { HttpResponse } from './types.js';

export interface WireResponse {
  readonly status: number;
  readonly statusLine: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** undefined: no content at all (204, 304); an empty buffer: Content-Length 0. */
  readonly body: Buffer | undefined;
}

/** Framing and hop-by-hop fields are the transport's (RFC 9110 7.6.1, 8.6); a handler's are dropped. */
const OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'date']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 5.5: field values are visible characters, spaces and tabs; CR or LF would split the
 *  response (header injection), so they are refused rather than written. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface CheckedHeaders {
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly contentType: string | undefined;
}

/** Frozen header objects (constants that many answers share, such as `no-store`) are checked
 *  once: the check is most of the cost of serialising a small answer. */
const checkedOnce = new WeakMap<object, CheckedHeaders>();

function checkHeaders(given: Readonly<Record<string, string>>): CheckedHeaders {
  const headers: Array<readonly [string, string]> = [];
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(given)) {
    const key = name.toLowerCase();
    if (!TOKEN.test(key)) throw new TypeError(`response header name ${JSON.stringify(name)} is not a token`);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) throw new TypeError(`response header ${key} has an invalid value`);
    if (OWNED.has(key)) continue;
    if (key === 'content-type') contentType ??= value;
    else headers.push([key, value]);
  }
  return { headers, contentType };
}

/** TypeError for a malformed response (a bug of the handler, answered 500 by the caller). */
export function serialize(r: HttpResponse): WireResponse {
  const given = r.headers ?? EMPTY_HEADERS;
  let checked = checkedOnce.get(given);
  if (checked === undefined) {
    checked = checkHeaders(given);
    if (Object.isFrozen(given)) checkedOnce.set(given, checked);
  }
  const headers = checked.headers.slice();
  let contentType = r.contentType ?? checked.contentType;
  if (isBodiless(r.status)) return { status: r.status, statusLine: statusLine(r.status), headers, body: undefined };

  let body: Buffer;
  if (r.body === undefined) {
    body = EMPTY;
  } else if (Buffer.isBuffer(r.body)) {
    body = r.body;
    contentType ??= 'application/octet-stream';
  } else if (typeof r.body === 'string') {
    body = Buffer.from(r.body, 'utf8');
    contentType ??= 'text/plain; charset=utf-8';
  } else {
    body = Buffer.from(JSON.stringify(r.body), 'utf8');
    contentType ??= 'application/json';
  }
  if (contentType !== undefined) {
    if (!FIELD_VALUE.test(contentType)) throw new TypeError('response content type has an invalid value');
    headers.push(['content-type', contentType]);
    // Browsers must not guess a type we did not send (JSON rendered as HTML).
    headers.push(['x-content-type-options', 'nosniff']);
  }
  return { status: r.status, statusLine: statusLine(r.status), headers, body };
}

const EMPTY = Buffer.alloc(0);
const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Bodies up to this size are handed to uWS in one `end`; larger ones are streamed. */
const SMALL = 64 * 1024;

/** What the writer needs of a uWS response. */
export interface ResponseSink {
  cork(cb: () => void): unknown;
  writeStatus(status: string): unknown;
  writeHeader(key: string, value: string): unknown;
  end(body?: Uint8Array | string, closeConnection?: boolean): unknown;
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): unknown;
  tryEnd(chunk: Uint8Array, totalSize: number): [boolean, boolean];
  getWriteOffset(): number;
  onWritable(handler: (offset: number) => boolean): unknown;
  onAborted(handler: () => void): unknown;
}

/**
 * One exchange's response side. `onAborted` is attached at construction, in the request
 * callback, as uWS requires of any response not ended before the callback returns.
 * `onDone` runs exactly once: when the last byte was handed to the socket, or on abort.
 */
export class Exchange {
  #state: 'open' | 'writing' | 'done' = 'open';
  #aborted = false;
  readonly #res: ResponseSink;
  readonly #onDone: () => void;
  readonly #onAbort: (() => void) | undefined;

  constructor(res: ResponseSink, onDone: () => void, onAbort?: () => void) {
    this.#res = res;
    this.#onDone = onDone;
    this.#onAbort = onAbort;
    res.onAborted(() => {
      this.#aborted = true;
      this.#onAbort?.();
      this.#finish();
    });
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Writes the response, once; a no-op after an abort. `head`: headers only (RFC 9110 9.3.2).
   *  `close`: ask uWS to close the connection after it (small bodies: the 413 and shutdown
   *  answers). */
  send(w: WireResponse, head: boolean, close: boolean): void {
    if (this.#state !== 'open' || this.#aborted) return;
    this.#state = 'writing';
    const res = this.#res;
    let streaming = false;
    res.cork(() => {
      res.writeStatus(w.statusLine);
      for (const [k, v] of w.headers) res.writeHeader(k, v);
      if (w.body === undefined || head) {
        // No Content-Length for 204/304 (RFC 9110 8.6). For HEAD none is reported either:
        // uWS 20.30 loses the connection's framing when endWithoutBody is given a length.
        // Neither closes the connection: uWS only closes with a length, which 8.6 forbids here.
        res.endWithoutBody();
      } else if (w.body.length <= SMALL) {
        res.end(w.body, close);
      } else {
        // tryEnd cannot ask for a close; a large answer while closing keeps its back-pressure
        // and the connection goes when the server's close() drops the app.
        streaming = !this.#stream(w.body);
      }
    });
    if (!streaming) this.#finish();
  }

  /** True when uWS took the whole body at once. */
  #stream(body: Buffer): boolean {
    const res = this.#res;
    const total = body.length;
    const start = res.getWriteOffset();
    const [, done] = res.tryEnd(body, total);
    // With the whole body given, "not done" means back-pressure: the rest waits for writable.
    if (done) return true;
    res.onWritable((offset) => {
      if (this.#aborted) return true;
      const [more, finished] = res.tryEnd(body.subarray(offset - start), total);
      if (finished) this.#finish();
      return more;
    });
    return false;
  }

  #finish(): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#onDone();
  }
}
