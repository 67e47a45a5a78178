/**
 * Hands a 1/KP request to its extension as 4/ESP ClientData, with this shard's reply subject as
 * `replyTo` so the answer comes back to the shard that remembers who asked. Shared by the session
 * actor and by the connection side's fast path (see host.ts).
 */
import { encodeClientData, espClientDataSubject } from '../../transports/bus/index.js';
import type { QoS } from '../../transports/mqtt/index.js';
import type { KpcDeps } from './deps.js';
import type { Kp1Request } from './kp1.js';

/** ClientData subjects by extension instance: names from the configuration, so few; made once
 *  (three token checks and a template) instead of per message. */
const clientDataSubjects = new Map<string, string>();
function clientDataSubject(extension: string): string {
  let subject = clientDataSubjects.get(extension);
  if (subject === undefined) {
    subject = espClientDataSubject(extension);
    if (clientDataSubjects.size < 1024) clientDataSubjects.set(extension, subject);
  }
  return subject;
}

/** Throws what the bus throws (closed, overloaded): callers answer that the extension is not
 *  reachable. The pending answer is registered only when the request has a request id. */
export function relay(d: KpcDeps, req: Kp1Request, endpointId: string | null, payload: Uint8Array, answerTo: { clientId: string; topic: string; qos: QoS } | undefined): void {
  const correlationId = d.nextCorrelationId();
  const data = encodeClientData({
    correlationId,
    timestamp: Date.now(),
    timeout: 0,
    appVersionName: req.appVersion,
    endpointId,
    resourcePath: req.resourcePath,
    requestId: req.requestId,
    payload,
    configName: null,
  });
  d.bus.publish(clientDataSubject(req.extension), data, { replyTo: d.replySubject });
  if (req.requestId !== null && answerTo !== undefined) d.pending.add(correlationId, { kind: 'mqtt', ...answerTo }, Date.now());
}

/** What the session actor lets the connection side reuse: a token it validated, until the
 *  re-check is due. A revocation ends the session (and the connection), so no stale grant
 *  outlives it. */
export interface TokenGrant {
  /** `<application>\n<token>` */
  readonly key: string;
  readonly endpointId: string;
  readonly validUntil: number;
}

export interface PublishAnswer {
  readonly code: number;
  readonly grant?: TokenGrant;
}
