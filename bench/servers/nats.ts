/**
 * A real nats-server for the bus tests and the bench's `--bus nats`: `nats-server -a 127.0.0.1
 * -p <free port>`, started per test file or bench run, stopped by the pid we started (SIGKILL
 * at exit if a caller forgot to).
 */
import { connect as tcpConnect } from 'node:net';
import { findExecutable, freePort, missingServer, startProcess, waitUntilReady } from './servers.js';

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Debian installs the binary in /usr/sbin, which is not on every user's PATH. */
function natsBinary(): string | null {
  return findExecutable('nats-server', ['/usr/sbin', '/usr/local/bin']);
}

/**
 * undefined when nats-server is there; otherwise the skip message, or a throw when servers are
 * required (FLEETGATE_REQUIRE_SERVERS=1), so that CI fails instead of skipping.
 */
export function natsSkipReason(): string | undefined {
  if (natsBinary() !== null) return undefined;
  return missingServer('nats-server', 'not found (apt-get install -y nats-server)');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNats(): Promise<NatsServer> {
  const bin = natsBinary();
  if (bin === null) throw new Error('nats-server not found');
  const port = await freePort();
  const proc = startProcess(bin, ['-a', '127.0.0.1', '-p', String(port)], null);
  try {
    await waitUntilReady('nats-server', proc, () => accepts(port), 10_000);
    proc.unref();
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    stop: () => proc.stop('SIGTERM', 5_000),
  };
}
