/**
 * The MQTT listeners' limits: named defaults, validated once when the servers start. A wrong
 * value given by the calling code is misuse, so it is a TypeError naming the key, the value and
 * the rule; an unknown key is refused with the list of known ones.
 */

export interface MqttLimits {
  /** Largest packet accepted from a client, fixed header included (bytes). Advertised to MQTT 5
   *  clients as Maximum Packet Size; larger packets are refused from their fixed header, before
   *  their body is buffered. */
  readonly maxPacketSize: number;
  /** Time a new connection has to send CONNECT and be answered (ms). */
  readonly connectTimeoutMs: number;
  /** Largest Keep Alive granted to MQTT 5 clients, in seconds (0: no cap). A larger or zero
   *  request is answered with Server Keep Alive. MQTT 3.1.1 cannot be told, so its value holds. */
  readonly maxKeepAlive: number;
  /** Questions to the host (QoS 1/2 publishes, subscribes) open at once per connection. Advertised
   *  to MQTT 5 clients as Receive Maximum; reading stops while that many are open. */
  readonly receiveMaximum: number;
  /** Outbound QoS 1/2 messages unacknowledged at once (capped further by the client's Receive
   *  Maximum). */
  readonly maxInflightOut: number;
  /** Topic aliases accepted from an MQTT 5 client (0: none). */
  readonly topicAliasMaximum: number;
  /** Whether retained messages are handed to the host. When false, MQTT 5 clients are told
   *  Retain Available 0. */
  readonly retainAvailable: boolean;
  /** Longest client identifier accepted, in UTF-8 bytes (MQTT-3.1.3-5 requires at least 23). */
  readonly maxClientIdLength: number;
  /** Bytes written but not yet taken by the peer before the connection is closed (0x97). */
  readonly maxOutboundBufferBytes: number;
  /** Bytes received and held while the channel does not take input before the connection is
   *  closed (0x97). Must be at least maxPacketSize. */
  readonly maxHeldInputBytes: number;
  /** Time a closing connection has to flush its last packets before it is cut (ms). */
  readonly closeGraceMs: number;
}

export const mqttDefaults: MqttLimits = Object.freeze({
  maxPacketSize: 1024 * 1024,
  connectTimeoutMs: 10_000,
  maxKeepAlive: 0,
  receiveMaximum: 32,
  maxInflightOut: 32,
  topicAliasMaximum: 16,
  retainAvailable: false,
  maxClientIdLength: 256,
  maxOutboundBufferBytes: 4 * 1024 * 1024,
  maxHeldInputBytes: 2 * 1024 * 1024,
  closeGraceMs: 5_000,
});

type IntRule = readonly [min: number, max: number];

const INT_RULES: Record<Exclude<keyof MqttLimits, 'retainAvailable'>, IntRule> = {
  // The Remaining Length's four bytes cap a packet at 268,435,455 + 5 bytes (MQTT 5.0 1.5.5).
  maxPacketSize: [128, 268_435_460],
  connectTimeoutMs: [100, 3_600_000],
  maxKeepAlive: [0, 65_535],
  receiveMaximum: [1, 65_535],
  maxInflightOut: [1, 65_535],
  topicAliasMaximum: [0, 65_535],
  maxClientIdLength: [23, 65_535],
  maxOutboundBufferBytes: [1024, 2 ** 31],
  maxHeldInputBytes: [128, 2 ** 31],
  closeGraceMs: [0, 600_000],
};

export function resolveLimits(given: Partial<MqttLimits> = {}): MqttLimits {
  const known = Object.keys(mqttDefaults);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw new TypeError(`mqtt limits: unknown key "${key}"; known keys are ${known.join(', ')}`);
    }
  }
  const out: Record<string, number | boolean> = { ...mqttDefaults };
  for (const [key, [min, max]] of Object.entries(INT_RULES)) {
    const v = (given as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(`mqtt limits: ${key}=${String(v)} must be an integer from ${min} to ${max}`);
    }
    out[key] = v;
  }
  if (given.retainAvailable !== undefined) {
    if (typeof given.retainAvailable !== 'boolean') {
      throw new TypeError(`mqtt limits: retainAvailable=${String(given.retainAvailable)} must be a boolean`);
    }
    out['retainAvailable'] = given.retainAvailable;
  }
  const limits = out as unknown as MqttLimits;
  if (limits.maxHeldInputBytes < limits.maxPacketSize) {
    throw new TypeError(
      `mqtt limits: maxHeldInputBytes=${limits.maxHeldInputBytes} must be at least maxPacketSize=${limits.maxPacketSize}`,
    );
  }
  return Object.freeze(limits);
}
