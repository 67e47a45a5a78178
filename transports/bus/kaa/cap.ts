/**
 * 22/CAP, Client Authentication Protocol (kaa-rfcs `0022/README.md` and the
 * `0022/0022-basic-authentication-*.avsc`, `0022-certificate-authentication-*.avsc`,
 * `0022-credentials-revoked.avsc` schemas). Field order is the wire order.
 */
import { HEADER_FIELDS, STATUS_FIELDS, recordCodec, type KaaHeader } from './avro.js';

const NS = 'org.kaaproject.ipc.cap.gen.v1';

/** `kaa.v1.service.{provider}.cap.basic-request`; the provider answers on the NATS replyTo. */
export interface ClientBasicAuthenticationRequest extends KaaHeader {
  tenantId: string;
  username: string;
  password: string;
}

export interface ClientBasicAuthenticationResponse extends KaaHeader {
  /** Null when the username/password combination is not found. */
  credentialsId: string | null;
  clientId: string | null;
  statusCode: number;
  reasonPhrase: string | null;
}

/** `kaa.v1.service.{provider}.cap.certificate-request`. The consumer has already verified the
 *  certificate (signature, chain, validity): the provider only looks it up. No tenantId here:
 *  the provider answers which tenant owns the certificate. */
export interface ClientCertificateAuthenticationRequest extends KaaHeader {
  issuer: string;
  /** Base 10. */
  serialNumber: string;
}

export interface ClientCertificateAuthenticationResponse extends KaaHeader {
  tenantId: string | null;
  credentialsId: string | null;
  clientId: string | null;
  statusCode: number;
  reasonPhrase: string | null;
}

/** `kaa.v1.events.{originator}.client-credentials.{basic|certificate}.revoked`: consumers MUST
 *  end the sessions of that client at once. */
export interface ClientCredentialsRevokedEvent extends KaaHeader {
  tenantId: string;
  credentialsId: string;
  originatorReplicaId: string;
}

const NULLABLE_STRING = ['string', 'null'] as const;

export const clientBasicAuthenticationRequest = recordCodec<ClientBasicAuthenticationRequest>({
  type: 'record',
  name: 'ClientBasicAuthenticationRequest',
  namespace: NS,
  fields: [...HEADER_FIELDS, { name: 'tenantId', type: 'string' }, { name: 'username', type: 'string' }, { name: 'password', type: 'string' }],
});

export const clientBasicAuthenticationResponse = recordCodec<ClientBasicAuthenticationResponse>({
  type: 'record',
  name: 'ClientBasicAuthenticationResponse',
  namespace: NS,
  fields: [...HEADER_FIELDS, { name: 'credentialsId', type: NULLABLE_STRING }, { name: 'clientId', type: NULLABLE_STRING }, ...STATUS_FIELDS],
});

export const clientCertificateAuthenticationRequest = recordCodec<ClientCertificateAuthenticationRequest>({
  type: 'record',
  name: 'ClientCertificateAuthenticationRequest',
  namespace: NS,
  fields: [...HEADER_FIELDS, { name: 'issuer', type: 'string' }, { name: 'serialNumber', type: 'string' }],
});

export const clientCertificateAuthenticationResponse = recordCodec<ClientCertificateAuthenticationResponse>({
  type: 'record',
  name: 'ClientCertificateAuthenticationResponse',
  namespace: NS,
  fields: [
    ...HEADER_FIELDS,
    { name: 'tenantId', type: NULLABLE_STRING },
    { name: 'credentialsId', type: NULLABLE_STRING },
    { name: 'clientId', type: NULLABLE_STRING },
    ...STATUS_FIELDS,
  ],
});

export const clientCredentialsRevokedEvent = recordCodec<ClientCredentialsRevokedEvent>({
  type: 'record',
  name: 'ClientCredentialsRevokedEvent',
  namespace: NS,
  fields: [...HEADER_FIELDS, { name: 'tenantId', type: 'string' }, { name: 'credentialsId', type: 'string' }, { name: 'originatorReplicaId', type: 'string' }],
});

export const encodeClientBasicAuthenticationRequest = clientBasicAuthenticationRequest.encode;
export const decodeClientBasicAuthenticationRequest = clientBasicAuthenticationRequest.decode;
export const encodeClientBasicAuthenticationResponse = clientBasicAuthenticationResponse.encode;
export const decodeClientBasicAuthenticationResponse = clientBasicAuthenticationResponse.decode;
export const encodeClientCertificateAuthenticationRequest = clientCertificateAuthenticationRequest.encode;
export const decodeClientCertificateAuthenticationRequest = clientCertificateAuthenticationRequest.decode;
export const encodeClientCertificateAuthenticationResponse = clientCertificateAuthenticationResponse.encode;
export const decodeClientCertificateAuthenticationResponse = clientCertificateAuthenticationResponse.decode;
export const encodeClientCredentialsRevokedEvent = clientCredentialsRevokedEvent.encode;
export const decodeClientCredentialsRevokedEvent = clientCredentialsRevokedEvent.decode;
