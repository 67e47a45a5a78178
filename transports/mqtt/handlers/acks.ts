/**
 * PUBACK, PUBREC and PUBCOMP from the client: acknowledgements of what the server delivered at
 * QoS 1 and 2. Each frees its packet id and a slot of the outbound window, and the host learns
 * the outcome. Nothing is ever re-sent on the same connection (MQTT-4.4.0-1 in 5.0 allows
 * re-sending only on reconnect with a kept session, and sessions are not kept here).
 */
import type { IPubackPacket, IPubcompPacket, IPubrecPacket } from 'mqtt-packet';
import { RC } from '../reason-codes.js';
import type { ChannelState } from '../state.js';
import { proceed, type Step } from '../step.js';
import { ack } from './publish.js';

export function onPuback(s: ChannelState, p: IPubackPacket): Step {
  const id = p.messageId ?? 0;
  const entry = s.outbound.get(id);
  // An ack for nothing in flight is ignored, as emqx does: it can only be a late duplicate.
  if (entry?.stage !== 'puback') return proceed(s);
  s.outbound.delete(id);
  return proceed(s, [], [{ type: 'delivery', ref: entry.ref, outcome: 'acknowledged', reasonCode: p.reasonCode ?? RC.SUCCESS }]);
}

export function onPubrec(s: ChannelState, p: IPubrecPacket): Step {
  const id = p.messageId ?? 0;
  const entry = s.outbound.get(id);
  const reasonCode = p.reasonCode ?? RC.SUCCESS;
  if (entry === undefined || entry.stage === 'puback') {
    // MQTT 5.0 3.6.2.1: PUBREL 0x92 for an id we do not know.
    return proceed(s, [ack(s, 'pubrel', id, RC.PACKET_IDENTIFIER_NOT_FOUND)]);
  }
  if (reasonCode >= 0x80) {
    // MQTT 5.0 4.3.3: a refusing PUBREC ends the flow; the id is free again.
    s.outbound.delete(id);
    return proceed(s, [], [{ type: 'delivery', ref: entry.ref, outcome: 'acknowledged', reasonCode }]);
  }
  // A repeated PUBREC (stage already 'pubcomp') gets the PUBREL again.
  entry.stage = 'pubcomp';
  return proceed(s, [ack(s, 'pubrel', id, RC.SUCCESS)]);
}

export function onPubcomp(s: ChannelState, p: IPubcompPacket): Step {
  const id = p.messageId ?? 0;
  const entry = s.outbound.get(id);
  if (entry?.stage !== 'pubcomp') return proceed(s);
  s.outbound.delete(id);
  return proceed(s, [], [{ type: 'delivery', ref: entry.ref, outcome: 'acknowledged', reasonCode: p.reasonCode ?? RC.SUCCESS }]);
}
