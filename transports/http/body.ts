/**
 * Reading a request body from uWS, bounded while it streams.
 *
 * uWS hands the body in chunks through `onData`, which must be attached before the request
 * callback returns (the first chunk may already be in the same packet), and each chunk's
 * ArrayBuffer is neutered when the callback returns, so it is copied. Reading starts at once,
 * before the authorize hook runs: memory stays bounded by the limit, and an early refusal
 * (401, 404) lets uWS skip the rest by its own framing.
 *
 * Past the limit nothing more is kept and the read fails with ERR_BODY_TOO_LARGE: the reply is
 * then sent with `Connection: close`, since reading a body we will not use to its end is what
 * an attacker would want (RFC 9110 15.5.14 lets the server close the connection).
 */
import { FleetgateError } from '../../runtime/index.js';
import { HttpCodes } from './responses.js';

/** What the reader needs of a uWS response. */
export interface BodySource {
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): unknown;
}

export interface BodyReader {
  /** The whole body, or ERR_BODY_TOO_LARGE / ERR_CLIENT_ABORTED. Never an unhandled rejection. */
  readonly done: Promise<Buffer>;
  /** The limit was passed: the connection is to be closed after the reply. */
  readonly overflowed: boolean;
  /** The client went away (uWS `onAborted`). */
  abort(): void;
}

const EMPTY = Buffer.alloc(0);
const PREALLOCATE = 64 * 1024;
const MIN_CAPACITY = 16 * 1024;

export function readBody(src: BodySource, limit: number, contentLength: number | undefined): BodyReader {
  let resolve!: (b: Buffer) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<Buffer>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A refused request (401, 404) never awaits its body; its failure must not be unhandled.
  done.catch(() => undefined);

  // One growing buffer, not a list of chunks: a client sending a byte per packet costs a byte
  // each, not a Buffer object each. It starts at the announced length when that is small, and
  // grows by doubling, so memory follows the bytes received (at most twice), never the length a
  // client merely announces.
  let buf = EMPTY;
  let size = 0;
  let settled = false;
  const reader = {
    done,
    overflowed: false,
    abort(): void {
      if (settled) return;
      settled = true;
      reject(new FleetgateError(HttpCodes.CLIENT_ABORTED, 'the client closed the connection before the body arrived'));
    },
  };
  const initial = contentLength !== undefined && contentLength <= Math.min(limit, PREALLOCATE) ? contentLength : MIN_CAPACITY;

  src.onData((chunk, isLast) => {
    if (settled) return;
    const n = chunk.byteLength;
    if (size + n > limit) {
      settled = true;
      reader.overflowed = true;
      buf = EMPTY;
      reject(new FleetgateError(HttpCodes.BODY_TOO_LARGE, `the request body exceeds ${limit} bytes`, { data: { limit } }));
      return;
    }
    if (n > 0) {
      if (size + n > buf.length) {
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(size + n, buf.length * 2, initial)));
        buf.copy(grown, 0, 0, size);
        buf = grown;
      }
      buf.set(new Uint8Array(chunk), size);
      size += n;
    }
    if (!isLast) return;
    settled = true;
    resolve(size === buf.length ? buf : buf.subarray(0, size));
  });
  return reader;
}

/** `type/subtype` of a Content-Type, lower-case, without parameters (RFC 9110 8.3.1). */
export function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/** application/json, or a structured +json type (RFC 6839 3.1) such as merge-patch+json. */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** A Content-Length that is a plain decimal (RFC 9110 8.6); undefined when absent or not that. */
export function parseContentLength(header: string | undefined): number | undefined {
  if (header === undefined || header === '' || !/^\d{1,15}$/.test(header)) return undefined;
  return Number(header);
}
