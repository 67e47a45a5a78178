/**
 * The echo extension: answers every 4/ESP request with status 200 and the request's own payload.
 * It exists so that the whole 1/KP -> 4/ESP -> 1/KP round trip can be exercised with nothing
 * else deployed.
 *
 * A request without a request id is answered too: the communication service publishes such an
 * answer as a push to `<resource topic>/status` (1/KP: a response without a request id is a push),
 * which is how a client can watch server pushes arrive.
 */
import type { Logger, Service } from '../../runtime/index.js';
import type { Bus } from '../../transports/bus/index.js';
import { espEndpoint } from './esp.js';
import type { ExtensionMetrics } from './metrics.js';

export interface EchoOptions {
  bus: Bus;
  instanceName: string;
  kpcInstanceName: string;
  log: Logger;
  metrics: ExtensionMetrics;
}

export function echoExtension(opts: EchoOptions): Service {
  const { metrics, instanceName } = opts;
  const { service, replier } = espEndpoint(
    {
      ...opts,
      onUndecodable: () => metrics.refused(instanceName, 'undecodable'),
      onReplyFailed: () => metrics.replyFailed(instanceName),
    },
    (req, origin) => {
      metrics.handled(instanceName);
      replier.send(origin, { statusCode: 200, reasonPhrase: null, payload: req.payload });
    },
  );
  return service;
}
