/**
 * The extensions inside the running platform: two shard workers, each with its own echo and dcx
 * member of the queue groups, reached through the platform's bus exactly as the front door
 * reaches them. Both shards append to the same data file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { platformModules, startPlatform, type Platform } from '../../bin/platform.js';
import { ConfigCodes, loadConfig, rootLogger, settings } from '../../runtime/index.js';
import { Answers, clientData, dec, enc, sendClientData } from './helpers.js';

const INFRA = new URL('../../actors/infra.js', import.meta.url).href;
const EXTENSIONS = new URL('../../actors/extensions/module.js', import.meta.url).href;

// The shards load the infra module (bus, storage) and the extensions only: nothing else is
// needed, and what the extensions do is all that is asserted here.
let tp: { platform: Platform; dataDir: string };
before(async () => {
  rootLogger().level = 'warn';
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetgate-ext-it-'));
  const config = loadConfig(settings, {
    env: {},
    overrides: { dataDir, 'listen.host': '127.0.0.1', 'http.port': 0, 'management.port': 0, 'runtime.shards': 2, 'hashing.threads': 1, 'log.level': 'warn' },
  });
  tp = { platform: await startPlatform(config, { modules: [INFRA, EXTENSIONS] }), dataDir };
});
after(async () => {
  await tp.platform.stop();
  rmSync(tp.dataDir, { recursive: true, force: true });
});

describe('built-in extensions in the platform', () => {
  it('echo answers through the shards', async () => {
    const bus = tp.platform.bus;
    const answers = new Answers(bus, 'kaa.v1.replica.it.esp.ExtensionData');
    const sent = Array.from({ length: 20 }, (_, i) => clientData({ requestId: i + 1, payload: enc(`hello ${i}`) }));
    for (const cd of sent) sendClientData(bus, 'echo', cd, 'kaa.v1.replica.it.esp.ExtensionData');
    const got = await answers.count(sent.length);
    const byId = new Map(got.map((a) => [a.correlationId, a]));
    for (const [i, cd] of sent.entries()) {
      const a = byId.get(cd.correlationId);
      assert.equal(a?.statusCode, 200);
      assert.equal(a?.extensionInstanceName, 'echo');
      assert.equal(a?.requestId, i + 1);
      assert.equal(dec(a?.payload ?? null), `hello ${i}`);
    }
  });

  it('dcx members on both shards append whole lines to one file under <dataDir>/dcx', async () => {
    const bus = tp.platform.bus;
    const replyTo = 'kaa.v1.replica.it2.esp.ExtensionData';
    const answers = new Answers(bus, replyTo);
    const n = 2000;
    for (let i = 0; i < n; i++) {
      sendClientData(bus, 'dcx', clientData({ requestId: (i % 100) + 1, appVersionName: 'fleet-v1', payload: enc(JSON.stringify({ i, pad: 'z'.repeat(i % 500) })) }), replyTo);
    }
    const got = await answers.count(n);
    assert.equal(got.filter((a) => a.statusCode === 200 && a.payload?.byteLength === 0).length, n);
    const lines = readFileSync(join(tp.dataDir, 'dcx', 'fleet-v1.jsonl'), 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    const seen = lines.map((l) => (JSON.parse(l) as { sample: { i: number; pad: string } }).sample);
    assert.ok(seen.every((s) => s.pad.length === s.i % 500));
    assert.deepEqual(seen.map((s) => s.i).sort((a, b) => a - b), [...Array(n).keys()]);
    const metrics = await fetch(`http://127.0.0.1:${tp.platform.management.port}/metrics`).then((r) => r.text());
    assert.match(metrics, /fleetgate_dcx_samples_written_total/);
  });
});

describe('extension settings', () => {
  it('the platform loads the extensions module, after the front door and before the API', () => {
    const mods = platformModules();
    const at = mods.indexOf(EXTENSIONS);
    assert.ok(at > 0, 'loaded');
    assert.equal(mods[at + 1], new URL('../../actors/api.js', import.meta.url).href);
  });


  it('refuses an instance name that is not one subject token, naming the key', () => {
    assert.throws(
      () => loadConfig(settings, { env: {}, overrides: { 'extensions.dcx.instanceName': 'dc.x' } }),
      (err: unknown) => (err as { code?: string }).code === ConfigCodes.INVALID && /extensions\.dcx\.instanceName/.test((err as Error).message),
    );
    const cfg = loadConfig(settings, { env: {}, overrides: {} });
    assert.deepEqual(
      [cfg['extensions.echo.enabled'], cfg['extensions.echo.instanceName'], cfg['extensions.dcx.enabled'], cfg['extensions.dcx.instanceName']],
      [true, 'echo', true, 'dcx'],
    );
  });
});
