import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import { runBenchCli } from '../../bench/cli.js';
import { LeanConnection } from '../../bench/mqtt/lean.js';
import { provisionCredentials } from '../../bench/mqtt/devices.js';
import { nestSettings, startFleetgateProcess, waitForHealth, type FleetgateProcess } from '../../bench/mqtt/fleetgate-process.js';
import { revocationStorm } from '../../bench/mqtt/revocation.js';
import { isLoopback, sourceAddresses } from '../../bench/mqtt/limits.js';
import { mosquittoPeer } from '../../bench/peers/mosquitto.js';
import { missingServer } from '../harness/servers.js';
import { captureIo } from './helpers.js';

/** --floor kills a mosquitto: skipped where there is none, a failure where servers are required. */
const mosquittoMissing = await mosquittoPeer.unavailableReason();
const floorSkip = mosquittoMissing === undefined ? false : missingServer('mosquitto', mosquittoMissing);

async function bench(argv: string[]) {
  const io = captureIo();
  const code = await runBenchCli(argv, io);
  const last = io.out.at(-1);
  assert.ok(last !== undefined, `something on stdout; stderr: ${io.err.join('\n')}`);
  return { code, io, json: JSON.parse(last) as Record<string, unknown> };
}

/** aedes in this process accepting `users` with `password`; counts CONNECTs and PUBLISHes by topic prefix. */
class CountingAedes {
  readonly connects: string[] = [];
  readonly published = new Map<string, number>();
  broker!: Aedes;
  server!: Server;
  port = 0;

  async start(users: readonly string[], password: string): Promise<void> {
    const allowed = new Set(users);
    this.broker = await Aedes.createBroker({
      authenticate: (client, u, p, done) => {
        const ok = u !== undefined && allowed.has(u) && p?.toString('utf8') === password;
        if (ok) this.connects.push(client.id);
        done(null, ok);
      },
    });
    this.broker.on('publish', (packet, client) => {
      if (client === null || client === undefined) return;
      const prefix = packet.topic.split('/').slice(0, 3).join('/');
      this.published.set(prefix, (this.published.get(prefix) ?? 0) + 1);
    });
    this.server = createServer(this.broker.handle);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    this.port = addr.port;
  }

  /** Closes every connected client from the broker's side (what a revocation does to them). */
  closeClients(filter: (id: string) => boolean = () => true): void {
    // aedes keeps its connected clients by id; its typings do not declare the map.
    const clients = (this.broker as unknown as { clients: Record<string, { close(): void }> }).clients;
    for (const [id, client] of Object.entries(clients)) if (filter(id)) client.close();
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.broker.close(() => this.server.close(() => resolve())));
  }
}

