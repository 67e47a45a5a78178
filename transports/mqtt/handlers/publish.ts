/**
 * PUBLISH from the client, and the host's answer to it. QoS 0 is handed over and forgotten;
 * QoS 1 is answered PUBACK once the host has answered; QoS 2 is answered PUBREC and its packet
 * id held until PUBREL, so that a re-sent PUBLISH with that id is acknowledged again but never
 * handed to the host twice (MQTT 5.0 4.3.3, 3.1.1 4.3.3).
 */
import type { IPublishPacket } from 'mqtt-packet';
import { PUBACK_CODES, RC } from '../reason-codes.js';
import { nextEffectId, type ChannelState } from '../state.js';
import { closeWith, malformed, proceed, protocolError, type Step } from '../step.js';
import { topicNameProblem } from '../topic.js';
import type { InboundMessage, MessageProperties } from '../types.js';

export function onPublish(s: ChannelState, p: IPublishPacket): Step {
  const v5 = s.version === 5;
  const topic = resolveTopic(s, p);
  if (typeof topic !== 'string') return topic;
  const problem = topicNameProblem(topic);
  if (problem === 'null-character') return malformed(s, 'NUL in topic name');
  // MQTT-3.3.2-2: no wildcard in a topic name; 5.0 names the reason 0x90.
  if (problem !== undefined) return closeWith(s, RC.TOPIC_NAME_INVALID, `topic name: ${problem}`);
  if (v5 && p.properties?.subscriptionIdentifier !== undefined) {
    // MQTT-3.3.4-6: a client's PUBLISH carries no Subscription Identifier.
    return protocolError(s, 'Subscription Identifier in PUBLISH');
  }
  // MQTT 5.0 3.3.1.3: retain where Retain Available is 0 is answered DISCONNECT 0x9A.
  if (p.retain && v5 && !s.config.limits.retainAvailable) return closeWith(s, RC.RETAIN_NOT_SUPPORTED, 'retained messages are not supported');

  const message: InboundMessage = {
    topic,
    payload: typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload,
    qos: p.qos,
    retain: p.retain,
    ...(v5 && p.properties !== undefined ? { properties: messageProperties(p.properties) } : {}),
  };
  if (p.qos === 0) return proceed(s, [], [{ type: 'publish', id: undefined, message }]);

  const packetId = p.messageId ?? 0;
  // MQTT-2.2.1-3 (2.3.1-1 in 3.1.1): QoS 1/2 carries a non-zero packet id.
  if (packetId === 0) return protocolError(s, 'QoS > 0 PUBLISH without packet identifier');
  const stage = s.inbound.get(packetId);
  if (stage === 'released' && p.qos === 2) {
    // MQTT 5.0 4.3.3 / 3.1.1 4.3.3: until PUBREL, a PUBLISH with this id is acknowledged again
    // with PUBREC and not delivered onward a second time.
    return proceed(s, [ack(s, 'pubrec', packetId, RC.SUCCESS)]);
  }
  // Already with the host: its answer will acknowledge this copy too.
  if (stage === 'host' && p.dup) return proceed(s);
  if (stage !== undefined) return protocolError(s, `packet identifier ${packetId} in use`);

  const limits = s.config.limits;
  if (s.inbound.size >= limits.receiveMaximum) {
    // MQTT 5.0 3.3.4: more unacknowledged QoS 1/2 PUBLISH than the Receive Maximum we
    // advertised (MQTT-3.3.4-7 binds the client) is answered DISCONNECT 0x93. A 3.1.1 client
    // was told no limit: reading stops while the host has that many open, so what it can pile
    // up is QoS 2 ids never released by PUBREL, and those are bounded the same way.
    if (v5 || (p.qos === 2 && countReleased(s) >= limits.receiveMaximum)) {
      return closeWith(s, RC.RECEIVE_MAXIMUM_EXCEEDED, 'receive maximum exceeded');
    }
  }
  const id = nextEffectId(s);
  s.inbound.set(packetId, 'host');
  s.pending.set(id, { kind: 'publish', packetId, qos: p.qos });
  return proceed(s, [], [{ type: 'publish', id, message }]);
}

