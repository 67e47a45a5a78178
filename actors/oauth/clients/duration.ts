/**
 * ISO 8601 durations for the secret lifecycle settings (APP_CLIENT_SECRET_TTL, ...), as
 * milliseconds.
 *
 * The grammar is the one java.time.Duration.parse accepts, `PnDTnHnMn.nS`, because these
 * variables come from a Spring service whose deployments already hold such values: days are
 * exactly 24 hours, the time part needs a `T`, seconds may carry a fraction (here at most
 * milliseconds). Years, months and weeks are refused: a month has no fixed length, and accepting
 * what the original refuses would let a value work here and break there. Signs are refused too:
 * a negative lifetime is a mistake. Letters are case-insensitive, as in Java.
 */

/** The whole grammar; at least one component, and a `T` only before a time component. */
export const ISO_DURATION = /^P(?=\d|T\d)(?:(\d{1,6})D)?(?:T(?=\d)(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,12})(?:\.(\d{1,3}))?S)?)?$/i;

export const ISO_DURATION_RULE = 'an ISO 8601 duration PnDTnHnMn.nS (for example P365D, PT2H, P1DT12H, PT0.5S)';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Milliseconds of `text`, or undefined when it is not in the grammar. */
export function parseDuration(text: string): number | undefined {
  const m = ISO_DURATION.exec(text);
  if (m === null) return undefined;
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const fraction = m[5] === undefined ? 0 : Number(m[5].padEnd(3, '0'));
  const ms = n(1) * DAY + n(2) * HOUR + n(3) * MINUTE + n(4) * SECOND + fraction;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Like parseDuration, for configuration: a bad value is a TypeError naming the key. */
export function durationSetting(key: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new TypeError(`"${key}" must be ${ISO_DURATION_RULE}, got "${text}"`);
  return ms;
}
