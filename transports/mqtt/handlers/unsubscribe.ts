/**
 * UNSUBSCRIBE, and the host's answer: one UNSUBACK with the same packet id, even when nothing
 * was subscribed (MQTT-3.10.4-4, -5), with a code per filter in 5.0 (MQTT-3.11.3-1, -2).
 */
import type { IUnsubackPacket, IUnsubscribePacket } from 'mqtt-packet';
import { RC, UNSUBACK_CODES } from '../reason-codes.js';
import { nextEffectId, type ChannelState } from '../state.js';
import { malformed, proceed, protocolError, type Step } from '../step.js';
import { topicFilterProblem } from '../topic.js';

export function onUnsubscribe(s: ChannelState, p: IUnsubscribePacket): Step {
  const packetId = p.messageId ?? 0;
  if (packetId === 0) return protocolError(s, 'UNSUBSCRIBE without packet identifier');
  // MQTT-3.10.3-2: at least one filter.
  if (p.unsubscriptions.length === 0) return protocolError(s, 'UNSUBSCRIBE without topic filter');
  const codes: number[] = [];
  const slots: number[] = [];
  const filters: string[] = [];
  for (const filter of p.unsubscriptions) {
    const problem = topicFilterProblem(filter);
    if (problem === 'null-character') return malformed(s, 'NUL in topic filter');
    if (problem !== undefined) {
      codes.push(RC.TOPIC_FILTER_INVALID);
    } else {
      slots.push(codes.length);
      codes.push(RC.UNSPECIFIED_ERROR);
      filters.push(filter);
    }
  }
  if (filters.length === 0) return proceed(s, [unsuback(s, packetId, codes)]);
  const id = nextEffectId(s);
  s.pending.set(id, { kind: 'unsubscribe', packetId, codes, slots });
  return proceed(s, [], [{ type: 'unsubscribe', id, filters }]);
}

export function onUnsubscribed(s: ChannelState, id: number, answer: readonly number[]): Step {
  const pending = s.pending.get(id);
  if (pending?.kind !== 'unsubscribe') return proceed(s);
  if (answer.length !== pending.slots.length) {
    throw new TypeError(`unsubscribe answer: ${answer.length} codes for ${pending.slots.length} filters`);
  }
  s.pending.delete(id);
  answer.forEach((code, i) => {
    if (!UNSUBACK_CODES.has(code)) throw new TypeError(`unsubscribe answer: 0x${code.toString(16)} is not an UNSUBACK reason code`);
    pending.codes[pending.slots[i] as number] = code;
  });
  return proceed(s, [unsuback(s, pending.packetId, pending.codes)]);
}

/** MQTT 3.1.1's UNSUBACK has no payload (3.1.1 section 3.11.3). */
function unsuback(s: ChannelState, messageId: number, codes: number[]): IUnsubackPacket {
  return s.version === 5 ? { cmd: 'unsuback', messageId, granted: codes } : ({ cmd: 'unsuback', messageId } as IUnsubackPacket);
}
