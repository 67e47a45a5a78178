/**
 * A bounds walk before avsc decodes a record with arrays or maps. avsc trusts the block counts
 * of the Avro binary encoding: a 6-byte hostile map header announcing 2^40 entries makes it loop
 * for hours (arrays: allocate until the process dies). Every array item and map entry of our
 * schemas takes at least one byte, so a count larger than the bytes left is a lie; this walk
 * refuses it, and checks string lengths and union branches on the way. Records without arrays
 * or maps need no walk: each field is read once and avsc stops at the buffer's end.
 */
import type { AvroRecord, AvroType } from './avro.js';

export function needsBoundsCheck(schema: AvroRecord): boolean {
  return schema.fields.some((f) => hasContainer(f.type));
}

function hasContainer(t: AvroType): boolean {
  if (typeof t === 'string') return false;
  if (Array.isArray(t)) return t.some(hasContainer);
  const c = t as { type: 'array'; items: AvroType } | { type: 'map'; values: AvroType };
  // The count check below assumes items of at least one byte; `null` items take none.
  if ((c.type === 'array' ? c.items : c.values) === 'null') throw new TypeError('arrays and maps of null are not supported');
  return true;
}

class Cursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  /** A zig-zag varint long (Avro spec, "Binary encoding"): at most 10 bytes. */
  long(): number {
    let n = 0;
    let mul = 1;
    for (let k = 0; ; k++) {
      if (this.pos >= this.buf.length) throw new Error('truncated buffer');
      const b = this.buf[this.pos++] as number;
      n += (b & 0x7f) * mul;
      if (b < 0x80) break;
      if (k === 9) throw new Error('varint longer than 10 bytes');
      mul *= 128;
    }
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  skip(len: number): void {
    if (len < 0 || len > this.left) throw new Error('length beyond the buffer');
    this.pos += len;
  }
}

function walk(t: AvroType, c: Cursor): void {
  if (typeof t === 'string') {
    switch (t) {
      case 'null':
        return;
      case 'boolean':
        c.skip(1);
        return;
      case 'int':
      case 'long':
        c.long();
        return;
      case 'string':
      case 'bytes':
        c.skip(c.long());
        return;
    }
  }
  if (Array.isArray(t)) {
    const i = c.long();
    const branch = (t as readonly AvroType[])[i];
    if (!Number.isInteger(i) || branch === undefined) throw new Error(`invalid union index ${i}`);
    walk(branch, c);
    return;
  }
  const container = t as { type: 'array'; items: AvroType } | { type: 'map'; values: AvroType };
  for (;;) {
    let n = c.long();
    if (n === 0) return;
    if (n < 0) {
      n = -n;
      c.long(); // block size in bytes, present when the count is negative
    }
    if (n > c.left) throw new Error(`block of ${n} items in ${c.left} bytes`);
    for (let k = 0; k < n; k++) {
      if (container.type === 'map') {
        c.skip(c.long());
        walk(container.values, c);
      } else walk(container.items, c);
    }
  }
}

/** Throws when `buf` is not exactly one well-formed record of `schema`. */
export function checkBounds(schema: AvroRecord, buf: Uint8Array): void {
  const c = new Cursor(buf);
  for (const f of schema.fields) walk(f.type, c);
  if (c.left !== 0) throw new Error('trailing data');
}
