/**
 * NATS subject syntax, checked the same way for both bus implementations so that a subject the
 * in-process bus accepts is one nats-server accepts too. Rules (nats-server `server/sublist.go`,
 * `IsValidSubject` / `IsValidLiteralSubject`): tokens are separated by `.`, no token is empty,
 * no whitespace; `*` and `>` are wildcards only as whole tokens, and `>` only as the last token.
 * A bad subject is a programming error of the caller, hence TypeError (STYLE 9).
 */

const DOT = 46;
const STAR = 42;
const GT = 62;

/** Returns a reason when `s` is not a valid subject, or undefined. `wildcards`: patterns allowed. */
function problem(s: string, wildcards: boolean): string | undefined {
  if (typeof s !== 'string' || s.length === 0) return 'empty subject';
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? DOT : s.charCodeAt(i);
    if (c <= 32 || c === 127) return 'whitespace or control character';
    if (c !== DOT) continue;
    const len = i - start;
    if (len === 0) return 'empty token';
    if (len === 1) {
      const t = s.charCodeAt(start);
      if (t === STAR || t === GT) {
        if (!wildcards) return 'wildcard in a literal subject';
        if (t === GT && i !== s.length) return '">" must be the last token';
      }
    }
    start = i + 1;
  }
  return undefined;
}

/** Literal subjects found valid lately: a publisher sends to the same few subjects, and a string
 *  that stays the same object keeps its hash, so the second check is one lookup. */
const validLiterals = new Set<string>();
const VALID_LITERALS_MAX = 4096;

/** A literal subject: the target of publish and request, and a replyTo. */
export function assertLiteralSubject(s: string, what = 'subject'): void {
  if (validLiterals.has(s)) return;
  const p = problem(s, false);
  if (p !== undefined) throw new TypeError(`invalid ${what} ${JSON.stringify(s)}: ${p}`);
  if (validLiterals.size >= VALID_LITERALS_MAX) validLiterals.clear();
  validLiterals.add(s);
}

/** A subscription subject, wildcards allowed. */
export function assertPattern(s: string): void {
  const p = problem(s, true);
  if (p !== undefined) throw new TypeError(`invalid subscription subject ${JSON.stringify(s)}: ${p}`);
}

/** A queue group name: one non-empty token without whitespace (nats-server rejects spaces). */
export function assertQueueName(q: string): void {
  if (typeof q !== 'string' || q.length === 0 || /[\s\u0000-\u001f\u007f]/.test(q)) {
    throw new TypeError(`invalid queue group name ${JSON.stringify(q)}`);
  }
}

export function assertTimeout(ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new TypeError(`timeoutMs must be a positive finite number, got ${String(ms)}`);
  }
}
