/** PINGREQ: answered with PINGRESP (MQTT-3.12.4-1). Receiving it already reset the Keep Alive. */
import type { ChannelState } from '../state.js';
import { proceed, type Step } from '../step.js';

export function onPingreq(s: ChannelState): Step {
  return proceed(s, [{ cmd: 'pingresp' }]);
}
