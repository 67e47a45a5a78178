/**
 * CONNECT, and the host's answer to the authentication it asks for. The checks run in the order
 * of MQTT 5.0 3.1.4 (CONNECT Actions): format, protocol, client identifier, properties, will;
 * then the host decides on the credentials, and the CONNACK goes out when it has answered.
 */
import type { IConnectPacket, IConnackPacket } from 'mqtt-packet';
import { CONNACK_CODES, RC } from '../reason-codes.js';
import { nextEffectId, type ChannelState, type ConnectFacts } from '../state.js';
import { malformed, proceed, protocolError, refuseConnect, type Step } from '../step.js';
import { topicNameProblem } from '../topic.js';
import type { AuthResult, ProtocolVersion, WillMessage } from '../types.js';
import { messageProperties } from './publish.js';

export function onConnect(s: ChannelState, p: IConnectPacket, now: number): Step {
  // MQTT-3.1.0-2: a second CONNECT is a protocol violation.
  if (s.phase !== 'awaiting-connect') return protocolError(s, 'second CONNECT');
  s.lastPacketAt = now;
  const level = p.protocolVersion ?? 4;
  const version: ProtocolVersion = level === 5 ? 5 : level === 3 ? 3 : 4;
  s.version = version;
  // MQTT 3.1 is named MQIsdp, 3.1.1 and 5.0 are named MQTT (MQTT-3.1.2-1). A mismatch is a
  // protocol this server does not speak: 3.1.1 return code 1 (MQTT-3.1.2-2), 5.0 0x84.
  if ((version === 3) !== (p.protocolId === 'MQIsdp')) {
    return refuseConnect(s, RC.UNSUPPORTED_PROTOCOL_VERSION, `protocol ${String(p.protocolId)} level ${level}`);
  }
  const props = p.properties;
  if (props !== undefined) {
    const bad = badConnectProperty(props);
    if (bad !== undefined) return refuseConnect(s, RC.PROTOCOL_ERROR, bad);
    // MQTT 5.0 4.12: enhanced authentication is not offered (MQTT-4.12.0-1 allows 0x8C).
    if (props.authenticationMethod !== undefined) return refuseConnect(s, RC.BAD_AUTHENTICATION_METHOD, 'enhanced authentication is not supported');
  }
  const limits = s.config.limits;

  // Client identifier (MQTT-3.1.3-5 .. -9 in 3.1.1, MQTT-3.1.3-6 .. -8 in 5.0).
  let clientId = p.clientId;
  let assigned = false;
  if (clientId.includes('\u0000')) return malformedConnect(s, 'NUL in client identifier');
  if (clientId.length === 0) {
    // 3.1 requires 1 to 23 characters; 3.1.1 allows an empty id only with CleanSession 1
    // (MQTT-3.1.3-8); 5.0 always assigns one and returns it (MQTT-3.1.3-7).
    if (version === 3 || (version === 4 && p.clean === false)) {
      return refuseConnect(s, RC.CLIENT_IDENTIFIER_NOT_VALID, 'empty client identifier');
    }
    clientId = s.config.assignClientId();
    assigned = true;
  } else if (Buffer.byteLength(clientId) > limits.maxClientIdLength) {
    return refuseConnect(s, RC.CLIENT_IDENTIFIER_NOT_VALID, 'client identifier too long');
  }
  if (p.username?.includes('\u0000')) return malformedConnect(s, 'NUL in user name');
  // MQTT-3.1.2-22 (3.1.1): no password without a user name (5.0 allows one).
  if (version !== 5 && p.password !== undefined && p.username === undefined) return malformedConnect(s, 'password without user name');

  const will = p.will;
  let willMessage: WillMessage | undefined;
  if (will !== undefined) {
    // MQTT-3.1.2-14 (3.1.1): a will QoS of 3 is malformed.
    if (will.qos !== undefined && will.qos > 2) return malformedConnect(s, 'will QoS 3');
    const problem = topicNameProblem(will.topic);
    if (problem === 'null-character') return malformedConnect(s, 'NUL in will topic');
    if (problem !== undefined) return version === 5 ? refuseConnect(s, RC.TOPIC_NAME_INVALID, `will topic: ${problem}`) : malformedConnect(s, `will topic: ${problem}`);
    // MQTT-3.2.2-13: a will to be retained where retain is not available is refused with 0x9A.
    // A 3.1.1 client cannot be told, so its will keeps the flag and the host may ignore it.
    if (will.retain === true && !limits.retainAvailable && version === 5) {
      return refuseConnect(s, RC.RETAIN_NOT_SUPPORTED, 'retained messages are not supported');
    }
    const wp = will.properties;
    const properties = wp === undefined ? undefined : messageProperties(wp);
    willMessage = {
      topic: will.topic,
      payload: typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload,
      qos: will.qos ?? 0,
      retain: will.retain === true,
      delayInterval: wp?.willDelayInterval ?? 0,
      ...(properties === undefined || Object.keys(properties).length === 0 ? {} : { properties }),
    };
  }

  // Keep Alive: an MQTT 5 client is capped with Server Keep Alive (MQTT-3.2.2-21); a 3.1.1 one
  // cannot be told, so its own value is the one enforced.
  const asked = p.keepalive ?? 0;
  const keepAlive = version === 5 && limits.maxKeepAlive > 0 && (asked === 0 || asked > limits.maxKeepAlive) ? limits.maxKeepAlive : asked;

  s.clientId = clientId;
  s.username = p.username;
  s.keepAliveMs = keepAlive * 1000;
  s.will = willMessage;
  s.clientMaxPacketSize = props?.maximumPacketSize as number | undefined;
  s.clientReceiveMaximum = (props?.receiveMaximum as number | undefined) ?? 65_535;
  s.sessionExpiryZero = (props?.sessionExpiryInterval ?? 0) === 0;
  s.connect = { assigned, asked, keepAlive, sessionExpiry: props?.sessionExpiryInterval ?? 0 };

  // A TLS client whose certificate failed verification is refused here, so that the host only
  // ever sees verified certificates (the handshake lets it through to be told why).
  if (s.config.certificateError !== undefined) return refuseConnect(s, RC.NOT_AUTHORIZED, 'client certificate not trusted');

  s.phase = 'authenticating';
  const id = nextEffectId(s);
  s.pending.set(id, { kind: 'authenticate' });
  return proceed(s, [], [
    {
      type: 'authenticate',
      id,
      request: {
        clientId,
        clientIdAssigned: assigned,
        username: p.username,
        password: p.password,
        protocolVersion: version,
        // Sessions are not kept: Clean Start 0 is accepted and answered Session Present 0.
        cleanStart: p.clean !== false,
        keepAlive,
        certificate: s.config.certificate,
        will: willMessage,
      },
    },
  ]);
}

