/**
 * The front door (KPC) on one shard: session and port actors, the MQTT listeners of this thread,
 * the 4/ESP and revocation listeners, 1/KP over HTTP and the server-certificate call.
 *
 * Threads: every shard accepts MQTT over WebSocket on the shared HTTP port (uWS spreads the
 * connections), and plain TCP and TLS on ports it shares with the other shards (SO_REUSEPORT, see
 * transports/net/reuseport.ts), so accepting, framing and writing run on all cores. Where the
 * port cannot be shared (no native helper on Node before 22.12, or mqtt.sharedAccept off), shard
 * 0 accepts TCP and TLS alone. Whatever thread holds a socket, the session actor lives where its
 * client id hashes, and writes come back through the PORT actor of the socket's shard.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { Counter, Gauge } from 'prom-client';
import { FleetgateError, type ShardHost } from '../../runtime/index.js';
import {
  elceConnectedSubject,
  elceDisconnectedSubject,
  encodeConnectedEvent,
  encodeDisconnectedEvent,
  espExtensionDataReplicaSubject,
  type Bus,
} from '../../transports/bus/index.js';
import type { HttpAttach, Route } from '../../transports/http/index.js';
import { startMqttServers, type MqttServers, type TlsCredentials } from '../../transports/mqtt/index.js';
import { sharedListenProblem, sharedListenSupport } from '../../transports/net/index.js';
import { CREDENTIAL_SERVICE } from '../credentials/module.js';
import type { CredentialService } from '../credentials/service.js';
import type { PlatformConfig } from '../platform-config.js';
import { busAuthenticator, localAuthenticator, subjectCertificates } from './authenticator.js';
import { KPC_DEPS, type KpcDeps } from './deps.js';
import { ConnectivityEvents } from './connectivity.js';
import { dispatchService } from './dispatch.js';
import { portActorKind, sessionHost } from './host.js';
import { HttpTokenCache, kp1HttpRoutes, serverCertificateRoute } from './http-kp1.js';
import { admits, KpcConfigWatcher } from './kpc-config.js';
import { PORT, portKeys, SESSION } from './protocol.js';
import { ConnectionTable, PendingAnswers, SessionIndex } from './registry.js';
import { sessionActorKind } from './session-actor.js';
import { RC } from '../../transports/mqtt/index.js';

/** A reload refused the MQTT/TLS files (a key that does not match, a file not readable). */
export const KPC_TLS_RELOAD_FAILED = 'ERR_KPC_TLS_RELOAD_FAILED';

