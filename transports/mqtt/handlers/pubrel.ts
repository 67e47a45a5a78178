/**
 * PUBREL from the client: the second half of an inbound QoS 2 flow. The packet id is released
 * and PUBCOMP sent; from then on the id may be reused by the client (MQTT 5.0 4.3.3).
 */
import type { IPubrelPacket } from 'mqtt-packet';
import { RC } from '../reason-codes.js';
import type { ChannelState } from '../state.js';
import { proceed, protocolError, type Step } from '../step.js';
import { ack } from './publish.js';

export function onPubrel(s: ChannelState, p: IPubrelPacket): Step {
  const id = p.messageId ?? 0;
  const stage = s.inbound.get(id);
  // A PUBREL before our PUBREC went out answers a packet the client has not been sent.
  if (stage === 'host') return protocolError(s, `PUBREL for packet ${id} before PUBREC`);
  if (stage === undefined) {
    // MQTT 5.0 3.7.2.1: an unknown id is answered PUBCOMP 0x92 (a PUBREL re-sent after our
    // PUBCOMP was lost would be one); 3.1.1 answers PUBCOMP all the same.
    return proceed(s, [ack(s, 'pubcomp', id, RC.PACKET_IDENTIFIER_NOT_FOUND)]);
  }
  s.inbound.delete(id);
  return proceed(s, [ack(s, 'pubcomp', id, RC.SUCCESS)]);
}