export function onAuthenticated(s: ChannelState, id: number, result: AuthResult): Step {
  const pending = s.pending.get(id);
  if (pending?.kind !== 'authenticate' || s.phase !== 'authenticating') return proceed(s);
  if (!result.ok && (result.reasonCode < 0x80 || !CONNACK_CODES.has(result.reasonCode))) {
    throw new TypeError(`authenticate answer: 0x${result.reasonCode.toString(16)} is not a CONNACK refusal code`);
  }
  s.pending.delete(id);
  if (!result.ok) return refuseConnect(s, result.reasonCode, 'refused by authentication');
  s.phase = 'connected';
  const facts = s.connect;
  s.connect = undefined;
  const connack: IConnackPacket =
    s.version === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode: RC.SUCCESS, properties: advertised(s, facts) }
      : { cmd: 'connack', sessionPresent: false, returnCode: 0 };
  return proceed(s, [connack], [
    { type: 'open', info: { clientId: s.clientId, username: s.username, protocolVersion: s.version, keepAlive: s.keepAliveMs / 1000 } },
  ]);
}

/** What an MQTT 5 CONNACK advertises (MQTT 5.0 3.2.2.3). Absent properties keep their defaults:
 *  QoS 2, wildcard subscriptions available. */
function advertised(s: ChannelState, f: ConnectFacts | undefined): NonNullable<IConnackPacket['properties']> {
  const limits = s.config.limits;
  const props: NonNullable<IConnackPacket['properties']> = {};
  // Sessions end with the connection: a longer expiry asked for is answered 0 (3.2.2.3.2).
  if (f !== undefined && f.sessionExpiry > 0) props.sessionExpiryInterval = 0;
  if (limits.receiveMaximum !== 65_535) props.receiveMaximum = limits.receiveMaximum;
  if (!limits.retainAvailable) props.retainAvailable = false;
  props.maximumPacketSize = limits.maxPacketSize;
  if (f?.assigned === true) props.assignedClientIdentifier = s.clientId;
  // MQTT-3.2.2-17, -18: the client may not send aliases above this (none when 0).
  if (limits.topicAliasMaximum > 0) props.topicAliasMaximum = limits.topicAliasMaximum;
  props.subscriptionIdentifiersAvailable = false;
  props.sharedSubscriptionAvailable = false;
  if (f !== undefined && f.keepAlive !== f.asked) props.serverKeepAlive = f.keepAlive;
  return props;
}

/** MQTT 5.0 3.1.2.11: a property twice, or a Receive Maximum or Maximum Packet Size of 0, is a
 *  Protocol Error. mqtt-packet turns a repeated property into an array. */
function badConnectProperty(props: NonNullable<IConnectPacket['properties']>): string | undefined {
  for (const [name, value] of Object.entries(props)) {
    if (name !== 'userProperties' && Array.isArray(value)) return `property ${name} more than once`;
  }
  if (props.receiveMaximum === 0) return 'Receive Maximum 0';
  if (props.maximumPacketSize === 0) return 'Maximum Packet Size 0';
  return undefined;
}

/** MQTT 5.0 4.13.1 allows a CONNACK 0x81 for a malformed CONNECT; 3.1.1 closes without one
 *  (MQTT-3.1.4-1). */
function malformedConnect(s: ChannelState, reason: string): Step {
  return s.version === 5 ? refuseConnect(s, RC.MALFORMED_PACKET, reason) : malformed(s, reason);
}
