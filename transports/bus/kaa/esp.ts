/**
 * 4/ESP, Extension Service Protocol: client traffic relayed between the communication service
 * (fleetgate, as KPC) and extension services. Schemas of kaa-rfcs `0004/0004-client-data.avsc`
 * and `0004/0004-extension-data.avsc`.
 */
import { HEADER_FIELDS, STATUS_FIELDS, recordCodec, type KaaHeader } from './avro.js';

const NS = 'org.kaaproject.ipc.esp.gen.v1';

/** Client -> extension, `kaa.v1.service.{extension-instance}.esp.ClientData`. */
export interface ClientData extends KaaHeader {
  appVersionName: string;
  /** Null for endpoint-unaware extensions. */
  endpointId: string | null;
  /** The extension-specific part of the 1/KP resource path, e.g. `/json`. */
  resourcePath: string;
  /** The 1/KP request id; null when the client asked for no response. */
  requestId: number | null;
  payload: Uint8Array;
  /** Named configuration (7/CMP); null means `default`. */
  configName: string | null;
}

/** Extension -> client, `kaa.v1.service.{communication-instance}.esp.ExtensionData`. */
export interface ExtensionData extends KaaHeader {
  /** MUST NOT be null for endpoint-unaware extensions. */
  appVersionName: string | null;
  extensionInstanceName: string | null;
  endpointId: string | null;
  resourcePath: string;
  requestId: number | null;
  payload: Uint8Array | null;
  /** HTTP semantics. */
  statusCode: number;
  reasonPhrase: string | null;
}

export const clientData = recordCodec<ClientData>({
  type: 'record',
  name: 'ClientData',
  namespace: NS,
  fields: [
    ...HEADER_FIELDS,
    { name: 'appVersionName', type: 'string' },
    { name: 'endpointId', type: ['string', 'null'] },
    { name: 'resourcePath', type: 'string' },
    { name: 'requestId', type: ['int', 'null'] },
    { name: 'payload', type: 'bytes' },
    { name: 'configName', type: ['null', 'string'], default: null },
  ],
});

export const extensionData = recordCodec<ExtensionData>({
  type: 'record',
  name: 'ExtensionData',
  namespace: NS,
  fields: [
    ...HEADER_FIELDS,
    { name: 'appVersionName', type: ['string', 'null'] },
    { name: 'extensionInstanceName', type: ['string', 'null'] },
    { name: 'endpointId', type: ['string', 'null'] },
    { name: 'resourcePath', type: 'string' },
    { name: 'requestId', type: ['int', 'null'] },
    { name: 'payload', type: ['bytes', 'null'] },
    ...STATUS_FIELDS,
  ],
});

export const encodeClientData = clientData.encode;
export const decodeClientData = clientData.decode;
export const encodeExtensionData = extensionData.encode;
export const decodeExtensionData = extensionData.decode;
