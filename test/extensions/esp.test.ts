/**
 * Echo and data collection over a real bus, spoken to as the front door speaks: ClientData in,
 * ExtensionData out, decoded and compared field by field. Run on the in-process bus and on NATS
 * (a nats-server of its own; the front door and the extensions on separate connections).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { setLogLevel } from '../../runtime/index.js';
import { espExtensionDataSubject, InProcessBus, NatsBus, type Bus, type ExtensionData } from '../../transports/bus/index.js';
import { natsSkipReason, startNats, type NatsServer } from '../harness/nats.js';
import { Answers, clientData, dec, enc, sendClientData, startExtensions, type Extensions } from './helpers.js';

setLogLevel('silent');

const EP = 'a5f9c1e2-0d4b-4d1c-9b55-6f0c1a2b3c4d';
const AT = 1_700_000_123_456;

interface Pair {
  /** The front door's connection. */
  front: Bus;
  /** The extensions' connection. */
  ext: Bus;
  close(): Promise<void>;
}

function suite(name: string, open: () => Promise<Pair>, opts: { skip?: string } = {}): void {
  describe(`extensions over ${name}`, { skip: opts.skip ?? false }, () => {
    let pair: Pair;
    let x: Extensions;
    let replyTo: string;
    let answers: Answers;

    beforeEach(async () => {
      pair = await open();
      x = await startExtensions(pair.ext);
      replyTo = `kaa.v1.replica.r${randomBytes(4).toString('hex')}.esp.ExtensionData`;
      answers = new Answers(pair.front, replyTo);
      await pair.front.flush();
    });
    afterEach(async () => {
      await x.stop();
      await pair.close();
    });

    it('echo answers with every identifying field copied and the payload unchanged', async () => {
      const cd = clientData({ resourcePath: '/any/thing', requestId: 42, payload: new Uint8Array([0, 1, 2, 255]) });
      sendClientData(pair.front, 'echo', cd, replyTo);
      const [a] = await answers.count(1);
      assert.ok(a);
      assert.ok(a.timestamp > 0);
      const expected: ExtensionData = {
        correlationId: cd.correlationId,
        timestamp: a.timestamp,
        timeout: 0,
        appVersionName: 'demo_app-v1',
        extensionInstanceName: 'echo',
        endpointId: EP,
        resourcePath: '/any/thing',
        requestId: 42,
        payload: new Uint8Array([0, 1, 2, 255]),
        statusCode: 200,
        reasonPhrase: null,
      };
      assert.deepEqual({ ...a, payload: new Uint8Array(a.payload ?? []) }, expected);
    });

    it('echo pushes back a request without a request id; no replyTo answers to the KPC instance', async () => {
      const kpc = new Answers(pair.front, espExtensionDataSubject('kpc'));
      await pair.front.flush();
      const cd = clientData({ requestId: null, endpointId: null, payload: enc('ping') });
      sendClientData(pair.front, 'echo', cd);
      const [a] = await kpc.count(1);
      assert.equal(a?.correlationId, cd.correlationId);
      assert.equal(a?.requestId, null);
      assert.equal(a?.endpointId, null);
      assert.equal(dec(a?.payload ?? null), 'ping');
      assert.equal(answers.got.length, 0);
    });

    it('dcx appends one line per sample and answers 200 with a zero-length payload', async () => {
      const cd = clientData({ requestId: 7, payload: enc('[{"temperature":21.5},{"temperature":21.7}]') });
      sendClientData(pair.front, 'dcx', cd, replyTo);
      const [a] = await answers.count(1);
      assert.ok(a);
      assert.deepEqual(
        { ...a, payload: a.payload === null ? null : [...a.payload] },
        {
          correlationId: cd.correlationId,
          timestamp: a.timestamp,
          timeout: 0,
          appVersionName: 'demo_app-v1',
          extensionInstanceName: 'dcx',
          endpointId: EP,
          resourcePath: '/json',
          requestId: 7,
          payload: [],
          statusCode: 200,
          reasonPhrase: null,
        },
      );
      assert.deepEqual(x.lines('demo_app-v1'), [
        { endpointId: EP, appVersionName: 'demo_app-v1', receivedAt: AT, sample: { temperature: 21.5 } },
        { endpointId: EP, appVersionName: 'demo_app-v1', receivedAt: AT, sample: { temperature: 21.7 } },
      ]);
    });

    it('dcx /plain/<metric> writes the metric; an ack-only request is written but never answered', async () => {
      sendClientData(pair.front, 'dcx', clientData({ requestId: null, resourcePath: '/plain/humidity', payload: enc('55') }), replyTo);
      sendClientData(pair.front, 'dcx', clientData({ requestId: null, resourcePath: '/json', payload: enc('nope') }), replyTo);
      const barrier = clientData({ requestId: 9, resourcePath: '/plain/state', payload: enc('open') });
      sendClientData(pair.front, 'dcx', barrier, replyTo);
      const got = await answers.count(1);
      await pair.front.flush();
      assert.deepEqual(
        got.map((a) => [a.correlationId, a.statusCode]),
        [[barrier.correlationId, 200]],
        'only the request with a request id is answered, not even the refused ack-only one',
      );
      assert.deepEqual(x.lines('demo_app-v1'), [
        { endpointId: EP, appVersionName: 'demo_app-v1', receivedAt: AT, metric: 'humidity', sample: 55 },
        { endpointId: EP, appVersionName: 'demo_app-v1', receivedAt: AT, metric: 'state', sample: 'open' },
      ]);
      assert.equal(x.metrics.snapshot().refused['dcx:bad_payload'], 1);
    });

    it('dcx answers bad JSON, an unknown path, a traversal-looking app name and an oversized body with 4xx and writes nothing', async () => {
      const bad = [
        [clientData({ requestId: 1, payload: enc('[1, 2') }), 400, 'payload is not valid JSON'],
        [clientData({ requestId: 2, resourcePath: '/update/keys' }), 400, 'unknown resource path: 2/DCP serves /json and /plain/<metric>'],
        [clientData({ requestId: 3, appVersionName: '../../etc/passwd' }), 400, 'appVersionName must be 1 to 128 characters of A-Z a-z 0-9 _ -'],
        [clientData({ requestId: 4, appVersionName: '..' }), 400, 'appVersionName must be 1 to 128 characters of A-Z a-z 0-9 _ -'],
        [clientData({ requestId: 5, payload: enc(`[${'1,'.repeat(600)}1]`) }), 413, 'payload of 1203 bytes is over the 1024-byte bound'],
      ] as const;
      for (const [cd] of bad) sendClientData(pair.front, 'dcx', cd, replyTo);
      const got = await answers.count(bad.length);
      assert.deepEqual(
        got.map((a) => ({ c: a.correlationId, r: a.requestId, s: a.statusCode, p: a.reasonPhrase, payload: a.payload, ext: a.extensionInstanceName, app: a.appVersionName })),
        bad.map(([cd, s, p]) => ({ c: cd.correlationId, r: cd.requestId, s, p, payload: null, ext: 'dcx', app: cd.appVersionName })),
      );
      assert.equal(existsSync(join(x.dataDir, 'dcx')), true);
      assert.deepEqual(readdirSync(join(x.dataDir, 'dcx')), [], 'no data file anywhere');
      assert.deepEqual(readdirSync(x.dataDir), ['dcx']);
      const text = await x.registry.metrics();
      assert.match(text, /fleetgate_extension_requests_refused_total\{extension="dcx",reason="bad_app_version"\} 2/);
      assert.match(text, /fleetgate_extension_requests_refused_total\{extension="dcx",reason="too_large"\} 1/);
      assert.match(text, /fleetgate_dcx_samples_written_total 0/);
    });

    it('a message that is not ClientData is dropped and counted; the next one is served', async () => {
      pair.front.publish('kaa.v1.service.dcx.esp.ClientData', enc('not avro at all'), { replyTo });
      const cd = clientData({ requestId: 11 });
      sendClientData(pair.front, 'dcx', cd, replyTo);
      const got = await answers.count(1);
      assert.deepEqual(got.map((a) => a.correlationId), [cd.correlationId]);
      assert.equal(x.metrics.snapshot().refused['dcx:undecodable'], 1);
    });

    it('two dcx members of the queue group serve each request once and their lines stay whole', async () => {
      const second = await startExtensions(pair.ext);
      try {
        const n = 400;
        const sent = [];
        for (let i = 0; i < n; i++) {
          const cd = clientData({ requestId: (i % 100) + 1, appVersionName: 'shared', payload: enc(JSON.stringify([{ i, pad: 'p'.repeat(i % 97) }, i])) });
          sent.push(cd.correlationId);
          sendClientData(pair.front, 'dcx', cd, replyTo);
        }
        const got = await answers.count(n);
        await pair.front.flush();
        assert.equal(got.length, n);
        assert.deepEqual(new Set(got.map((a) => a.correlationId)), new Set(sent));
        assert.ok(got.every((a) => a.statusCode === 200));
        const served = [x, second].map((e) => e.metrics.snapshot().handled.dcx ?? 0);
        assert.equal(served[0]! + served[1]!, n, 'each request handled by one member only');
        // Both members write into their own data directories here; each file holds whole lines.
        const samples = [...x.lines('shared'), ...second.lines('shared')];
        assert.equal(samples.length, 2 * n);
        assert.deepEqual(samples.filter((l) => typeof l.sample === 'number').map((l) => l.sample).sort((a, b) => (a as number) - (b as number)), [...Array(n).keys()]);
      } finally {
        await second.stop();
      }
    });
  });
}

