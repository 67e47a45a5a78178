/**
 * `revoke-storm`: N sessions authenticated with one credential (distinct client ids), then one
 * REST transition of that credential (`--by credential`: PUT .../basic-credentials/{id}/state),
 * or N sessions that each published once with one shared endpoint token, then that token's
 * transition (`--by token`: PUT .../endpoints/{endpointId}/tokens/{tokenId}/status). For every
 * session: time from sending the REST call to seeing its connection end. Sessions still open at
 * `--deadline` are errors.
 *
 * fleetgate only: it needs fleetgate's REST API (started here, or `--target` with `--api`).
 * mosquitto and aedes have no live revocation of a connected client's credential (mosquitto's
 * dynamic-security `disableClient` is a different broker configuration, not the password-file
 * peer the other scenarios compare with), so `--vs` is refused with that reason.
 *
 * `--floor` first runs the same storm on a mosquitto killed with SIGKILL (mqtt/revocation-floor.ts):
 * what no broker can beat on this host, as `floorP99Ms`, and the part of fleetgate's figure above
 * it as `p99OverFloorMs`.
 *
 * Target on a 2-core machine, reported, never asserted: disconnectP99Ms <= 100 at 10,000 sessions.
 */
import { randomBytes } from 'node:crypto';
import { BenchError } from '../errors.js';
import { BROKER_OPTIONS, openBroker, protocolOf, validateBroker } from '../mqtt/broker.js';
import { DEVICE_PASSWORD, dcxTopic, newToken, provisionCredentials, provisionTokens, warmCredentials } from '../mqtt/devices.js';
import { sourceAddresses } from '../mqtt/limits.js';
import { revocationStorm } from '../mqtt/revocation.js';
import { revocationFloor } from '../mqtt/revocation-floor.js';
import type { ServerSampler } from '../sampling/sampler.js';
import type { Scenario } from '../scenario.js';
import { ForeignCpu } from './credentials-cpu.js';
import { AnswerError, callApi } from './credentials-rest.js';
import { msFigures } from './connect-storm.js';
import { samplePayload } from './publish.js';

