/**
 * 16/ECAP, Endpoint and Client Authentication Protocol: the endpoint-token part, which the
 * credential manager (CM) still serves since Kaa 1.2 moved client authentication to 22/CAP.
 * Schemas of kaa-rfcs `0016/0016-endpoint-token-*.avsc`, as in kaa-rfcs HEAD c7424a4 per
 * the Kaa protocol notes (shared spec `kaa-protocols.md`, section 3); see the note on the
 * validation response below.
 */
import { HEADER_FIELDS, STATUS_FIELDS, recordCodec, type KaaHeader } from './avro.js';

const NS = 'org.kaaproject.ipc.ecap.gen.v1';

/** `kaa.v1.service.{provider}.ecap.ep-token-request`. `appName` is the application, not the
 *  application version: tokens are unique per application (Kaa concepts). */
export interface EndpointTokenValidationRequest extends KaaHeader {
  appName: string;
  token: string;
}

export interface EndpointTokenValidationResponse extends KaaHeader {
  /** The token's id, which revocation events name (`tokenIds`); null when not found. */
  tokenId: string | null;
  endpointId: string | null;
  statusCode: number;
  reasonPhrase: string | null;
}

/** `kaa.v1.service.{provider}.ecap.ep-token-status-transition-request`. */
export interface EndpointTokenStatusTransitionRequest extends KaaHeader {
  appName: string;
  token: string;
  /** `Active`, `Suspended`, `Revoked`... as the provider names its states. */
  targetStatus: string;
}

export interface EndpointTokenStatusTransitionResponse extends KaaHeader {
  statusCode: number;
  reasonPhrase: string | null;
}

/** `kaa.v1.events.{originator}.endpoint.token.revoked`: consumers MUST end at once the sessions
 *  that use one of these tokens (16/ECAP "Endpoint token revocation event"). */
export interface EndpointTokenRevokedEvent extends KaaHeader {
  appName: string;
  endpointId: string;
  tokenIds: string[];
  originatorReplicaId: string;
}

const NULLABLE_STRING = ['string', 'null'] as const;

// The stored copies of 0016-endpoint-token-validation-response.avsc that could be read predate
// `tokenId` (they hold endpointId, statusCode, reasonPhrase); kaa-protocols.md, written from
// HEAD, lists tokenId before endpointId, and the revoked event's `tokenIds` needs it.
export const endpointTokenValidationRequest = recordCodec<EndpointTokenValidationRequest>({
  type: 'record',
  name: 'EndpointTokenValidationRequest',
  namespace: NS,
  fields: [...HEADER_FIELDS, { name: 'appName', type: 'string' }, { name: 'token', type: 'string' }],
});

export const endpointTokenValidationResponse = recordCodec<EndpointTokenValidationResponse>({
  type: 'record',
  name: 'EndpointTokenValidationResponse',
  namespace: NS,
  fields: [...HEADER_FIELDS, { name: 'tokenId', type: NULLABLE_STRING }, { name: 'endpointId', type: NULLABLE_STRING }, ...STATUS_FIELDS],
});

export const endpointTokenStatusTransitionRequest = recordCodec<EndpointTokenStatusTransitionRequest>({
  type: 'record',
  name: 'EndpointTokenStatusTransitionRequest',
  namespace: NS,
  fields: [...HEADER_FIELDS, { name: 'appName', type: 'string' }, { name: 'token', type: 'string' }, { name: 'targetStatus', type: 'string' }],
});

export const endpointTokenStatusTransitionResponse = recordCodec<EndpointTokenStatusTransitionResponse>({
  type: 'record',
  name: 'EndpointTokenStatusTransitionResponse',
  namespace: NS,
  fields: [...HEADER_FIELDS, ...STATUS_FIELDS],
});

export const endpointTokenRevokedEvent = recordCodec<EndpointTokenRevokedEvent>({
  type: 'record',
  name: 'EndpointTokenRevokedEvent',
  namespace: NS,
  fields: [
    ...HEADER_FIELDS,
    { name: 'appName', type: 'string' },
    { name: 'endpointId', type: 'string' },
    { name: 'tokenIds', type: { type: 'array', items: 'string' } },
    { name: 'originatorReplicaId', type: 'string' },
  ],
});

export const encodeEndpointTokenValidationRequest = endpointTokenValidationRequest.encode;
export const decodeEndpointTokenValidationRequest = endpointTokenValidationRequest.decode;
export const encodeEndpointTokenValidationResponse = endpointTokenValidationResponse.encode;
export const decodeEndpointTokenValidationResponse = endpointTokenValidationResponse.decode;
export const encodeEndpointTokenStatusTransitionRequest = endpointTokenStatusTransitionRequest.encode;
export const decodeEndpointTokenStatusTransitionRequest = endpointTokenStatusTransitionRequest.decode;
export const encodeEndpointTokenStatusTransitionResponse = endpointTokenStatusTransitionResponse.encode;
export const decodeEndpointTokenStatusTransitionResponse = endpointTokenStatusTransitionResponse.decode;
export const encodeEndpointTokenRevokedEvent = endpointTokenRevokedEvent.encode;
export const decodeEndpointTokenRevokedEvent = endpointTokenRevokedEvent.decode;