export async function setup(host: ShardHost): Promise<void> {
  const cfg = host.config as PlatformConfig;
  const bus = host.dep<Bus>('bus');
  const replicaId = cfg['service.replicaId'];
  const timeoutMs = cfg['kpc.requestTimeoutMs'];

  const viaBus = busAuthenticator(bus, { ccmInstance: cfg['ccm.instanceName'], cmInstance: cfg['cm.instanceName'], timeoutMs });
  const certificates = cfg['kpc.x509.identity'] === 'subject' ? subjectCertificates(cfg['kpc.x509.tenantAttribute']) : viaBus;
  const authenticator =
    cfg['kpc.credentials'] === 'local'
      ? localAuthenticator(host.dep<CredentialService>(CREDENTIAL_SERVICE), certificates)
      : { ...viaBus, certificate: certificates.certificate };

  const connections = new ConnectionTable();
  const index = new SessionIndex();
  const keys = portKeys(host.shardCount);
  let seq = 0;
  let routed = 0;
  const metrics = {
    connects: new Counter({ name: 'fleetgate_kpc_connects_total', help: 'MQTT CONNECTs decided, by result', labelNames: ['result'] as const, registers: [host.metrics] }),
    published: new Counter({
      name: 'fleetgate_kpc_publishes_total',
      help: '1/KP publishes, by result',
      labelNames: ['result'] as const,
      registers: [host.metrics],
      collect() {
        // The fast path counts in a plain number (a labelled inc costs ~0.5 us a message).
        if (routed > 0) this.inc({ result: 'routed' }, routed);
        routed = 0;
      },
    }),
    routed: () => {
      routed++;
    },
    delivered: new Counter({ name: 'fleetgate_kpc_deliveries_total', help: 'Messages sent to clients, by kind', labelNames: ['kind'] as const, registers: [host.metrics] }),
    ended: new Counter({ name: 'fleetgate_kpc_sessions_ended_total', help: 'Sessions ended by the server, by reason', labelNames: ['reason'] as const, registers: [host.metrics] }),
    connectivityDropped: new Counter({ name: 'fleetgate_kpc_connectivity_events_dropped_total', help: '9/ELCE events dropped because too many were waiting to be published', registers: [host.metrics] }),
  };
  new Gauge({
    name: 'fleetgate_kpc_connections',
    help: 'MQTT connections held by this thread',
    registers: [host.metrics],
    collect() {
      this.set(connections.size);
    },
  });
  new Gauge({
    name: 'fleetgate_kpc_sessions',
    help: 'Session actors living on this shard',
    registers: [host.metrics],
    collect() {
      this.set(index.size);
    },
  });

  const watcher = new KpcConfigWatcher(
    cfg['kpc.configFile'],
    (next) => {
      // A stricter policy, or a CA no longer listed for a tenant, ends the sessions it no
      // longer admits, at once.
      for (const [clientId, f] of index.all()) {
        const issuerOk = f.caFingerprints === undefined || f.tenantId === undefined || next.issuerAllowed(f.tenantId, f.caFingerprints);
        if (issuerOk && admits(next.policy(f.tenantId, f.listener), f)) continue;
        // Each tell on its own: one that fails (a full mailbox, a shard down) must not spare the rest.
        try {
          host.actors.tell(PORT, keys[f.conn.shard]!, { op: 'disconnect', id: f.conn.id, reasonCode: RC.NOT_AUTHORIZED, reason: 'authentication policy changed' });
        } catch (err) {
          host.log.warn({ err: String(err) }, 'policy disconnect not delivered');
        }
        try {
          host.actors.tell(SESSION, clientId, { t: 'end', reasonCode: RC.NOT_AUTHORIZED, reason: 'policy changed', disconnected: true });
        } catch (err) {
          host.log.warn({ err: String(err) }, 'policy end not delivered');
        }
      }
      host.log.info({ file: cfg['kpc.configFile'] }, 'kpc configuration reloaded');
    },
    (err) => host.log.error({ err: String(err) }, 'kpc configuration not reloaded: the previous one stays in force'),
  );

  const nextCorrelationId = (): string => `${replicaId}.${host.shardId}.${(++seq).toString(36)}`;
  const instanceName = cfg['kpc.instanceName'];
  const connectivity = new ConnectivityEvents({
    publish: (e) => {
      const encode = e.connected ? encodeConnectedEvent : encodeDisconnectedEvent;
      const subject = e.connected ? elceConnectedSubject(instanceName) : elceDisconnectedSubject(instanceName);
      try {
        bus.publish(subject, encode({ correlationId: nextCorrelationId(), timestamp: e.at, timeout: 0, endpoints: e.endpoints, originatorReplicaId: replicaId }));
      } catch (err) {
        host.log.warn({ err: String(err) }, 'connectivity event not published');
      }
    },
    onDrop: () => metrics.connectivityDropped.inc(),
  });
  const deps: KpcDeps = {
    shard: host.shardId,
    replicaId,
    instanceName: cfg['kpc.instanceName'],
    replySubject: espExtensionDataReplicaSubject(`${replicaId}-${host.shardId}`),
    bus,
    authenticator,
    config: () => watcher.current,
    connections,
    index,
    pending: new PendingAnswers(100_000, Math.max(timeoutMs, 30_000)),
    httpTokens: new HttpTokenCache(10_000, 5_000),
    portKeys: keys,
    maxTokensPerSession: cfg['kpc.maxTokensPerSession'],
    tokenRecheckMs: cfg['kpc.tokenRecheckMs'],
    nextCorrelationId,
    connectivity,
    metrics,
  };
  host.provide(KPC_DEPS, deps);
  host.registerActor(sessionActorKind);
  host.registerActor(portActorKind);
  host.addService(dispatchService(deps, host.actors, host.log));
  // Stopped after the MQTT listeners (services stop in reverse): the events of the sessions this
  // shard ended go. Sessions told to end by another shard's listener announce later, in the
  // mailbox drain and passivation; the closer flushes those, and it runs before infra's bus.close
  // (closers run in reverse, and infra is set up first).
  host.addService({ name: 'kpc-connectivity', start: async () => undefined, stop: async () => connectivity.flush() });
  host.onStopped(() => connectivity.flush());
  host.addService({
    name: 'kpc-config',
    start: () => watcher.start(cfg['kpc.configPollMs']),
    stop: () => watcher.stop(),
  });
  // SIGHUP: the file's change takes effect now, not at this shard's next poll. A file that does
  // not validate throws here, which the reload reports (the configuration in force stays).
  host.onReload(() => watcher.reload());

  const tls = cfg['mqtt.tls.certFile'] !== null && cfg['mqtt.tls.keyFile'] !== null;
  /** The TLS files as they are now; read again on SIGHUP, for certificate rotation. */
  const readTls = (): TlsCredentials & { cert: string; key: Buffer } => ({
    cert: readFileSync(cfg['mqtt.tls.certFile']!, 'utf8'),
    key: readFileSync(cfg['mqtt.tls.keyFile']!),
    ...(cfg['mqtt.tls.caFile'] === null ? {} : { ca: readFileSync(cfg['mqtt.tls.caFile']) }),
  });
  let tlsFiles = tls ? readTls() : undefined;
  const routes = host.dep<Route[]>('http.routes');
  routes.push(...kp1HttpRoutes(deps, deps.httpTokens, timeoutMs, cfg['http.maxBodyBytes']), serverCertificateRoute(() => tlsFiles?.cert ?? null));

  const limits = {
    maxPacketSize: cfg['mqtt.maxPacketBytes'],
    connectTimeoutMs: cfg['mqtt.connectTimeoutMs'],
    receiveMaximum: cfg['mqtt.receiveMaximum'],
  };
  const shared = cfg['mqtt.sharedAccept'] && host.shardCount > 1 ? sharedListenSupport() : undefined;
  if (host.shardId === 0 && (cfg['mqtt.tcp.enabled'] || tls)) {
    if (shared !== undefined) host.log.info({ shards: host.shardCount, via: shared }, 'mqtt tcp/tls accepted on every shard');
    else if (cfg['mqtt.sharedAccept'] && host.shardCount > 1) {
      host.log.warn({ why: sharedListenProblem() }, 'mqtt tcp/tls accepted on shard 0 only');
    }
  }
  // The instance's bound is spread over the threads that accept.
  const acceptingThreads = shared === undefined ? 1 : host.shardCount;
  const channelHost = sessionHost({
    deps,
    shard: host.shardId,
    actors: host.actors,
    connections,
    maxConnections: Math.ceil(cfg['kpc.maxSessions'] / acceptingThreads),
    askTimeoutMs: timeoutMs + 1000,
    log: host.log,
  });

  if (cfg['mqtt.ws.enabled']) {
    const attachWs: HttpAttach = async (app) => {
      const servers = await startMqttServers({ ws: { app, path: cfg['mqtt.ws.path'] }, limits, host: channelHost, log: host.log });
      return { stop: () => servers.close() };
    };
    host.dep<HttpAttach[]>('http.attach').push(attachWs);
  }

  let servers: MqttServers | undefined;
  if ((host.shardId === 0 || shared !== undefined) && (cfg['mqtt.tcp.enabled'] || tls)) {
    host.addService({
      name: 'mqtt',
      async start() {
        servers = await startMqttServers({
          ...(cfg['mqtt.tcp.enabled'] ? { tcp: { host: cfg['listen.host'], port: cfg['mqtt.tcp.port'], shared } } : {}),
          ...(tls
            ? {
                tls: {
                  host: cfg['listen.host'],
                  port: cfg['mqtt.tls.port'],
                  shared,
                  ...tlsFiles!,
                  requestCert: cfg['mqtt.tls.caFile'] !== null,
                },
              }
            : {}),
          limits,
          host: channelHost,
          log: host.log,
        });
      },
      async stop() {
        await servers?.close();
      },
    });
  }

  // SIGHUP: a rotated certificate, key or client CA bundle is taken for new handshakes (the
  // connections already up keep theirs) and served at /kpc/api/v1/server-certificate. Files
  // that do not make a valid context (a key that does not match the certificate) are refused
  // whole: the previous ones stay in force. Whether clients are asked for a certificate at all
  // (a CA file configured or not) is fixed at start-up.
  if (tls) {
    host.onReload(() => {
      let next: ReturnType<typeof readTls>;
      try {
        next = readTls();
        // Every shard serves the certificate over HTTP; only the accepting ones hold a listener.
        if (servers !== undefined) servers.setTlsCredentials(next);
        else createSecureContext(next as SecureContextOptions);
      } catch (err) {
        // OpenSSL's and the file system's messages name no key material, only what is wrong.
        throw new FleetgateError(KPC_TLS_RELOAD_FAILED, `mqtt tls files not taken (${cfg['mqtt.tls.certFile']}): ${(err as Error).message}`, { cause: err });
      }
      if (next.cert !== tlsFiles?.cert || !next.key.equals(tlsFiles.key)) host.log.info({ certFile: cfg['mqtt.tls.certFile'] }, 'mqtt tls certificate reloaded');
      tlsFiles = next;
    });
  }
}
