/**
 * The broker one run of an MQTT scenario talks to, whichever side it is:
 * - fleetgate, started here as a child process (no `--target`), its devices provisioned
 *   through the REST API;
 * - any broker at `--target` (the devices' password from `--password-file`, none: anonymous;
 *   `--target-pid` to sample it and measure its memory; `--api` for fleetgate's REST API);
 * - the `--vs` peer the framework started, which accepts the same usernames and password.
 * The options declared here are shared by connect-storm, publish and revoke-storm.
 */
import { BenchCodes, BenchError } from '../errors.js';
import type { Options, OptionSpec } from '../options.js';
import type { ScenarioContext } from '../scenario.js';
import type { RestClient } from '../scenarios/credentials-rest.js';
import { DEVICE_PASSWORD, provisionCredentials, readPasswordFile, type DeviceCredentials } from './devices.js';
import { ALL_SCOPES, BENCH_TENANT, startFleetgateProcess } from './fleetgate-process.js';
import { raiseOpenFiles } from './limits.js';

export const BROKER_OPTIONS: readonly OptionSpec[] = [
  { name: 'protocol', type: 'enum', choices: ['3.1.1', '5'], default: '3.1.1', description: 'MQTT version the devices speak' },
  { name: 'password-file', type: 'string', valueName: 'FILE', description: 'with --target: the devices\' password (first line)', defaultText: 'no username and password' },
  { name: 'tenant', type: 'string', default: BENCH_TENANT, description: 'with --target: tenant of the usernames device-<i>@<tenant>' },
  { name: 'target-pid', type: 'integer', min: 1, description: 'with --target: the broker\'s pid, to sample it and measure its memory', defaultText: 'none' },
  { name: 'api', type: 'string', valueName: 'URL', description: 'with --target: fleetgate\'s REST API (trusted-header gateway access), http://host:port', defaultText: 'none' },
  { name: 'shards', type: 'integer', min: 1, max: 64, default: 2, description: 'fleetgate started here: shard worker threads' },
];

export interface Broker {
  readonly host: string;
  readonly port: number;
  /** The broker process, when known: sampled, and its RSS read for per-connection memory. */
  readonly pid: number | undefined;
  readonly credentials: DeviceCredentials;
  /** fleetgate's REST API (the fleetgate started here, or `--api`). */
  readonly rest: RestClient | undefined;
  /** fleetgate's data directory when started here (the data-collection files land there). */
  readonly dataDir: string | undefined;
  /** Ids of the credentials provisioned here, in the order of `credentials.usernames`. */
  readonly credentialIds: readonly string[] | undefined;
  stop(): Promise<void>;
}

export function protocolOf(o: Options): 4 | 5 {
  return o.string('protocol') === '5' ? 5 : 4;
}

/** Cross-option rules shared by the MQTT scenarios. */
export function validateBroker(o: Options): string | undefined {
  if (!o.has('target')) {
    for (const name of ['password-file', 'target-pid', 'api']) {
      if (o.has(name)) return `--${name} applies only with --target (without it the scenario starts fleetgate itself)`;
    }
  }
  const api = o.optionalString('api');
  if (api !== undefined && !/^https?:\/\/[^/]+\/?$/.test(api)) return `--api must be http://host:port, got "${api}"`;
  return undefined;
}

export interface BrokerNeeds {
  /** The usernames the devices use (device-<i>@<tenant>), as `usernames(tenant)`. */
  readonly usernames: (tenant: string) => string[];
  /** Open files the broker and this process need (connections + margin). */
  readonly openFiles: number;
  /** Extra settings of the fleetgate started here. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export async function openBroker(ctx: ScenarioContext, needs: BrokerNeeds): Promise<Broker> {
  const o = ctx.options;
  await ensureOpenFiles(ctx, process.pid, needs.openFiles, 'the bench process');
  if (ctx.side === 'peer' || ctx.target !== undefined) {
    const t = ctx.target;
    if (t === undefined || t.kind !== 'mqtt') throw new TypeError('openBroker: an MQTT target is required');
    const peer = ctx.side === 'peer';
    const pid = peer ? ctx.targetPid : o.optionalNumber('target-pid');
    if (pid !== undefined) await ensureOpenFiles(ctx, pid, needs.openFiles, `the broker (pid ${pid})`);
    const file = peer ? undefined : o.optionalString('password-file');
    const password = peer ? DEVICE_PASSWORD : file === undefined ? undefined : await readPasswordFile(file);
    const tenant = peer ? BENCH_TENANT : o.string('tenant');
    const api = peer ? undefined : o.optionalString('api');
    return {
      host: t.host,
      port: t.port,
      pid,
      credentials: { usernames: needs.usernames(tenant), password },
      rest: api === undefined ? undefined : { base: api.replace(/\/$/, ''), tenant, scopes: ALL_SCOPES },
      dataDir: undefined,
      credentialIds: undefined,
      stop: () => Promise.resolve(),
    };
  }
  const fg = await startFleetgateProcess({
    settings: { 'runtime.shards': o.number('shards'), ...needs.settings },
    say: (line) => ctx.progress.note(line),
  });
  try {
    await ensureOpenFiles(ctx, fg.pid, needs.openFiles, `fleetgate (pid ${fg.pid})`);
    const usernames = needs.usernames(BENCH_TENANT);
    ctx.progress.note(`provisioning ${usernames.length} basic credential(s)`);
    const credentialIds = await provisionCredentials(fg.rest, usernames, DEVICE_PASSWORD);
    return {
      host: '127.0.0.1',
      port: fg.mqttPort,
      pid: fg.pid,
      credentials: { usernames, password: DEVICE_PASSWORD },
      rest: fg.rest,
      dataDir: fg.dataDir,
      credentialIds,
      stop: () => fg.stop(),
    };
  } catch (err) {
    await fg.stop();
    throw err;
  }
}

async function ensureOpenFiles(ctx: ScenarioContext, pid: number, want: number, who: string): Promise<void> {
  let got: number;
  try {
    got = await raiseOpenFiles(pid, want);
  } catch (err) {
    ctx.log(`cannot read the open-files limit of ${who}: ${(err as Error).message}`);
    return;
  }
  if (got < want) {
    throw new BenchError(
      BenchCodes.OPEN_FILES,
      `${who} may open ${got} files but the run needs ${want}: raise it (ulimit -n, or run as root so prlimit can) or lower the connection count`,
    );
  }
}
