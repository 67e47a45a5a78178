/**
 * What the REST and server tests ask of the bus: a 22/CAP basic authentication, a 16/ECAP token
 * validation (both as a front door would send them), and a recorder of events on a subject.
 */
import { randomUUID } from 'node:crypto';
import {
  capBasicRequestSubject,
  decodeClientBasicAuthenticationResponse,
  decodeEndpointTokenValidationResponse,
  ecapTokenRequestSubject,
  encodeClientBasicAuthenticationRequest,
  encodeEndpointTokenValidationRequest,
  type Bus,
  type Subscription,
} from '../../transports/bus/index.js';

const header = () => ({ correlationId: randomUUID(), timestamp: Date.now(), timeout: 0 });

export async function cap(bus: Bus, tenantId: string, username: string, password: string) {
  const reply = await bus.request(capBasicRequestSubject('ccm'), encodeClientBasicAuthenticationRequest({ ...header(), tenantId, username, password }), {
    timeoutMs: 10_000,
  });
  return decodeClientBasicAuthenticationResponse(reply);
}

export async function ecap(bus: Bus, appName: string, token: string) {
  const reply = await bus.request(ecapTokenRequestSubject('cm'), encodeEndpointTokenValidationRequest({ ...header(), appName, token }), { timeoutMs: 10_000 });
  return decodeEndpointTokenValidationResponse(reply);
}

/** Every message on `subject`, decoded, in arrival order; `next` waits for one that matches. */
export interface Recorder<T> {
  readonly seen: T[];
  next(match: (v: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): void;
}

export function record<T>(bus: Bus, subject: string, decode: (b: Uint8Array) => T): Recorder<T> {
  const seen: T[] = [];
  const waiters: Array<{ match: (v: T) => boolean; resolve: (v: T) => void }> = [];
  const sub: Subscription = bus.subscribe(subject, (m) => {
    const v = decode(m.data);
    seen.push(v);
    for (const w of waiters.splice(0)) {
      if (w.match(v)) w.resolve(v);
      else waiters.push(w);
    }
  });
  return {
    seen,
    next(match, timeoutMs = 10_000) {
      const already = seen.find(match);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message on ${subject} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          match,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        });
      });
    },
    stop: () => sub.unsubscribe(),
  };
}

/** Polls `probe` until it returns true; fails with `what` after the deadline. For eventual
 *  consistency only (another replica catching up), never to wait out our own writes. */
export async function eventually(what: string, probe: () => Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
