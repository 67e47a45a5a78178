/**
 * DISCONNECT from the client. A normal one deletes the will (MQTT-3.14.4-3 in 3.1.1, every
 * DISCONNECT; in 5.0: reason 0x00), 0x04 keeps it to be published. The server sends nothing
 * back and closes (MQTT 5.0 3.14.4).
 */
import type { IDisconnectPacket } from 'mqtt-packet';
import { RC } from '../reason-codes.js';
import type { ChannelState } from '../state.js';
import { ended, protocolError, type Step } from '../step.js';

export function onDisconnect(s: ChannelState, p: IDisconnectPacket): Step {
  const reasonCode = s.version === 5 ? (p.reasonCode ?? RC.SUCCESS) : RC.SUCCESS;
  // MQTT 5.0 3.14.2.2.2: a non-zero Session Expiry Interval on DISCONNECT after a CONNECT
  // that asked for 0 is a Protocol Error.
  const expiry = p.properties?.sessionExpiryInterval;
  if (s.version === 5 && s.sessionExpiryZero && expiry !== undefined && expiry !== 0) {
    return protocolError(s, 'Session Expiry Interval on DISCONNECT after 0 on CONNECT');
  }
  if (reasonCode !== RC.DISCONNECT_WITH_WILL) s.will = undefined;
  // The client said goodbye: nothing is written back to it.
  return ended(s, { reasonCode, reason: 'client disconnected' });
}
