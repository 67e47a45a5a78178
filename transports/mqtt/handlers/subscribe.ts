/**
 * SUBSCRIBE, and the host's answer. The channel refuses what it can judge alone (a malformed
 * filter, a shared subscription), asks the host about the rest, and answers one SUBACK with a
 * code per filter in the order received (MQTT-3.8.4-1, -2; MQTT-3.9.3-1).
 */
import type { ISubackPacket, ISubscribePacket } from 'mqtt-packet';
import { RC, SUBACK_CODES, toSubackReturnCode } from '../reason-codes.js';
import { nextEffectId, type ChannelState } from '../state.js';
import { closeWith, malformed, proceed, protocolError, type Step } from '../step.js';
import { isSharedFilter, topicFilterProblem } from '../topic.js';
import type { SubscriptionRequest } from '../types.js';

export function onSubscribe(s: ChannelState, p: ISubscribePacket): Step {
  const v5 = s.version === 5;
  const packetId = p.messageId ?? 0;
  if (packetId === 0) return protocolError(s, 'SUBSCRIBE without packet identifier');
  // MQTT-3.8.3-3 (3.1.1) / MQTT-3.8.3-2 (5.0): at least one filter.
  if (p.subscriptions.length === 0) return protocolError(s, 'SUBSCRIBE without topic filter');
  // Subscription Identifiers are advertised as unavailable (MQTT 5.0 3.2.2.3.12).
  if (v5 && p.properties?.subscriptionIdentifier !== undefined) {
    return closeWith(s, RC.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, 'subscription identifiers are not supported');
  }
  const codes: number[] = [];
  const slots: number[] = [];
  const filters: SubscriptionRequest[] = [];
  for (const sub of p.subscriptions) {
    const problem = topicFilterProblem(sub.topic);
    if (problem === 'null-character') return malformed(s, 'NUL in topic filter');
    if (problem !== undefined) {
      codes.push(v5 ? RC.TOPIC_FILTER_INVALID : 0x80);
    } else if (v5 && isSharedFilter(sub.topic)) {
      // Advertised as unavailable (MQTT 5.0 3.2.2.3.13): refused per filter with 0x9E.
      codes.push(RC.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED);
    } else {
      slots.push(codes.length);
      codes.push(0x80);
      filters.push(
        v5
          ? { topicFilter: sub.topic, qos: sub.qos, noLocal: sub.nl === true, retainAsPublished: sub.rap === true, retainHandling: sub.rh ?? 0 }
          : { topicFilter: sub.topic, qos: sub.qos },
      );
    }
  }
  if (filters.length === 0) return proceed(s, [suback(packetId, codes)]);
  const id = nextEffectId(s);
  s.pending.set(id, { kind: 'subscribe', packetId, codes, slots });
  return proceed(s, [], [{ type: 'subscribe', id, filters }]);
}

export function onSubscribed(s: ChannelState, id: number, answer: readonly number[]): Step {
  const pending = s.pending.get(id);
  if (pending?.kind !== 'subscribe') return proceed(s);
  if (answer.length !== pending.slots.length) {
    throw new TypeError(`subscribe answer: ${answer.length} codes for ${pending.slots.length} filters`);
  }
  s.pending.delete(id);
  answer.forEach((code, i) => {
    if (!SUBACK_CODES.has(code)) throw new TypeError(`subscribe answer: 0x${code.toString(16)} is not a SUBACK reason code`);
    // MQTT-3.9.3-2 (3.1.1): only 0, 1, 2 and 0x80.
    pending.codes[pending.slots[i] as number] = s.version === 5 ? code : toSubackReturnCode(code);
  });
  return proceed(s, [suback(pending.packetId, pending.codes)]);
}

function suback(messageId: number, granted: number[]): ISubackPacket {
  return { cmd: 'suback', messageId, granted };
}
