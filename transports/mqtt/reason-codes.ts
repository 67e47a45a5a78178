/**
 * MQTT reason codes. The channel speaks MQTT 5's vocabulary everywhere (MQTT 5.0 section 2.4,
 * the tables of 3.2.2.2, 3.4.2.1, 3.9.3, 3.11.3, 3.14.2.1) and turns a refusal into the MQTT
 * 3.1.1 CONNACK return code (3.1.1 table 3.1) only when it writes a 3.1.1 CONNACK, so that hosts,
 * logs and metrics see one set of codes whatever the client's protocol version.
 */

export const RC = {
  SUCCESS: 0x00,
  GRANTED_QOS_1: 0x01,
  GRANTED_QOS_2: 0x02,
  DISCONNECT_WITH_WILL: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_IDENTIFIER_NOT_VALID: 0x85,
  BAD_USER_NAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_BUSY: 0x89,
  BANNED: 0x8a,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_IN_USE: 0x91,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  MESSAGE_RATE_TOO_HIGH: 0x96,
  QUOTA_EXCEEDED: 0x97,
  ADMINISTRATIVE_ACTION: 0x98,
  PAYLOAD_FORMAT_INVALID: 0x99,
  RETAIN_NOT_SUPPORTED: 0x9a,
  QOS_NOT_SUPPORTED: 0x9b,
  USE_ANOTHER_SERVER: 0x9c,
  SERVER_MOVED: 0x9d,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
  CONNECTION_RATE_EXCEEDED: 0x9f,
  MAXIMUM_CONNECT_TIME: 0xa0,
  SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: 0xa1,
  WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: 0xa2,
} as const;

/** MQTT 3.1.1 CONNACK return codes (3.1.1 section 3.2.2.3, table 3.1). */
export const ConnectReturnCode = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USER_NAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

/** MQTT 5.0 3.2.2.2: the codes a CONNACK may carry. */
export const CONNACK_CODES: ReadonlySet<number> = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a,
  0x9b, 0x9c, 0x9d, 0x9f,
]);

/** MQTT 5.0 3.14.2.1: the codes a DISCONNECT may carry. 0x8A Banned is not among them: it exists
 *  only on CONNACK, so a revoked credential ends a live session with 0x87 Not authorized (or
 *  0x98 Administrative action) and is refused at its next CONNECT with 0x8A or 0x87. */
export const DISCONNECT_CODES: ReadonlySet<number> = new Set([
  0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
  0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
]);

/** MQTT 5.0 3.4.2.1 and 3.5.2.1: the codes of PUBACK and PUBREC. */
export const PUBACK_CODES: ReadonlySet<number> = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);

/** MQTT 5.0 3.9.3: the codes of SUBACK (granted QoS 0..2, or a failure). */
export const SUBACK_CODES: ReadonlySet<number> = new Set([
  0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2,
]);

/** MQTT 5.0 3.11.3: the codes of UNSUBACK. */
export const UNSUBACK_CODES: ReadonlySet<number> = new Set([0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]);

/** The MQTT 3.1.1 CONNACK return code that says the most of an MQTT 5 refusal. */
export function toConnectReturnCode(reasonCode: number): number {
  switch (reasonCode) {
    case RC.SUCCESS:
      return ConnectReturnCode.ACCEPTED;
    case RC.UNSUPPORTED_PROTOCOL_VERSION:
      return ConnectReturnCode.UNACCEPTABLE_PROTOCOL_VERSION;
    case RC.CLIENT_IDENTIFIER_NOT_VALID:
      return ConnectReturnCode.IDENTIFIER_REJECTED;
    case RC.BAD_USER_NAME_OR_PASSWORD:
      return ConnectReturnCode.BAD_USER_NAME_OR_PASSWORD;
    case RC.NOT_AUTHORIZED:
    case RC.BANNED:
    case RC.BAD_AUTHENTICATION_METHOD:
      return ConnectReturnCode.NOT_AUTHORIZED;
    default:
      return ConnectReturnCode.SERVER_UNAVAILABLE;
  }
}

/** A SUBACK failure in MQTT 3.1.1 is the single code 0x80 (3.1.1 section 3.9.3). */
export function toSubackReturnCode(code: number): number {
  return code >= 0x80 ? 0x80 : code;
}
