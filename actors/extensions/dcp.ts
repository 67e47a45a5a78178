/**
 * 2/DCP, data collection, as a pure function: one ClientData request in, the JSON lines to append
 * (or the status to refuse it with) out. No I/O, so every rule here is tested without a bus or a
 * file.
 *
 * Resource paths (kaa-rfcs 0002; DCX extras from the Kaa docs):
 *  - `/json`: a JSON array of samples of any type; a single non-array JSON value is accepted as
 *    one sample. `/json/<x>` (one more level) is accepted the same way, `<x>` is not recorded.
 *  - `/plain/<metric>`: the body is one sample, a number when it reads as a JSON number, else the
 *    UTF-8 text as a string.
 * Each sample becomes one line `{"endpointId","appVersionName","receivedAt","metric"?,"sample"}`,
 * `receivedAt` in ms since the epoch. Refusals: 413 for a payload over the bound, 400 for
 * anything else that is wrong; a refused request writes nothing (all samples or none).
 */
import type { RefusalReason } from './metrics.js';

/** What a data file may be named after: Kaa application version names (`a-z0-9-_`, upper case
 *  tolerated), so never a dot, a slash or anything else that could leave the data directory. */
export const APP_VERSION_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Bodies up to this many characters keep a single sample's own text (see dcpLines). */
const ONE_SAMPLE_RAW_MAX = 4096;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
// One topic level: no separator, no MQTT wildcard, no control character.
const LEVEL = /^[^/+#\u0000-\u001f\u007f]{1,256}$/;

export interface DcpRequest {
  readonly appVersionName: string;
  readonly endpointId: string | null;
  readonly resourcePath: string;
  readonly payload: Uint8Array;
}

export type DcpResult =
  | { readonly ok: true; readonly lines: string; readonly samples: number }
  | { readonly ok: false; readonly statusCode: 400 | 413; readonly reason: RefusalReason; readonly reasonPhrase: string };

function refuse(statusCode: 400 | 413, reason: RefusalReason, reasonPhrase: string): DcpResult {
  return { ok: false, statusCode, reason, reasonPhrase };
}

// Fatal: a body that is not UTF-8 is refused, not patched with U+FFFD (RFC 8259 8.1); a leading
// byte order mark is dropped (8.1 lets a parser ignore it). One call checks and decodes, cheaper
// than a check and then a Buffer view's toString.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

// Strings that need no JSON escaping (Kaa endpoint ids and app names) skip JSON.stringify.
const PLAIN = /^[A-Za-z0-9._~-]*$/;
function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** Turns one request into its lines. `receivedAt` is ms since the epoch. */
export function dcpLines(req: DcpRequest, receivedAt: number, maxPayloadBytes: number): DcpResult {
  if (!APP_VERSION_NAME.test(req.appVersionName)) {
    return refuse(400, 'bad_app_version', 'appVersionName must be 1 to 128 characters of A-Z a-z 0-9 _ -');
  }
  const path = req.resourcePath;
  let metric: string | null = null;
  if (path.startsWith('/plain/')) {
    metric = path.slice('/plain/'.length);
    if (!LEVEL.test(metric)) return refuse(400, 'unknown_path', 'unknown resource path: /plain/<metric> takes one level naming the metric');
  } else if (path !== '/json' && !(path.startsWith('/json/') && LEVEL.test(path.slice('/json/'.length)))) {
    return refuse(400, 'unknown_path', 'unknown resource path: 2/DCP serves /json and /plain/<metric>');
  }
  const payload = req.payload;
  if (payload.byteLength > maxPayloadBytes) {
    return refuse(413, 'too_large', `payload of ${payload.byteLength} bytes is over the ${maxPayloadBytes}-byte bound`);
  }
  if (payload.byteLength === 0) return refuse(400, 'bad_payload', metric === null ? 'empty payload: a JSON array of samples expected' : 'empty payload: a number or a string expected');
  let body: string;
  try {
    body = UTF8.decode(payload);
  } catch {
    return refuse(400, 'bad_payload', 'payload is not UTF-8');
  }

  // appVersionName matched APP_VERSION_NAME above: nothing in it to escape.
  const head =
    `{"endpointId":${req.endpointId === null ? 'null' : jsonString(req.endpointId)},"appVersionName":"${req.appVersionName}","receivedAt":${receivedAt}` +
    (metric === null ? '' : `,"metric":${JSON.stringify(metric)}`) +
    ',"sample":';

  if (metric !== null) {
    const trimmed = body.trim();
    const sample = NUMBER.test(trimmed) && Number.isFinite(Number(trimmed)) ? trimmed : JSON.stringify(body);
    return { ok: true, lines: `${head}${sample}}\n`, samples: 1 };
  }

  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return refuse(400, 'bad_payload', 'payload is not valid JSON');
  }
  try {
    if (!Array.isArray(value)) {
      // JSON text holds a raw line break only as whitespace (inside strings it is escaped), so
      // text without one is already a single line: keep the device's own bytes.
      const one = body.includes('\n') || body.includes('\r') ? JSON.stringify(value) : body.trim();
      return { ok: true, lines: `${head}${one}}\n`, samples: 1 };
    }
    if (value.length === 1 && body.length <= ONE_SAMPLE_RAW_MAX && !body.includes('\n') && !body.includes('\r')) {
      // One sample, the common case: JSON.parse accepted the text, so between the outer brackets
      // there is that one value and JSON whitespace only. Keep the device's own bytes. (Small
      // bodies only: a longer one goes through JSON.stringify, which refuses absurd nesting.)
      const text = body.trim();
      return { ok: true, lines: `${head}${text.slice(1, -1).trim()}}\n`, samples: 1 };
    }
    let lines = '';
    for (const sample of value) lines += `${head}${JSON.stringify(sample)}}\n`;
    return { ok: true, lines, samples: value.length };
  } catch {
    // JSON.stringify recurses: a sample nested deeply enough overflows the stack.
    return refuse(400, 'bad_payload', 'a sample is nested too deeply');
  }
}
