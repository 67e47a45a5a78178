/**
 * The client-secret lifecycle as pure functions of (stored secrets, now, settings), so that
 * rotation, grace window and expiry are decided in one place and tested with any clock:
 *  - a new secret (issued, rotated in, or seeded) expires `ttlMs` after it is created;
 *  - on rotation the current secret becomes the previous one, valid until the rotation time plus
 *    the grace window, but never past its own expiry (a grace window does not revive a secret
 *    that was about to die anyway);
 *  - a secret is usable while `now < expiresAt` (null: never expires; imported rows only);
 *  - rotation is required from `expiresAt - rotationRequiredBeforeExpiryMs` on.
 */
import type { ClientSecret, SecretSlot } from '../../../storage/index.js';

export interface SecretLifecycle {
  /** APP_CLIENT_SECRET_TTL */
  ttlMs: number;
  /** APP_CLIENT_SECRET_PREVIOUS_GRACE_WINDOW */
  previousGraceMs: number;
  /** APP_CLIENT_SECRET_ROTATION_REQUIRED_BEFORE_EXPIRY */
  rotationRequiredBeforeExpiryMs: number;
}

type SecretTimes = Pick<ClientSecret, 'slot' | 'createdAt' | 'expiresAt'>;

export function isUsable(s: Pick<ClientSecret, 'expiresAt'>, now: number): boolean {
  return s.expiresAt === null || now < s.expiresAt;
}

/** Expiry of a secret created at `now`. */
export function newSecretExpiry(now: number, rules: SecretLifecycle): number {
  return now + rules.ttlMs;
}

/** Expiry of the secret that a rotation at `now` moves to the previous slot. */
export function previousExpiry(current: Pick<ClientSecret, 'expiresAt'>, now: number, rules: SecretLifecycle): number {
  const graceEnd = now + rules.previousGraceMs;
  return current.expiresAt === null ? graceEnd : Math.min(graceEnd, current.expiresAt);
}

/**
 * Which slots to try for a presented secret, in order (current first), and which exist but are
 * expired: those are tried only when no usable one matched, to tell `secret_expired` from
 * `bad_secret` (for the audit line; the caller answers both with invalid_client).
 */
export function candidates(secrets: readonly SecretTimes[], now: number): { usable: SecretSlot[]; expired: SecretSlot[] } {
  const usable: SecretSlot[] = [];
  const expired: SecretSlot[] = [];
  for (const slot of ['current', 'previous'] as const) {
    const s = secrets.find((x) => x.slot === slot);
    if (s === undefined) continue;
    (isUsable(s, now) ? usable : expired).push(slot);
  }
  return { usable, expired };
}

/** What GET /clients/{clientId}/secret shows: metadata only. */
export interface SecretStatus {
  hasSecret: boolean;
  createdAt: number | null;
  expiresAt: number | null;
  previousExpiresAt: number | null;
  rotationRequired: boolean;
  expired: boolean;
}

export function secretStatus(secrets: readonly SecretTimes[], now: number, rules: SecretLifecycle): SecretStatus {
  const current = secrets.find((s) => s.slot === 'current');
  const previous = secrets.find((s) => s.slot === 'previous');
  const expiresAt = current?.expiresAt ?? null;
  const expired = current !== undefined && !isUsable(current, now);
  return {
    hasSecret: current !== undefined,
    createdAt: current?.createdAt ?? null,
    expiresAt,
    previousExpiresAt: previous?.expiresAt ?? null,
    // Without a current secret there is nothing to rotate (hasSecret says "issue one").
    rotationRequired: expiresAt !== null && now >= expiresAt - rules.rotationRequiredBeforeExpiryMs,
    expired,
  };
}
