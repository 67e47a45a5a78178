/**
 * The built-in extensions on a shard: echo and data collection (2/DCP), each subscribed to its
 * 4/ESP ClientData subject in the queue group of its instance, so every shard of every replica
 * serves a share. They use only the 'bus' dependency and the Avro codecs, exactly as an extension
 * service outside fleetgate would. Needs the infra module before it.
 */
import { resolve } from 'node:path';
import type { ShardHost } from '../../runtime/index.js';
import type { Bus } from '../../transports/bus/index.js';
import type { PlatformConfig } from '../platform-config.js';
import { dataCollectionExtension } from './dcx.js';
import { echoExtension } from './echo.js';
import { ExtensionMetrics } from './metrics.js';

export function setup(host: ShardHost): void {
  const cfg = host.config as PlatformConfig;
  const echoOn = cfg['extensions.echo.enabled'];
  const dcxOn = cfg['extensions.dcx.enabled'];
  if (!echoOn && !dcxOn) return;
  const bus = host.dep<Bus>('bus');
  const metrics = new ExtensionMetrics(host.metrics);
  const kpcInstanceName = cfg['kpc.instanceName'];

  if (echoOn) {
    host.addService(echoExtension({ bus, instanceName: cfg['extensions.echo.instanceName'], kpcInstanceName, log: host.log, metrics }));
  }
  if (dcxOn) {
    const dcx = dataCollectionExtension({
      bus,
      instanceName: cfg['extensions.dcx.instanceName'],
      kpcInstanceName,
      dataDir: resolve(cfg.dataDir),
      maxPayloadBytes: cfg['extensions.dcx.maxPayloadBytes'],
      maxQueueBytes: cfg['extensions.dcx.maxQueueBytes'],
      maxOpenFiles: cfg['extensions.dcx.maxOpenFiles'],
      flushDelayMs: cfg['extensions.dcx.flushDelayMs'],
      log: host.log,
      metrics,
    });
    host.addService(dcx.service);
    // After the service stopped taking requests and the actors drained: flush and close files.
    host.onStopped(() => dcx.close());
  }
}
