/**
 * A message from the host to the client: a server PUBLISH. QoS 0 is written and forgotten;
 * QoS 1/2 takes a free packet id and a slot of the outbound window, which is the smaller of
 * the client's Receive Maximum (MQTT-3.3.4-9) and our own cap. When the window is full the
 * message is handed back to the host (outcome `window-full`): the host owns the queue, so the
 * channel's memory stays bounded. QoS 0 reports only a failure.
 */
import type { IPublishPacket } from 'mqtt-packet';
import type { ChannelState } from '../state.js';
import { encodedSize, proceed, type Step } from '../step.js';
import { topicNameProblem } from '../topic.js';
import type { DeliveryOutcome, MessageProperties, OutboundMessage } from '../types.js';

export function onDeliver(s: ChannelState, m: OutboundMessage): Step {
  checkOutbound(m);
  if (s.phase !== 'connected') return refused(s, m, 'not-connected');
  if (m.qos > 0 && s.outbound.size >= Math.min(s.clientReceiveMaximum, s.config.limits.maxInflightOut)) {
    return refused(s, m, 'window-full');
  }
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: m.topic,
    payload: typeof m.payload === 'string' ? m.payload : asBuffer(m.payload),
    qos: m.qos,
    retain: m.retain === true,
    // MQTT-3.3.1-1..-3: DUP only on a re-send, and nothing is ever re-sent here.
    dup: false,
    // No Topic Alias is ever sent (MQTT-3.1.2-26, -27 allow none).
    ...(s.version === 5 && m.properties !== undefined ? { properties: wireProperties(m.properties) } : {}),
  };
  if (m.qos > 0) packet.messageId = freePacketId(s);
  // MQTT-3.1.2-24, -25: a packet larger than the client's Maximum Packet Size is discarded
  // unsent and treated as if it had been delivered.
  if (s.clientMaxPacketSize !== undefined && encodedSize(packet, s.version) > s.clientMaxPacketSize) {
    return refused(s, m, 'too-large');
  }
  if (m.qos > 0) {
    const id = packet.messageId as number;
    s.nextPacketId = id === 65_535 ? 1 : id + 1;
    s.outbound.set(id, { ref: m.ref, qos: m.qos as 1 | 2, stage: m.qos === 1 ? 'puback' : 'pubrec' });
  }
  return proceed(s, [packet]);
}

/** A message the host wants sent must be sendable: misuse is a TypeError (STYLE 9). */
export function checkOutbound(m: OutboundMessage): void {
  if (m.qos !== 0 && m.qos !== 1 && m.qos !== 2) throw new TypeError(`deliver: qos ${String(m.qos)} is not 0, 1 or 2`);
  const problem = topicNameProblem(m.topic);
  if (problem !== undefined) throw new TypeError(`deliver: topic "${m.topic}" is not a valid topic name (${problem})`);
}

function refused(s: ChannelState, m: OutboundMessage, outcome: DeliveryOutcome): Step {
  return proceed(s, [], [{ type: 'delivery', ref: m.ref, outcome }]);
}

/** The next packet id not in flight, from 1 to 65,535 round (MQTT-2.2.1-3: non-zero, unused).
 *  The window is at most 65,535 wide and was checked before, so one is free. */
function freePacketId(s: ChannelState): number {
  let id = s.nextPacketId;
  while (s.outbound.has(id)) id = id === 65_535 ? 1 : id + 1;
  return id;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function wireProperties(p: MessageProperties): NonNullable<IPublishPacket['properties']> {
  const { correlationData, ...rest } = p;
  return correlationData === undefined ? { ...rest } : { ...rest, correlationData: asBuffer(correlationData) };
}