export function onPublished(s: ChannelState, id: number, reasonCode: number): Step {
  const pending = s.pending.get(id);
  if (pending?.kind !== 'publish') return proceed(s);
  if (!PUBACK_CODES.has(reasonCode)) throw new TypeError(`publish answer: 0x${reasonCode.toString(16)} is not a PUBACK/PUBREC reason code`);
  s.pending.delete(id);
  const { packetId, qos } = pending;
  // MQTT 5.0 4.9: a PUBACK, or a PUBREC of 0x80 or more, gives the slot back; a good PUBREC
  // keeps the id until PUBREL. MQTT 3.1.1 has no refusal on the wire: the client is
  // acknowledged all the same (MQTT-3.3.5-2 allows a positive ack), and the host may end the
  // session with a server disconnect if it wants to.
  if (qos === 2 && reasonCode < 0x80) s.inbound.set(packetId, 'released');
  else s.inbound.delete(packetId);
  return proceed(s, [ack(s, qos === 1 ? 'puback' : 'pubrec', packetId, reasonCode)]);
}

function countReleased(s: ChannelState): number {
  let n = 0;
  for (const stage of s.inbound.values()) if (stage === 'released') n++;
  return n;
}

/** A PUBACK/PUBREC/PUBREL/PUBCOMP: with its reason code in 5.0, without in 3.1.1. */
export function ack(s: ChannelState, cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', messageId: number, reasonCode: number) {
  return s.version === 5 ? { cmd, messageId, reasonCode } : { cmd, messageId };
}

/** MQTT 5.0 3.3.2.3.4: an empty topic with an alias uses the alias' topic; a topic with an
 *  alias (re)sets it. Aliases only exist in 5.0; an empty topic is otherwise invalid. */
function resolveTopic(s: ChannelState, p: IPublishPacket): string | Step {
  const alias = p.properties?.topicAlias as number | number[] | undefined;
  if (alias === undefined || s.version !== 5) {
    if (p.topic.length === 0) return s.version === 5 ? protocolError(s, 'empty topic without alias') : malformed(s, 'empty topic');
    return p.topic;
  }
  if (Array.isArray(alias)) return protocolError(s, 'Topic Alias more than once');
  // MQTT-3.3.2-8 (0 is not an alias) and MQTT-3.3.2-9 / 3.2.2-17 (not above our maximum).
  if (alias === 0 || alias > s.config.limits.topicAliasMaximum) return closeWith(s, RC.TOPIC_ALIAS_INVALID, `topic alias ${alias}`);
  if (p.topic.length > 0) {
    s.aliases.set(alias, p.topic);
    return p.topic;
  }
  const known = s.aliases.get(alias);
  return known ?? protocolError(s, `unknown topic alias ${alias}`);
}

/** The application message properties a server passes on unaltered (MQTT-3.3.2-4, -16..-20). */
export function messageProperties(props: {
  payloadFormatIndicator?: boolean | undefined;
  messageExpiryInterval?: number | undefined;
  contentType?: string | undefined;
  responseTopic?: string | undefined;
  correlationData?: Buffer | undefined;
  userProperties?: MessageProperties['userProperties'] | undefined;
}): MessageProperties {
  const out: { -readonly [K in keyof MessageProperties]: MessageProperties[K] } = {};
  if (props.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = props.payloadFormatIndicator;
  if (props.messageExpiryInterval !== undefined) out.messageExpiryInterval = props.messageExpiryInterval;
  if (props.contentType !== undefined) out.contentType = props.contentType;
  if (props.responseTopic !== undefined) out.responseTopic = props.responseTopic;
  if (props.correlationData !== undefined) out.correlationData = props.correlationData;
  if (props.userProperties !== undefined) out.userProperties = props.userProperties;
  return out;
}
