/**
 * The aedes peer's server process (run by aedes.ts with `node`, never imported): an aedes
 * broker on a loopback TCP port via node:net, with an `authenticate` hook accepting exactly the
 * configured username / password pairs. Its own process so that its CPU and memory are
 * sampled apart from the load generator, as mosquitto's are.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { FromAedesChild, ToAedesChild } from './aedes-messages.js';

const send = (m: FromAedesChild): void => {
  process.send?.(m);
};

async function serve(credentials: ReadonlyMap<string, string>): Promise<() => Promise<void>> {
  const broker = await Aedes.createBroker({
    authenticate(_client, username, password, done) {
      const ok = username !== undefined && password !== undefined && credentials.get(username) === password.toString('utf8');
      // null error + false: aedes answers CONNACK 5 (not authorized), as mosquitto does for 3.1.1.
      done(null, ok);
    },
  });
  const server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  send({ type: 'listening', port: addr.port });
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => broker.close(() => resolve()));
    });
}

let close: (() => Promise<void>) | undefined;

process.on('message', (m: ToAedesChild) => {
  if (m.type === 'config') {
    const creds = new Map(m.credentials.map((c) => [c.username, c.password]));
    serve(creds).then(
      (c) => (close = c),
      (err: unknown) => {
        send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  } else {
    // Connected clients keep the server open; exit once the broker closed, or after a grace.
    setTimeout(() => process.exit(0), 2000).unref();
    void (close?.() ?? Promise.resolve()).then(() => process.exit(0));
  }
});

// The launcher's death closes the IPC channel: do not outlive it.
process.on('disconnect', () => process.exit(0));
