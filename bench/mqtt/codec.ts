/**
 * Hand-encoded hot-path packets: PUBLISH and PUBACK, written straight into one buffer each.
 * mqtt-packet's `generate` builds an intermediate object and several buffers per packet; at
 * hundreds of thousands of publishes a second that is the load generator's own bottleneck.
 * Byte-for-byte equal to mqtt-packet's output (tested), so the server sees the same wire.
 */

export type QoS01 = 0 | 1;

/** Bytes of the MQTT variable byte integer for `n` (MQTT-1.5.5). */
export function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(buf: Buffer, offset: number, n: number): number {
  let v = n;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    buf[offset++] = byte;
  } while (v > 0);
  return offset;
}

/** Largest remaining length MQTT can express (MQTT-2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * Encodes PUBLISH (no DUP, no RETAIN). `topic` is pre-encoded UTF-8 so a generator sending to a
 * fixed topic encodes it once. MQTT 5 adds an empty property block (length 0).
 */
export function encodePublish(topic: Buffer, payload: Buffer, qos: QoS01, packetId: number, v5: boolean): Buffer {
  const remaining = 2 + topic.length + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload.length;
  if (remaining > MAX_REMAINING_LENGTH) throw new RangeError(`PUBLISH of ${remaining} bytes exceeds MQTT's limit`);
  const buf = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining);
  buf[0] = 0x30 | (qos << 1);
  let o = writeVarint(buf, 1, remaining);
  buf.writeUInt16BE(topic.length, o);
  o += 2;
  o += topic.copy(buf, o);
  if (qos > 0) {
    buf.writeUInt16BE(packetId, o);
    o += 2;
  }
  if (v5) buf[o++] = 0;
  payload.copy(buf, o);
  return buf;
}

/** PUBACK with reason "success": the short form is valid in 3.1.1 and in 5 (MQTT5 3.4.2.1). */
export function encodePuback(packetId: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf[0] = 0x40;
  buf[1] = 2;
  buf.writeUInt16BE(packetId, 2);
  return buf;
}

export const PINGREQ = Buffer.from([0xc0, 0x00]);
/** DISCONNECT, normal: remaining length 0 means reason 0x00 in MQTT 5 (MQTT5 3.14.2.1). */
export const DISCONNECT = Buffer.from([0xe0, 0x00]);