export const revokeStormScenario: Scenario = {
  name: 'revoke-storm',
  summary: 'MQTT: N sessions of one credential (or one endpoint token), one revocation; time to every disconnect',
  options: [
    { name: 'sessions', type: 'integer', min: 1, max: 1_000_000, default: 10_000, description: 'sessions sharing the credential (or token)' },
    { name: 'by', type: 'enum', choices: ['credential', 'token'], default: 'credential', description: 'revoke the basic credential, or the endpoint token every session published with' },
    { name: 'state', type: 'enum', choices: ['Revoked', 'Suspended'], default: 'Revoked', description: 'the state the credential or token goes to' },
    { name: 'deadline', type: 'integer', min: 10, max: 600_000, default: 5000, valueName: 'MS', description: 'sessions still open this long after the call are errors' },
    { name: 'keepalive', type: 'integer', min: 0, max: 65_535, default: 300, description: 'MQTT keep-alive of the sessions, seconds' },
    { name: 'open-concurrency', type: 'integer', min: 1, max: 10_000, default: 64, description: 'connects in flight per client thread while the sessions open' },
    { name: 'client-threads', type: 'integer', min: 1, max: 64, default: 2, description: 'threads holding the sessions (spreads the client\'s own work on the ends)' },
    { name: 'floor', type: 'boolean', default: false, description: 'first the same sessions on a mosquitto killed with SIGKILL: the host\'s floor for the figure (floorP99Ms)' },
    ...BROKER_OPTIONS,
  ],
  targets: ['mqtt'],
  peers: [],
  defaults: { 'max-time': 600 },
  headline: ['disconnectP99Ms', 'p50Ms', 'sessions', 'restMs', 'floorP99Ms'],
  validate(o) {
    if (o.has('vs')) {
      return 'revoke-storm has no --vs: mosquitto and aedes cannot revoke a connected client\'s credential live (the figure exists for fleetgate only)';
    }
    if (o.has('target') && !o.has('api')) return 'revoke-storm with --target needs --api (fleetgate\'s REST API) to revoke';
    if (o.has('password-file')) return 'revoke-storm creates its own credential: --password-file does not apply';
    return validateBroker(o);
  },
  async run(ctx) {
    const o = ctx.options;
    const n = o.number('sessions');
    const by = o.string('by');
    const protocolVersion = protocolOf(o);
    const tag = randomBytes(4).toString('hex');
    const broker = await openBroker(ctx, { usernames: (t) => [`revoke-${tag}@${t}`], openFiles: n + 2048 });
    let sampler: ServerSampler | undefined;
    try {
      const rest = broker.rest;
      if (rest === undefined) throw new TypeError('revoke-storm: no REST API (validate lets no such run through)');
      const username = broker.credentials.usernames[0] as string;
      const credentialId = broker.credentialIds?.[0] ?? (await provisionCredentials(rest, [username], DEVICE_PASSWORD))[0];
      if (credentialId === undefined) throw new BenchError('ERR_BENCH_PROVISIONING', 'no credential id');
      const credentials = { usernames: [username], password: DEVICE_PASSWORD };
      const addresses = sourceAddresses(broker.host, n + 1);
      await warmCredentials({
        host: broker.host,
        port: broker.port,
        ...(addresses[0] === undefined ? {} : { localAddress: addresses[0] }),
        protocolVersion,
        credentials,
        clientIdPrefix: `rv-${tag}`,
      });
      let trigger: () => Promise<void>;
      let publish: { topic: string; payload: string } | undefined;
      const state = o.string('state');
      if (by === 'token') {
        const [t] = await provisionTokens(rest, [newToken()], `ep-revoke-${tag}`);
        if (t === undefined) throw new BenchError('ERR_BENCH_PROVISIONING', 'no token provisioned');
        publish = { topic: dcxTopic(t.token), payload: samplePayload(1) };
        const path = `/api/v1/endpoints/${t.endpointId}/tokens/${t.endpointTokenId}/status`;
        trigger = async () => {
          const a = await callApi(rest, 'PUT', path, { status: state });
          if (a.status !== 200) throw new AnswerError(`PUT token status ${state}`, a);
        };
      } else {
        const path = `/api/v1/basic-credentials/${credentialId}/state`;
        trigger = async () => {
          const a = await callApi(rest, 'PUT', path, { state });
          if (a.status !== 200) throw new AnswerError(`PUT credential state ${state}`, a);
        };
      }
      // Before fleetgate's storm, while fleetgate idles: the same client work, no broker work.
      const floor = o.boolean('floor')
        ? await revocationFloor({
            sessions: n,
            threads: o.number('client-threads'),
            concurrency: o.number('open-concurrency'),
            keepaliveSec: o.number('keepalive'),
            protocolVersion,
            deadlineMs: o.number('deadline'),
            say: (line) => ctx.progress.note(line),
            signal: ctx.signal,
          })
        : undefined;
      // The peer's pid is sampled by the framework; fleetgate's (a child process here) by the scenario.
      if (ctx.side === 'fleetgate' && broker.pid !== undefined) sampler = ctx.sampleServer({ pid: broker.pid });
      const foreign = new ForeignCpu();
      const r = await revocationStorm({
        host: broker.host,
        port: broker.port,
        protocolVersion,
        sessions: n,
        username,
        password: DEVICE_PASSWORD,
        clientIdPrefix: `rv-${tag}`,
        localAddresses: addresses,
        keepaliveSec: o.number('keepalive'),
        concurrency: o.number('open-concurrency'),
        threads: o.number('client-threads'),
        ...(publish === undefined ? {} : { publish }),
        trigger,
        deadlineMs: o.number('deadline'),
        say: (line) => ctx.progress.note(line),
        signal: ctx.signal,
      });
      const ms = msFigures(r.disconnect);
      const errorsByCode: Record<string, number> = {};
      if (r.notClosed > 0) errorsByCode['ERR_BENCH_NOT_DISCONNECTED'] = r.notClosed;
      if (r.endedBefore > 0) errorsByCode['ERR_MQTT_CLOSED_BEFORE_REVOCATION'] = r.endedBefore;
      const figures: Record<string, number | string> = {
        disconnectP99Ms: ms.p99Ms,
        ...ms,
        sessions: r.sessions,
        closed: r.disconnect.totalCount,
        restMs: Math.round(r.triggerMs * 1000) / 1000,
        clientSpanMs: Math.round(r.clientSpanMs * 1000) / 1000,
        clientBusyMs: Math.round(r.clientBusyMs * 1000) / 1000,
        by,
      };
      for (const [code, count] of Object.entries(r.reasons)) figures[`disconnectReason_${code}`] = count;
      if (floor !== undefined) {
        const f = msFigures(floor.disconnect);
        figures['floorP99Ms'] = f.p99Ms;
        figures['floorP50Ms'] = f.p50Ms;
        figures['floorClientSpanMs'] = Math.round(floor.clientSpanMs * 1000) / 1000;
        figures['floorClientBusyMs'] = Math.round(floor.clientBusyMs * 1000) / 1000;
        figures['p99OverFloorMs'] = Math.round((ms.p99Ms - f.p99Ms) * 1000) / 1000;
        if (floor.notClosed > 0) errorsByCode['ERR_BENCH_FLOOR_NOT_DISCONNECTED'] = floor.notClosed;
      }
      const foreignCpuPct = foreign.take();
      if (foreignCpuPct !== undefined) figures['foreignCpuPct'] = foreignCpuPct;
      return { figures, errors: r.notClosed + r.endedBefore + (floor?.notClosed ?? 0), errorsByCode, histograms: { disconnect: r.disconnect } };
    } finally {
      // The last sample before the process goes away.
      await sampler?.stop();
      await broker.stop();
    }
  },
};
