/** CONNACK codes by name, for reports ("refused: 5 not authorized"). */

/** MQTT 3.1.1, 3.2.2.3. */
const V4: Readonly<Record<number, string>> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** MQTT 5, 3.2.2.2 (the reason codes a CONNACK may carry). */
const V5: Readonly<Record<number, string>> = {
  0x00: 'success',
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x90: 'topic name invalid',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'qos not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9f: 'connection rate exceeded',
};

export function connackCodeName(code: number, protocolVersion: 4 | 5): string {
  // A 3.1.1-only server answers an MQTT 5 CONNECT with a 3.1.1 CONNACK (code 1): name it so.
  const table = protocolVersion === 5 && code > 0 && code < 0x80 ? V4 : protocolVersion === 5 ? V5 : V4;
  return table[code] ?? `code ${code}`;
}