let dir: string;
const PASSWORD = 'bench-test-password';
let passwordFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetgate-mqtt-scenarios-'));
  passwordFile = join(dir, 'password');
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('helpers of the MQTT scenarios', () => {
  it('nests dotted settings into the YAML shape', () => {
    assert.deepEqual(nestSettings({ dataDir: '/d', 'mqtt.tcp.port': 1, 'mqtt.tcp.host': 'h', 'log.level': 'warn' }), {
      dataDir: '/d',
      mqtt: { tcp: { port: 1, host: 'h' } },
      log: { level: 'warn' },
    });
  });

  it('leaves the source to the kernel up to 10,000 connections, then gives each run its own block of loopback addresses', () => {
    assert.deepEqual(sourceAddresses('example.org', 50_000), []);
    assert.deepEqual(sourceAddresses('127.0.0.1', 10_000), []);
    const a = sourceAddresses('127.0.0.1', 50_000);
    const b = sourceAddresses('localhost', 10_001);
    assert.equal(a.length, 10, '5,000 connections a source address');
    assert.equal(b.length, 3);
    for (const x of [...a, ...b]) assert.ok(isLoopback(x), x);
    assert.notEqual(a[0]?.split('.')[1], b[0]?.split('.')[1]);
    assert.equal(new Set(a).size, 10);
  });

  it('fleetgate is started when /health answers 200, not when its port accepts a connection', async () => {
    // A port that accepts and says nothing (as start-up's port probe does) is not readiness.
    const bare = createServer((s) => s.destroy());
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const barePort = (bare.address() as { port: number }).port;
    try {
      await assert.rejects(waitForHealth(barePort, 300, () => undefined), { code: 'ERR_BENCH_FLEETGATE_START_FAILED', message: /^not healthy within 300 ms \(GET \/health failed/ });
    } finally {
      await new Promise((r) => bare.close(r));
    }
    // 500 (a shard not up yet) twice, then 200.
    let asked = 0;
    const http = createHttpServer((req, res) => {
      asked++;
      res.writeHead(req.url === '/health' && asked > 2 ? 200 : 500).end('{}');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      await waitForHealth((http.address() as { port: number }).port, 5000, () => undefined);
      assert.equal(asked, 3);
      await assert.rejects(waitForHealth((http.address() as { port: number }).port, 5000, () => 'exited (1)'), { code: 'ERR_BENCH_FLEETGATE_START_FAILED', message: 'exited (1)' });
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});

describe('scenarios against aedes (--target)', () => {
  const aedes = new CountingAedes();
  before(async () => {
    await aedes.start(['device-0@bench', 'device-1@bench', 'device-2@bench', 'device-3@bench'], PASSWORD);
  });
  after(async () => {
    await aedes.close();
  });

  it('connect-storm: every device connects once, the JSON has the figures, no errors', async () => {
    const before = aedes.connects.length;
    const { code, json } = await bench([
      'connect-storm', '--target', `mqtt://127.0.0.1:${aedes.port}`, '--password-file', passwordFile, '--target-pid', String(process.pid),
      '--connections', '300', '--users', '2', '--concurrency', '16', '--settle', '100', '--quiet',
    ]);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['scenario'], 'connect-storm');
    assert.equal(json['errors'], 0);
    assert.deepEqual(json['errors_by_code'], {});
    assert.equal(json['connections'], 300);
    for (const k of ['connectsPerSec', 'p50Ms', 'p99Ms', 'bytesPerIdleConnection']) assert.equal(typeof json[k], 'number', k);
    assert.ok((json['connectsPerSec'] as number) > 0);
    assert.ok((json['p99Ms'] as number) >= (json['p50Ms'] as number));
    // 2 warm-up connects and 300 storm connects, nothing else.
    assert.equal(aedes.connects.length - before, 302);
  });

  it('connect-storm: a wrong password stops the run in the warm-up, exit 1, coded', async () => {
    const wrong = join(dir, 'wrong');
    await writeFile(wrong, 'not-the-password\n');
    const { code, json } = await bench([
      'connect-storm', '--target', `mqtt://127.0.0.1:${aedes.port}`, '--password-file', wrong, '--connections', '5', '--users', '1', '--quiet',
    ]);
    assert.equal(code, 1);
    assert.equal((json['failure'] as { code: string }).code, 'ERR_BENCH_WARMUP_REFUSED');
  });

  it('publish: exactly --count QoS 1 messages reach the 1/KP data-collection topics', async () => {
    const before = aedes.published.get('kp1/bench-v1/dcx') ?? 0;
    const { code, json } = await bench([
      'publish', '--target', `mqtt://127.0.0.1:${aedes.port}`, '--password-file', passwordFile,
      '--devices', '4', '--count', '500', '--warmup', '0', '--concurrency', '8', '--quiet',
    ]);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['scenario'], 'publish');
    assert.equal(json['errors'], 0);
    assert.equal(json['messages'], 500);
    assert.equal(json['devices'], 4);
    for (const k of ['msgsPerSec', 'p50Ms', 'p99Ms']) assert.equal(typeof json[k], 'number', k);
    assert.equal((aedes.published.get('kp1/bench-v1/dcx') ?? 0) - before, 500);
  });

  it('revoke-storm refuses --vs and names why', async () => {
    const io = captureIo();
    const code = await runBenchCli(['revoke-storm', '--vs', 'aedes'], io);
    assert.equal(code, 2);
    assert.match(io.err.join('\n'), /cannot revoke a connected client's credential live/);
  });

  it('revocation core: every session ends after the trigger and is timed from it', async () => {
    const r = await revocationStorm({
      host: '127.0.0.1',
      port: aedes.port,
      protocolVersion: 4,
      sessions: 200,
      username: 'device-3@bench',
      password: PASSWORD,
      clientIdPrefix: 'rv-all',
      localAddresses: ['127.0.0.1', '127.0.0.2'],
      keepaliveSec: 60,
      concurrency: 32,
      threads: 2,
      publish: { topic: 'kp1/bench-v1/dcx/tok/json', payload: '[]' },
      trigger: async () => aedes.closeClients((id) => id.startsWith('rv-all-')),
      deadlineMs: 5000,
    });
    assert.equal(r.sessions, 200);
    assert.equal(r.endedBefore, 0);
    assert.equal(r.notClosed, 0);
    assert.equal(r.disconnect.totalCount, 200);
    assert.ok(r.clientSpanMs <= r.disconnect.maxValue / 1000 + 1);
    assert.ok(r.clientBusyMs > 0);
  });

  it('revocation core: sessions left open at the deadline are counted', async () => {
    const r = await revocationStorm({
      host: '127.0.0.1',
      port: aedes.port,
      protocolVersion: 4,
      sessions: 40,
      username: 'device-3@bench',
      password: PASSWORD,
      clientIdPrefix: 'rv-half',
      localAddresses: [],
      keepaliveSec: 60,
      concurrency: 8,
      threads: 3,
      trigger: async () => aedes.closeClients((id) => /^rv-half-\d*[02468]$/.test(id)),
      deadlineMs: 300,
    });
    assert.equal(r.sessions, 40);
    assert.equal(r.notClosed, 20);
    assert.equal(r.disconnect.totalCount, 20);
  });

  it('lean connection: a refused CONNECT resolves with its code and leaves nothing open', async () => {
    const c = new LeanConnection({
      host: '127.0.0.1', port: aedes.port, clientId: 'lean-refused', username: 'device-0@bench', password: 'nope',
      protocolVersion: 4, keepaliveSec: 10, connectTimeoutMs: 5000,
    });
    assert.equal(await c.connect(), 5);
    assert.equal(c.open, false);
  });
});

describe('scenarios against fleetgate', () => {
  // One fleetgate process serves the --target runs (the way an operator points the bench at a
  // running instance); the --vs run starts its own, as the scenarios do without --target.
  let fg: FleetgateProcess;
  let target: string[];
  before(async () => {
    fg = await startFleetgateProcess({ settings: { 'runtime.shards': 2 } });
    await provisionCredentials(fg.rest, ['device-0@bench', 'device-1@bench', 'device-2@bench', 'device-3@bench'], PASSWORD);
    target = ['--target', `mqtt://127.0.0.1:${fg.mqttPort}`, '--api', fg.rest.base, '--target-pid', String(fg.pid)];
  });
  after(async () => {
    await fg?.stop();
  });

  it('connect-storm --target: every device connected and held, memory per connection read', async () => {
    const { code, json } = await bench(['connect-storm', ...target, '--password-file', passwordFile, '--connections', '200', '--users', '2', '--concurrency', '16', '--settle', '200', '--quiet']);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['errors'], 0);
    assert.equal(json['connections'], 200);
    for (const k of ['connectsPerSec', 'p50Ms', 'p99Ms', 'bytesPerIdleConnection']) assert.equal(typeof json[k], 'number', k);
  });

  it('publish --target: tokens provisioned through --api, every message acknowledged', async () => {
    const { code, json } = await bench(['publish', ...target, '--password-file', passwordFile, '--devices', '4', '--count', '400', '--warmup', '0', '--concurrency', '8', '--quiet']);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['errors'], 0);
    assert.equal(json['messages'], 400);
    for (const k of ['msgsPerSec', 'p50Ms', 'p99Ms']) assert.equal(typeof json[k], 'number', k);
  });

  it('revoke-storm --by credential --protocol 5: every session gets DISCONNECT 0x87 and is closed', async () => {
    const { code, json } = await bench(['revoke-storm', ...target, '--sessions', '100', '--protocol', '5', '--deadline', '10000', '--quiet']);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['errors'], 0);
    assert.equal(json['sessions'], 100);
    assert.equal(json['closed'], 100);
    assert.equal(json['by'], 'credential');
    assert.equal(json['disconnectReason_0x87'], 100);
    for (const k of ['disconnectP99Ms', 'p50Ms', 'p99Ms', 'restMs']) assert.equal(typeof json[k], 'number', k);
    assert.equal(json['disconnectP99Ms'], json['p99Ms']);
  });

  it('revoke-storm --by token: every session that published with the token is closed', async () => {
    const { code, json } = await bench(['revoke-storm', ...target, '--sessions', '100', '--by', 'token', '--deadline', '10000', '--quiet']);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['errors'], 0);
    assert.equal(json['closed'], 100);
    assert.equal(json['by'], 'token');
  });

  it('revoke-storm --floor: the same sessions on a killed mosquitto first, its figures beside fleetgate\'s, nothing left behind', { skip: floorSkip }, async () => {
    const mosquittoDirs = async () => (await readdir(tmpdir())).filter((d) => d.startsWith('fleetgate-bench-mosquitto-')).sort();
    const before = await mosquittoDirs();
    const { code, json } = await bench(['revoke-storm', ...target, '--sessions', '100', '--floor', '--deadline', '10000', '--quiet']);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['errors'], 0);
    assert.equal(json['closed'], 100);
    for (const k of ['floorP99Ms', 'floorP50Ms', 'floorClientSpanMs', 'floorClientBusyMs', 'p99OverFloorMs']) assert.equal(typeof json[k], 'number', k);
    assert.ok((json['floorP50Ms'] as number) <= (json['floorP99Ms'] as number));
    assert.equal(json['p99OverFloorMs'], Math.round(((json['disconnectP99Ms'] as number) - (json['floorP99Ms'] as number)) * 1000) / 1000);
    assert.deepEqual(await mosquittoDirs(), before, 'the killed mosquitto\'s files are removed');
    const without = await bench(['revoke-storm', ...target, '--sessions', '10', '--deadline', '10000', '--quiet']);
    assert.equal(without.json['floorP99Ms'], undefined, 'no floor unless asked');
  });

  it('publish --vs aedes: fleetgate started as a child process, vs holds the peer\'s figures, ratio = fleetgate / peer', async () => {
    const { code, json } = await bench(['publish', '--devices', '4', '--count', '400', '--warmup', '0', '--concurrency', '8', '--vs', 'aedes', '--rounds', '1', '--quiet']);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json['errors'], 0);
    assert.equal(json['messages'], 400);
    const vs = json['vs'] as Record<string, unknown>;
    const ratio = json['ratio'] as Record<string, number | null>;
    assert.equal(vs['peer'], 'aedes');
    assert.equal(vs['errors'], 0);
    assert.equal(vs['messages'], 400);
    // Every acknowledged message reached the data-collection extension's file, one line each.
    assert.equal(json['routedSamples'], 400);
    assert.equal(vs['routedSamples'], undefined);
    for (const k of ['msgsPerSec', 'p50Ms', 'p99Ms']) {
      const a = json[k] as number;
      const b = vs[k] as number;
      assert.equal(typeof a, 'number', k);
      assert.equal(typeof b, 'number', `vs.${k}`);
      if (b !== 0) assert.equal(ratio[k], Math.round((a / b) * 10_000) / 10_000, `ratio.${k}`);
    }
    // fleetgate ran as a process of its own: its pid was sampled.
    assert.match(String((json['server'] as { source: string }).source), /^pid \d+$/);
  });
});
