/**
 * Typed Avro codecs over avsc: raw Avro binary (no container header, no single-object
 * marker), which is what Kaa services put in a NATS payload (4/ESP; avsc `toBuffer`/`fromBuffer`
 * in the Kaa custom-microservice tutorial).
 *
 * At the boundary the values are plain: unions of null and T are unwrapped (`T | null`, avsc
 * `wrapUnions: false`), bytes are `Uint8Array`, records are plain objects. A message that does
 * not decode is a BusError ERR_DECODE; a value that does not encode is the caller's bug
 * (TypeError naming the fields, never their values: some are passwords).
 */
import avro from 'avsc';
import { BusCodes, BusError } from '../errors.js';
import { checkBounds, needsBoundsCheck } from './bounds.js';

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'string' | 'bytes';
export type AvroType =
  | AvroPrimitive
  | readonly AvroType[]
  | { readonly type: 'array'; readonly items: AvroType }
  | { readonly type: 'map'; readonly values: AvroType };

export interface AvroField {
  readonly name: string;
  readonly type: AvroType;
  readonly default?: null | number | string;
}

export interface AvroRecord {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly fields: readonly AvroField[];
}

export interface Codec<T> {
  /** Full Avro name, e.g. `org.kaaproject.ipc.esp.gen.v1.ClientData`. */
  readonly name: string;
  readonly schema: AvroRecord;
  encode(value: T): Uint8Array;
  decode(buf: Uint8Array): T;
}

/** The fields every 3/ISM message starts with, in this order. */
export interface KaaHeader {
  correlationId: string;
  /** Creation time, ms since the epoch. */
  timestamp: number;
  /** ms after `timestamp` until the message expires; 0 = never. */
  timeout: number;
}

export const HEADER_FIELDS: readonly AvroField[] = [
  { name: 'correlationId', type: 'string' },
  { name: 'timestamp', type: 'long' },
  { name: 'timeout', type: 'long', default: 0 },
];

/** The Kaa result fields: an HTTP status code and an optional reason. */
export const STATUS_FIELDS: readonly AvroField[] = [
  { name: 'statusCode', type: 'int' },
  { name: 'reasonPhrase', type: ['null', 'string'], default: null },
];

function hasBytes(t: AvroType): boolean {
  return t === 'bytes' || (Array.isArray(t) && t.includes('bytes'));
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export function recordCodec<T extends object>(schema: AvroRecord): Codec<T> {
  const name = `${schema.namespace}.${schema.name}`;
  // avsc's schema typings are not exported; our AvroRecord is a structural subset of them.
  const type = avro.Type.forSchema(schema as unknown as Parameters<typeof avro.Type.forSchema>[0], { wrapUnions: false });
  const bytesFields = schema.fields.filter((f) => hasBytes(f.type)).map((f) => f.name);
  const bounded = needsBoundsCheck(schema);

  function encode(value: T): Uint8Array {
    let input: Record<string, unknown> = value as Record<string, unknown>;
    if (bytesFields.length > 0) {
      input = { ...input };
      for (const f of bytesFields) {
        const v = input[f];
        if (v instanceof Uint8Array) input[f] = toBuffer(v);
      }
    }
    try {
      return type.toBuffer(input);
    } catch {
      const bad: string[] = [];
      type.isValid(input, { errorHook: (path: string[]) => bad.push(path.join('.') || '(record)') });
      throw new TypeError(`cannot encode ${name}: invalid ${bad.length > 0 ? bad.join(', ') : 'value'}`);
    }
  }

  function decode(buf: Uint8Array): T {
    if (!(buf instanceof Uint8Array)) throw new TypeError(`cannot decode ${name}: not a Uint8Array`);
    const b = toBuffer(buf);
    let rec: Record<string, unknown>;
    try {
      if (bounded) checkBounds(schema, b);
      // Spread: avsc returns an instance of its generated record class; callers get plain data.
      rec = { ...(type.fromBuffer(b) as Record<string, unknown>) };
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'malformed';
      throw new BusError(BusCodes.DECODE, `cannot decode ${name}: ${reason}`, { cause: err, data: { schema: name, bytes: b.length } });
    }
    for (const f of bytesFields) {
      const v = rec[f];
      if (Buffer.isBuffer(v)) rec[f] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    }
    return rec as T;
  }

  return { name, schema, encode, decode };
}
