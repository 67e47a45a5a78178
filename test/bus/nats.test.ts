import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BusCodes, NatsBus, openBus } from '../../transports/bus/index.js';
import { freePort } from '../harness/servers.js';
import { natsSkipReason, startNats, type NatsServer } from '../harness/nats.js';
import { dec, enc, runBusContract, uniq } from './contract.js';
import { setLogLevel } from '../../runtime/log.js';

// Handler failures and reconnects are logged by design; keep the test output readable.
setLogLevel('silent');

const skip = natsSkipReason();
let server: NatsServer | undefined;

before(async () => {
  if (skip === undefined) server = await startNats();
});
after(async () => {
  await server?.stop();
});

function url(): string {
  if (server === undefined) throw new Error('nats-server not started');
  return server.url;
}

runBusContract('nats', async () => openBus({ kind: 'nats', servers: [url()], name: 'contract' }), skip === undefined ? {} : { skip });

describe('NatsBus', { skip: skip ?? false }, () => {
  it('carries a message from one connection to another', async () => {
    const a = await NatsBus.connect({ servers: [url()], name: 'a' });
    const b = await NatsBus.connect({ servers: [url()], name: 'b' });
    try {
      const p = uniq();
      const received = new Promise<string>((resolve) => {
        a.subscribe(`${p}.>`, (m) => resolve(`${m.subject}:${dec(m.data)}`));
      });
      await a.flush(); // the SUB has reached the server before b publishes
      b.publish(`${p}.x.y`, enc('hello'));
      assert.equal(await received, `${p}.x.y:hello`);
      // and request/reply across connections, through a queue group
      a.subscribe(`${p}.svc`, (m) => m.respond(enc('from a')), { queue: 'svc' });
      await a.flush();
      assert.equal(dec(await b.request(`${p}.svc`, enc('?'), { timeoutMs: 2_000 })), 'from a');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('health fails once the server is gone, and close still returns', async () => {
    const own = await startNats();
    const bus = await NatsBus.connect({ servers: [own.url], healthTimeoutMs: 1_000, closeTimeoutMs: 1_000 });
    try {
      await bus.health();
      await own.stop();
      await assert.rejects(bus.health(), { name: 'BusError', code: BusCodes.UNAVAILABLE });
    } finally {
      await own.stop();
      await bus.close();
    }
  });

  it('a server nobody listens on is ERR_BUS_UNAVAILABLE at open, without the credentials', async () => {
    const port = await freePort();
    const err = await openBus({ kind: 'nats', servers: [`nats://fleet:s3cret@127.0.0.1:${port}`] }).then(
      () => assert.fail('connected to nothing'),
      (e: unknown) => e,
    );
    assert.equal((err as { code?: string }).code, BusCodes.UNAVAILABLE);
    assert.doesNotMatch((err as Error).message, /s3cret/);
  });
});
