/**
 * The credential services on the bus: 22/CAP basic authentication (CCM), 16/ECAP token validation
 * and status transition (CM), 9/ELCE endpoint-unregistered events (CM deletes the endpoint's
 * tokens), and fleetgate's change notices from other replicas.
 *
 * Requests are served by queue groups named after the service instance (3/ISM), so each request is
 * handled once per deployment however many shards and replicas listen. A request that cannot be
 * decided (storage down, mailbox full, timeout) is answered 503: never "valid" by default.
 */
import type { ActorRef, Logger, Service } from '../../runtime/index.js';
import { isWireError } from '../../runtime/index.js';
import type { CredentialState } from '../../storage/index.js';
import {
  anyOriginatorEventPattern,
  capBasicRequestSubject,
  decodeClientBasicAuthenticationRequest,
  decodeEndpointTokenStatusTransitionRequest,
  decodeEndpointTokenValidationRequest,
  decodeUnregisteredEvent,
  ecapTokenRequestSubject,
  ecapTokenStatusTransitionRequestSubject,
  encodeClientBasicAuthenticationResponse,
  encodeEndpointTokenStatusTransitionResponse,
  encodeEndpointTokenValidationResponse,
  type Bus,
  type BusMessage,
  type Subscription,
} from '../../transports/bus/index.js';
import { CredentialCodes } from './errors.js';
import { CHANGED_PATTERN, parseChangeNotice } from './events.js';
import { CLIENT_CREDENTIAL, credentialKey, ENDPOINT_TOKEN, tokenKey } from './protocol.js';
import type { CredentialService } from './service.js';

export interface ResponderNames {
  ccmInstance: string;
  cmInstance: string;
  replicaId: string;
}

const STATES: readonly CredentialState[] = ['Inactive', 'Active', 'Suspended', 'Revoked'];

/** The status a failed decision is answered with, from the error's code. */
function statusOf(err: unknown): { statusCode: number; reasonPhrase: string } {
  const code = isWireError(err) ? err.code : '';
  switch (code) {
    case CredentialCodes.NOT_FOUND:
      return { statusCode: 404, reasonPhrase: 'Not found' };
    case CredentialCodes.ILLEGAL_TRANSITION:
      return { statusCode: 409, reasonPhrase: isWireError(err) ? err.message : 'Conflict' };
    case CredentialCodes.INVALID:
      return { statusCode: 400, reasonPhrase: isWireError(err) ? err.message : 'Bad request' };
    default:
      return { statusCode: 503, reasonPhrase: 'Service unavailable' };
  }
}

export function credentialResponders(bus: Bus, service: CredentialService, actors: ActorRef, names: ResponderNames, log: Logger): Service {
  const subs: Subscription[] = [];
  const header = (correlationId: string) => ({ correlationId, timestamp: Date.now(), timeout: 0 });

  function serve(subject: string, queue: string, handle: (m: BusMessage) => Promise<Uint8Array | null>): void {
    subs.push(
      bus.subscribe(
        subject,
        (m) => {
          handle(m).then(
            (reply) => {
              if (reply !== null && m.replyTo) m.respond(reply);
            },
            (err: unknown) => log.warn({ subject, code: (err as { code?: string }).code }, 'bus request failed'),
          );
        },
        { queue },
      ),
    );
  }

  return {
    name: 'credential-responders',
    start() {
      serve(capBasicRequestSubject(names.ccmInstance), names.ccmInstance, async (m) => {
        const req = decodeClientBasicAuthenticationRequest(m.data);
        const r = await service.authenticate(req.tenantId, req.username, req.password).catch((err: unknown) => ({ ...statusOf(err), credentialsId: null }));
        return encodeClientBasicAuthenticationResponse({
          ...header(req.correlationId),
          credentialsId: r.credentialsId,
          clientId: r.statusCode === 200 ? req.username : null,
          statusCode: r.statusCode,
          reasonPhrase: r.reasonPhrase,
        });
      });
      serve(ecapTokenRequestSubject(names.cmInstance), names.cmInstance, async (m) => {
        const req = decodeEndpointTokenValidationRequest(m.data);
        const r = await service.validateToken(req.appName, req.token).catch((err: unknown) => ({ ...statusOf(err), tokenId: null, endpointId: null }));
        return encodeEndpointTokenValidationResponse({ ...header(req.correlationId), ...r });
      });
      serve(ecapTokenStatusTransitionRequestSubject(names.cmInstance), names.cmInstance, async (m) => {
        const req = decodeEndpointTokenStatusTransitionRequest(m.data);
        let result: { statusCode: number; reasonPhrase: string };
        if (!(STATES as readonly string[]).includes(req.targetStatus)) {
          result = { statusCode: 400, reasonPhrase: `targetStatus must be one of ${STATES.join(', ')}` };
        } else {
          result = await service
            .transitionTokenByValue(req.appName, req.token, req.targetStatus as CredentialState)
            .then(() => ({ statusCode: 200, reasonPhrase: 'OK' }), statusOf);
        }
        return encodeEndpointTokenStatusTransitionResponse({ ...header(req.correlationId), ...result });
      });
      serve(anyOriginatorEventPattern('endpoint', 'lifecycle', 'unregistered'), names.cmInstance, async (m) => {
        const ev = decodeUnregisteredEvent(m.data);
        const n = await service.endpointUnregistered(ev.endpointId);
        log.info({ endpointId: ev.endpointId, tokens: n }, 'endpoint unregistered: tokens deleted');
        return null;
      });
      // One shard per replica reloads the actor that another replica changed.
      serve(CHANGED_PATTERN, `fleetgate-replica-${names.replicaId}`, async (m) => {
        const n = parseChangeNotice(m.data);
        if (n === null || n.originatorReplicaId === names.replicaId) return null;
        if (n.kind === 'credential') actors.tell(CLIENT_CREDENTIAL, credentialKey(n.tenantId, n.username), { t: 'invalidate' });
        else actors.tell(ENDPOINT_TOKEN, tokenKey(n.appName, n.lookupHash), { t: 'invalidate' });
        return null;
      });
      log.debug({ ccm: names.ccmInstance, cm: names.cmInstance }, 'credential responders subscribed');
    },
    stop() {
      for (const s of subs.splice(0)) s.unsubscribe();
    },
  };
}