suite('the in-process bus', async () => {
  const bus = new InProcessBus();
  return { front: bus, ext: bus, close: () => bus.close() };
});

const skip = natsSkipReason();
let nats: NatsServer | undefined;
before(async () => {
  if (skip === undefined) nats = await startNats();
});
after(async () => {
  await nats?.stop();
});

suite(
  'NATS',
  async () => {
    if (nats === undefined) throw new Error('nats-server not started');
    const front = await NatsBus.connect({ servers: [nats.url], name: 'front-door' });
    const ext = await NatsBus.connect({ servers: [nats.url], name: 'extensions' });
    return {
      front,
      ext,
      close: async () => {
        await front.close();
        await ext.close();
      },
    };
  },
  skip === undefined ? {} : { skip },
);

describe('dcx under load, in-process', () => {
  it('answers 503 and writes nothing of what does not fit in the write queue', async () => {
    const bus = new InProcessBus();
    const x = await startExtensions(bus, { maxQueueBytes: 64 * 1024 });
    const replyTo = 'kaa.v1.replica.load.esp.ExtensionData';
    const answers = new Answers(bus, replyTo);
    try {
      // One burst is dispatched in one go, before any write can start: the queue fills up.
      const big = enc(JSON.stringify(['x'.repeat(900)]));
      const n = 100;
      for (let i = 0; i < n; i++) sendClientData(bus, 'dcx', clientData({ requestId: i + 1, appVersionName: 'load', payload: big }), replyTo);
      const got = await answers.count(n);
      const ok = got.filter((a) => a.statusCode === 200).length;
      const busy = got.filter((a) => a.statusCode === 503);
      assert.ok(ok > 0 && busy.length > 0, `some written (${ok}), some refused (${busy.length})`);
      assert.equal(ok + busy.length, n);
      assert.ok(busy.every((a) => a.reasonPhrase === 'data collection is busy: write queue full' && a.payload === null));
      assert.equal(x.lines('load').length, ok, 'exactly the accepted requests were written');
      assert.equal(x.metrics.snapshot().refused['dcx:queue_full'], busy.length);
      // Once the queue drained, requests are taken again.
      const after = clientData({ requestId: 500, appVersionName: 'load', payload: big });
      sendClientData(bus, 'dcx', after, replyTo);
      const again = await answers.count(n + 1);
      assert.equal(again[n]?.statusCode, 200);
    } finally {
      await x.stop();
      await bus.close();
    }
  });
});
