/**
 * Cuts a byte stream into MQTT packets by their fixed header (MQTT 5.0 2.1, 1.5.5): one type
 * byte, then a Remaining Length of one to four bytes. The size of a packet is known as soon as
 * its Remaining Length is complete, so a packet larger than the limit is refused then, before
 * any of its body is buffered. Bytes may arrive in any split (one at a time, or several
 * packets in one chunk, as over WebSocket frames: MQTT-6.0.0-2).
 */

export type FrameResult =
  | { readonly kind: 'frame'; readonly bytes: Buffer }
  | { readonly kind: 'too-large'; readonly size: number }
  | { readonly kind: 'malformed'; readonly reason: string };

type Failure = Exclude<FrameResult, { kind: 'frame' }>;

export class Framer {
  readonly #max: number;
  readonly #chunks: Buffer[] = [];
  #length = 0;
  /** Total size of the packet being received, once its fixed header is complete. */
  #need: number | undefined;
  #failed = false;

  constructor(maxPacketSize: number) {
    this.#max = maxPacketSize;
  }

  /** Bytes received but not yet returned as a packet. */
  get bufferedBytes(): number {
    return this.#length;
  }

  /** Takes more bytes; returns the packets they complete, in order, and after a failure
   *  (last in the list) nothing more, ever: the connection is to be closed. */
  push(chunk: Uint8Array): FrameResult[] {
    if (this.#failed || chunk.length === 0) return [];
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#length += chunk.length;
    const out: FrameResult[] = [];
    for (;;) {
      if (this.#need === undefined) {
        const header = this.#header();
        if (header === undefined) break;
        if (header !== 'ready') {
          this.#fail();
          out.push(header);
          break;
        }
      }
      const need = this.#need as number;
      if (this.#length < need) break;
      out.push({ kind: 'frame', bytes: this.#take(need) });
      this.#need = undefined;
    }
    return out;
  }

  /** Reads the fixed header once it is complete (undefined until then): sets #need, or
   *  returns the failure. */
  #header(): 'ready' | Failure | undefined {
    let value = 0;
    let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      if (i >= this.#length) return undefined;
      const b = this.#byteAt(i);
      value += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) {
        const size = 1 + i + value;
        if (size > this.#max) return { kind: 'too-large', size };
        this.#need = size;
        return 'ready';
      }
    }
    // MQTT 5.0 1.5.5: a Variable Byte Integer has at most four bytes.
    return { kind: 'malformed', reason: 'Remaining Length longer than four bytes' };
  }

  #byteAt(index: number): number {
    let i = index;
    for (const c of this.#chunks) {
      if (i < c.length) return c[i] as number;
      i -= c.length;
    }
    throw new RangeError('framer: byte beyond the buffer');
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    let bytes: Buffer;
    if (first.length >= n) {
      bytes = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      bytes = Buffer.allocUnsafe(n);
      let at = 0;
      let used = 0;
      while (at < n) {
        const c = this.#chunks[used] as Buffer;
        const part = Math.min(c.length, n - at);
        c.copy(bytes, at, 0, part);
        at += part;
        if (part === c.length) used++;
        else this.#chunks[used] = c.subarray(part);
      }
      // One splice, not a shift per chunk: a packet fed a byte at a time is many chunks.
      this.#chunks.splice(0, used);
    }
    this.#length -= n;
    return bytes;
  }

  #fail(): void {
    this.#failed = true;
    this.#chunks.length = 0;
    this.#length = 0;
  }
}
