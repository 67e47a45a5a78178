/**
 * The server side of an MQTT 3.1, 3.1.1 and 5.0 connection as a state machine, apart from any
 * socket (as emqx_channel is apart from emqx_connection): `handle(state, event)` takes a parsed
 * packet, a codec error, a clock tick or an answer from the host, and returns the packets to
 * write, the effects for the host, and the next state or a shutdown. One handler per packet
 * lives in handlers/.
 *
 * Out of scope, by decision: sessions outlive no connection (Clean Start 0 is answered Session
 * Present 0 and nothing is retransmitted on reconnect); enhanced authentication (AUTH);
 * subscription identifiers and shared subscriptions (advertised unavailable). Wills are kept
 * and handed to the host as an effect when the connection ends without a normal DISCONNECT.
 */
import { onPuback, onPubcomp, onPubrec } from './handlers/acks.js';
import { onClosed, onMalformed, onServerDisconnect, onTakeover, onTick, onTooLarge, onUnsupportedVersion } from './handlers/close.js';
import { onAuthenticated, onConnect } from './handlers/connect.js';
import { onDeliver } from './handlers/deliver.js';
import { onDisconnect } from './handlers/disconnect.js';
import { onPingreq } from './handlers/pingreq.js';
import { onPublish, onPublished } from './handlers/publish.js';
import { onPubrel } from './handlers/pubrel.js';
import { onSubscribe, onSubscribed } from './handlers/subscribe.js';
import { onUnsubscribe, onUnsubscribed } from './handlers/unsubscribe.js';
import { RC } from './reason-codes.js';
import type { ChannelState } from './state.js';
import { ended, proceed, protocolError, type Step } from './step.js';
import type { ChannelEvent, Packet } from './types.js';

export { acceptsInput, createChannel, nextDeadline } from './state.js';
export type { ChannelConfig, ChannelState } from './state.js';
export type { Step } from './step.js';

/** One turn of the channel. Continue with `step.state`; the state given is not to be used
 *  again (it is updated in place, see state.ts). Throws a TypeError only when the host answers
 *  wrongly (a reason code outside its packet's table, a count that does not match). */
export function handle(s: ChannelState, ev: ChannelEvent): Step {
  switch (ev.type) {
    case 'packet':
      return onPacket(s, ev.packet, ev.now);
    case 'heard':
      s.lastPacketAt = ev.now;
      return proceed(s);
    case 'tick':
      return onTick(s, ev.now);
    case 'malformed':
      return onMalformed(s, ev.reason);
    case 'too-large':
      return onTooLarge(s, ev.size);
    case 'unsupported-version':
      return onUnsupportedVersion(s, ev.level);
    case 'authenticated':
      return onAuthenticated(s, ev.id, ev.result);
    case 'published':
      return onPublished(s, ev.id, ev.reasonCode);
    case 'subscribed':
      return onSubscribed(s, ev.id, ev.codes);
    case 'unsubscribed':
      return onUnsubscribed(s, ev.id, ev.codes);
    case 'deliver':
      return onDeliver(s, ev.message);
    case 'takeover':
      return onTakeover(s);
    case 'disconnect':
      return onServerDisconnect(s, ev.reasonCode, ev.reason);
    case 'closed':
      return onClosed(s, ev.reason);
  }
}

function onPacket(s: ChannelState, p: Packet, now: number): Step {
  if (s.phase === 'awaiting-connect') {
    if (p.cmd === 'connect') return onConnect(s, p, now);
    // MQTT-3.1.0-1: the first packet is CONNECT. Nothing is sent before a CONNACK
    // (MQTT-3.14.0-1), so the connection is just closed.
    return ended(s, { reasonCode: RC.PROTOCOL_ERROR, reason: `${p.cmd} before CONNECT` });
  }
  s.lastPacketAt = now;
  switch (p.cmd) {
    case 'connect':
      return onConnect(s, p, now);
    case 'publish':
      return onPublish(s, p);
    case 'puback':
      return onPuback(s, p);
    case 'pubrec':
      return onPubrec(s, p);
    case 'pubrel':
      return onPubrel(s, p);
    case 'pubcomp':
      return onPubcomp(s, p);
    case 'subscribe':
      return onSubscribe(s, p);
    case 'unsubscribe':
      return onUnsubscribe(s, p);
    case 'pingreq':
      return onPingreq(s);
    case 'disconnect':
      return onDisconnect(s, p);
    case 'auth':
      // MQTT 5.0 4.12: AUTH without an Authentication Method on CONNECT is a Protocol Error.
      return protocolError(s, 'AUTH without enhanced authentication');
    default:
      // CONNACK, SUBACK, UNSUBACK, PINGRESP travel from server to client only.
      return protocolError(s, `${p.cmd} from a client`);
  }
}
