/**
 * Kaa Avro codecs: round trips, hand-computed wire bytes (so the field order and union branch
 * order of each schema are really checked, independently of avsc), and hostile input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BusCodes,
  clientBasicAuthenticationRequest,
  clientBasicAuthenticationResponse,
  clientCertificateAuthenticationRequest,
  clientCertificateAuthenticationResponse,
  clientCredentialsRevokedEvent,
  clientData,
  connectedEvent,
  decodeClientData,
  disconnectedEvent,
  encodeClientBasicAuthenticationRequest,
  encodeClientCertificateAuthenticationResponse,
  encodeClientData,
  encodeConnectedEvent,
  encodeEndpointTokenRevokedEvent,
  encodeEndpointTokenValidationResponse,
  encodeExtensionData,
  encodeUnregisteredEvent,
  endpointTokenRevokedEvent,
  endpointTokenStatusTransitionRequest,
  endpointTokenStatusTransitionResponse,
  endpointTokenValidationRequest,
  endpointTokenValidationResponse,
  extensionData,
  registeredEvent,
  unregisteredEvent,
  type Codec,
  type KaaHeader,
} from '../../transports/bus/index.js';

const H: KaaHeader = { correlationId: 'corr-1', timestamp: 1_767_225_600_000, timeout: 5_000 };

interface Sample {
  codec: Codec<object>;
  value: object;
}
function sample<T extends object>(codec: Codec<T>, value: T): Sample {
  return { codec: codec as unknown as Codec<object>, value };
}

const SAMPLES: Sample[] = [
  sample(clientBasicAuthenticationRequest, { ...H, tenantId: 'acme', username: 'dev-1', password: 'pässwörd' }),
  sample(clientBasicAuthenticationResponse, { ...H, credentialsId: 'cred-1', clientId: null, statusCode: 200, reasonPhrase: null }),
  sample(clientBasicAuthenticationResponse, { ...H, credentialsId: null, clientId: null, statusCode: 401, reasonPhrase: 'Unauthorized' }),
  sample(clientCertificateAuthenticationRequest, { ...H, issuer: 'CN=Acme CA,O=Acme', serialNumber: '123456789012345678901234567890' }),
  sample(clientCertificateAuthenticationResponse, { ...H, tenantId: 'acme', credentialsId: 'c', clientId: 'cl', statusCode: 200, reasonPhrase: 'OK' }),
  sample(clientCredentialsRevokedEvent, { ...H, tenantId: 'acme', credentialsId: 'cred-1', originatorReplicaId: 'ccm-0' }),
  sample(endpointTokenValidationRequest, { ...H, appName: 'app', token: 'tok' }),
  sample(endpointTokenValidationResponse, { ...H, tokenId: 'tid', endpointId: 'ep', statusCode: 200, reasonPhrase: null }),
  sample(endpointTokenStatusTransitionRequest, { ...H, appName: 'app', token: 'tok', targetStatus: 'Suspended' }),
  sample(endpointTokenStatusTransitionResponse, { ...H, statusCode: 404, reasonPhrase: 'Not Found' }),
  sample(endpointTokenRevokedEvent, { ...H, appName: 'app', endpointId: 'ep', tokenIds: ['t1', 't2', 't3'], originatorReplicaId: 'cm-0' }),
  sample(endpointTokenRevokedEvent, { ...H, appName: 'app', endpointId: 'ep', tokenIds: [], originatorReplicaId: 'cm-0' }),
  sample(clientData, {
    ...H,
    appVersionName: 'app-v1',
    endpointId: 'ep-1',
    resourcePath: '/json',
    requestId: 42,
    payload: new Uint8Array([0x5b, 0x5d, 0, 255]),
    configName: null,
  }),
  sample(clientData, { ...H, appVersionName: 'app-v1', endpointId: null, resourcePath: '/x', requestId: null, payload: new Uint8Array(0), configName: 'ota' }),
  sample(extensionData, {
    ...H,
    appVersionName: null,
    extensionInstanceName: 'cmx',
    endpointId: 'ep-1',
    resourcePath: '/config/json',
    requestId: 2_147_483_647,
    payload: new Uint8Array([1, 2, 3]),
    statusCode: 200,
    reasonPhrase: null,
  }),
  sample(extensionData, {
    ...H,
    appVersionName: 'v',
    extensionInstanceName: null,
    endpointId: null,
    resourcePath: '/',
    requestId: -1,
    payload: null,
    statusCode: 500,
    reasonPhrase: 'boom',
  }),
  sample(connectedEvent, { ...H, endpoints: { 'ep-1': 'app-v1', 'ep-2': 'app-v2' }, originatorReplicaId: 'kpc-0' }),
  sample(disconnectedEvent, { ...H, endpoints: {}, originatorReplicaId: 'kpc-0' }),
  sample(registeredEvent, { ...H, appVersionName: 'app-v1', endpointId: 'ep-1', originatorReplicaId: 'epr-0' }),
  sample(unregisteredEvent, { ...H, appVersionName: 'app-v1', endpointId: 'ep-1', originatorReplicaId: 'epr-0' }),
];

const hex = (s: string): number[] => s.split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16));

describe('Kaa Avro codecs', () => {
  it('round-trips every record', () => {
    for (const { codec, value } of SAMPLES) {
      const bytes = codec.encode(value);
      assert.deepStrictEqual(codec.decode(bytes), value, codec.name);
    }
  });

  it('fails with ERR_DECODE on every truncation, fed one byte at a time', () => {
    for (const { codec, value } of SAMPLES) {
      const bytes = codec.encode(value);
      for (let n = 0; n < bytes.length; n++) {
        assert.throws(() => codec.decode(bytes.subarray(0, n)), { name: 'BusError', code: BusCodes.DECODE }, `${codec.name} at ${n} bytes`);
      }
    }
  });

  it('fails with ERR_DECODE on trailing bytes', () => {
    for (const { codec, value } of SAMPLES) {
      const bytes = codec.encode(value);
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      assert.throws(() => codec.decode(longer), { code: BusCodes.DECODE }, codec.name);
    }
  });

  // Expected bytes written from the Avro 1.x spec, "Binary encoding": long/int = zig-zag varint;
  // string/bytes = length (long) then bytes; union = branch index (long) then the value;
  // map/array = blocks of (count, items), ended by a 0 count. 1700000000000 -> 80 a0 ab fe f9 62.
  it('22/CAP: wire bytes follow the RFC field order', () => {
    const req = encodeClientBasicAuthenticationRequest({
      correlationId: 'c1',
      timestamp: 1_700_000_000_000,
      timeout: 30_000,
      tenantId: 't1',
      username: 'u',
      password: 'pw',
    });
    // "c1" | timestamp | 30000 | "t1" | "u" | "pw"
    assert.deepEqual([...req], hex('04 63 31  80 a0 ab fe f9 62  e0 d4 03  04 74 31  02 75  04 70 77'));
    const res = encodeClientCertificateAuthenticationResponse({
      correlationId: 'c',
      timestamp: 1,
      timeout: 0,
      tenantId: 't',
      credentialsId: null,
      clientId: 'x',
      statusCode: 200,
      reasonPhrase: null,
    });
    // "c" | 1 | 0 | tenantId [string,null] #0 "t" | credentialsId #1 null | clientId #0 "x" | 200 | reasonPhrase [null,string] #0
    assert.deepEqual([...res], hex('02 63  02  00  00 02 74  02  00 02 78  90 03  00'));
  });

  it('16/ECAP: wire bytes follow the RFC field order', () => {
    const res = encodeEndpointTokenValidationResponse({
      correlationId: 'c',
      timestamp: 1,
      timeout: 0,
      tokenId: 'k',
      endpointId: null,
      statusCode: 401,
      reasonPhrase: 'no',
    });
    // ... | tokenId #0 "k" | endpointId #1 | 401 | reasonPhrase #1 "no"
    assert.deepEqual([...res], hex('02 63  02  00  00 02 6b  02  a2 06  02 04 6e 6f'));
    const ev = encodeEndpointTokenRevokedEvent({
      correlationId: 'c',
      timestamp: 1,
      timeout: 0,
      appName: 'a',
      endpointId: 'e',
      tokenIds: ['k1', 'k2'],
      originatorReplicaId: 'r',
    });
    // ... | "a" | "e" | array: count 2, "k1", "k2", end 0 | "r"
    assert.deepEqual([...ev], hex('02 63  02  00  02 61  02 65  04 04 6b 31 04 6b 32 00  02 72'));
  });

  it('4/ESP: wire bytes follow the RFC field order', () => {
    const cd = encodeClientData({
      correlationId: 'c',
      timestamp: 1,
      timeout: -1, // meaningless for Kaa; checks the zig-zag of a negative long
      appVersionName: 'v1',
      endpointId: null,
      resourcePath: '/json',
      requestId: 42,
      payload: new Uint8Array([1, 2, 3]),
      configName: null,
    });
    // ... -1 | "v1" | endpointId [string,null] #1 | "/json" | requestId [int,null] #0 42 | bytes(3) | configName [null,string] #0
    assert.deepEqual([...cd], hex('02 63  02  01  04 76 31  02  0a 2f 6a 73 6f 6e  00 54  06 01 02 03  00'));
    const ed = encodeExtensionData({
      correlationId: 'c',
      timestamp: 1,
      timeout: 0,
      appVersionName: null,
      extensionInstanceName: 'dcx',
      endpointId: 'e',
      resourcePath: '/x',
      requestId: null,
      payload: null,
      statusCode: 200,
      reasonPhrase: null,
    });
    // ... | appVersionName #1 | ext #0 "dcx" | endpointId #0 "e" | "/x" | requestId #1 | payload [bytes,null] #1 | 200 | #0
    assert.deepEqual([...ed], hex('02 63  02  00  02  00 06 64 63 78  00 02 65  04 2f 78  02  02  90 03  00'));
  });

  it('9/ELCE: wire bytes follow the RFC field order', () => {
    const con = encodeConnectedEvent({ correlationId: 'c', timestamp: 1, timeout: 0, endpoints: { e1: 'v1' }, originatorReplicaId: 'r' });
    // ... | map: count 1, key "e1", value "v1", end 0 | "r"
    assert.deepEqual([...con], hex('02 63  02  00  02 04 65 31 04 76 31 00  02 72'));
    const un = encodeUnregisteredEvent({ correlationId: 'c', timestamp: 1, timeout: 0, appVersionName: 'v', endpointId: 'e', originatorReplicaId: 'r' });
    assert.deepEqual([...un], hex('02 63  02  00  02 76  02 65  02 72'));
  });

  it('refuses hostile sizes at once instead of looping or allocating', () => {
    const header = hex('02 63  02  00');
    // A map announcing 2^40 entries in a handful of bytes (avsc alone would loop for hours).
    const bigMap = new Uint8Array([...header, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x02, 0x72]);
    assert.throws(() => connectedEvent.decode(bigMap), { code: BusCodes.DECODE });
    // A negative block count (count, then byte size) that is too large as well.
    const negBlock = new Uint8Array([...header, 0x02, 0x61, 0x02, 0x65, 0xff, 0xff, 0xff, 0x0f, 0x02, 0x00, 0x02, 0x72]);
    assert.throws(() => endpointTokenRevokedEvent.decode(negBlock), { code: BusCodes.DECODE });
    // A string longer than the buffer, a negative length, a union branch that does not exist.
    assert.throws(() => clientData.decode(new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0x0f, 0x63])), { code: BusCodes.DECODE });
    assert.throws(() => clientData.decode(new Uint8Array([0x01, 0x63])), { code: BusCodes.DECODE });
    assert.throws(() => extensionData.decode(new Uint8Array([...header, 0x04, 0x00])), { code: BusCodes.DECODE });
    // A long beyond 2^53 would lose precision: refused rather than rounded.
    assert.throws(() => clientData.decode(new Uint8Array([0x02, 0x63, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), {
      code: BusCodes.DECODE,
    });
  });

  it('answers random bytes with a value or ERR_DECODE, never another failure', () => {
    let seed = 0x2545f491;
    const rand = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x1_0000_0000;
    };
    for (const { codec } of SAMPLES) {
      for (let i = 0; i < 2_000; i++) {
        const buf = new Uint8Array(Math.floor(rand() * 48));
        for (let k = 0; k < buf.length; k++) buf[k] = Math.floor(rand() * 256);
        try {
          codec.decode(buf);
        } catch (err) {
          assert.equal((err as { code?: string }).code, BusCodes.DECODE, `${codec.name}: ${String(err)}`);
        }
      }
    }
  });

  it('gives plain values: Uint8Array payloads that do not alias the input', () => {
    const bytes = encodeClientData({ ...H, appVersionName: 'v', endpointId: 'e', resourcePath: '/j', requestId: 1, payload: new Uint8Array([7, 8]), configName: null });
    const copy = Uint8Array.from(bytes);
    const d = decodeClientData(copy);
    assert.equal(Object.getPrototypeOf(d), Object.prototype);
    assert.equal(Object.getPrototypeOf(d.payload), Uint8Array.prototype);
    copy.fill(0);
    assert.deepEqual([...d.payload], [7, 8]);
  });

  it('refuses to encode an invalid value as misuse, naming fields but not values', () => {
    const bad = { ...H, tenantId: 'acme', username: 'u', password: 12345 } as unknown as Parameters<typeof encodeClientBasicAuthenticationRequest>[0];
    assert.throws(
      () => encodeClientBasicAuthenticationRequest(bad),
      (err: unknown) => err instanceof TypeError && /password/.test(err.message) && !/12345/.test(err.message),
    );
    assert.throws(() => encodeClientData({ ...H, appVersionName: 'v', endpointId: null, resourcePath: '/', requestId: 2 ** 31, payload: new Uint8Array(0), configName: null }), TypeError);
    assert.throws(() => clientData.decode('not bytes' as unknown as Uint8Array), TypeError);
  });
});
