/**
 * Load generator of `connect-storm` (runs in the bench's worker threads): each call opens one
 * MQTT connection with basic auth and waits for its CONNACK; accepted connections stay open and
 * idle. When the storm is over, the workers meet on a BroadcastChannel before letting go of
 * their sockets: worker 0, once every worker holds its share, waits for the broker to settle
 * and reads its resident memory, so that the memory per idle connection is read with every
 * connection of the storm open at once.
 *
 * The meeting happens in `close()`, which the worker bounds by the loop's drain grace (5 s):
 * settle time and reads stay well inside it, and a worker that is late is not waited for
 * beyond HELD_WAIT_MS (the figure is then read with the connections that are there, and says so).
 */
import { BroadcastChannel } from 'node:worker_threads';
import { BenchCodes, BenchError } from '../errors.js';
import type { CreateGenerator } from '../generator.js';
import { LeanConnection, refusal } from '../mqtt/lean.js';
import { readProcSample } from '../sampling/proc.js';

export interface ConnectStormParams {
  readonly host: string;
  readonly port: number;
  readonly protocolVersion: 4 | 5;
  readonly usernames: readonly string[];
  readonly password: string | undefined;
  /** Client ids are `<prefix>-<global index>`: distinct across workers and runs. */
  readonly clientIdPrefix: string;
  readonly localAddresses: readonly string[];
  readonly keepaliveSec: number;
  readonly connectTimeoutMs: number;
  /** BroadcastChannel name of this run's meeting. */
  readonly channel: string;
  /** The broker process whose RSS worker 0 reads with every connection open. */
  readonly brokerPid: number | undefined;
  /** Wait between the last worker holding its share and the memory reads. */
  readonly settleMs: number;
  /** Connections of the whole storm: worker 0 also reads the broker's RSS once about half of
   *  them are open, so that memory per connection is a slope between two counts, free of
   *  whatever the broker still held or released from its start-up. */
  readonly connections: number;
}

type Meeting = { readonly type: 'held'; readonly worker: number; readonly open: number } | { readonly type: 'release' };

const HELD_WAIT_MS = 2000;
const RSS_READS = 3;
const RSS_READ_GAP_MS = 200;

export const createGenerator: CreateGenerator<ConnectStormParams> = (init) => {
  const p = init.params;
  const held: LeanConnection[] = [];
  const channel = new BroadcastChannel(p.channel);
  const heldBy = new Map<number, number>();
  let onHeld: (() => void) | undefined;
  let onRelease: (() => void) | undefined;
  channel.onmessage = (event: unknown) => {
    const m = (event as { data: Meeting }).data;
    if (m.type === 'held') {
      heldBy.set(m.worker, m.open);
      onHeld?.();
    } else onRelease?.();
  };
  let dropped = 0;
  let k = 0;
  let halfRead: Promise<void> | undefined;
  const pinger = p.keepaliveSec > 0 ? setInterval(() => held.forEach((c) => c.ping()), (p.keepaliveSec * 1000) / 2) : undefined;
  pinger?.unref();

  return {
    async call(): Promise<void> {
      const index = init.workerIndex + k * init.workerCount;
      k++;
      const local = p.localAddresses.length === 0 ? undefined : p.localAddresses[index % p.localAddresses.length];
      const username = p.usernames[index % p.usernames.length] as string;
      const c = new LeanConnection({
        host: p.host,
        port: p.port,
        ...(local === undefined ? {} : { localAddress: local }),
        clientId: `${p.clientIdPrefix}-${index}`,
        ...(p.password === undefined ? {} : { username, password: p.password }),
        protocolVersion: p.protocolVersion,
        keepaliveSec: p.keepaliveSec,
        connectTimeoutMs: p.connectTimeoutMs,
        onEnded: () => {
          dropped++;
        },
      });
      const code = await c.connect();
      if (code !== 0) throw new BenchError(BenchCodes.MQTT_REFUSED, `CONNACK refused: ${refusal(code, p.protocolVersion)}`);
      held.push(c);
      if (init.workerIndex === 0 && halfRead === undefined && p.brokerPid !== undefined && held.length * init.workerCount >= p.connections / 2) {
        // Every worker holds about as many: worker 0's count times the workers is the storm's.
        const openNow = held.length * init.workerCount;
        halfRead = readProcSample(p.brokerPid).then(
          (s) => {
            init.count('rss_half_bytes', s.rssBytes);
            init.count('held_at_half', openNow);
          },
          () => undefined,
        );
      }
    },

    async close(): Promise<void> {
      if (pinger !== undefined) clearInterval(pinger);
      const open = held.filter((c) => c.open).length;
      init.count('dropped_while_idle', dropped);
      if (init.workerIndex === 0) {
        await halfRead;
        heldBy.set(0, open);
        await waitFor((resolve) => (onHeld = () => heldBy.size === init.workerCount && resolve()), heldBy.size === init.workerCount, HELD_WAIT_MS);
        let total = 0;
        for (const n of heldBy.values()) total += n;
        init.count('held_connections', total);
        init.count('workers_met', heldBy.size);
        if (p.brokerPid !== undefined) {
          await sleep(p.settleMs);
          let rss = 0;
          for (let i = 0; i < RSS_READS; i++) {
            if (i > 0) await sleep(RSS_READ_GAP_MS);
            rss = (await readProcSample(p.brokerPid)).rssBytes;
          }
          init.count('rss_held_bytes', rss);
        }
        channel.postMessage({ type: 'release' } satisfies Meeting);
      } else {
        const released = waitFor((resolve) => (onRelease = resolve), false, HELD_WAIT_MS + p.settleMs + RSS_READS * RSS_READ_GAP_MS + 500);
        channel.postMessage({ type: 'held', worker: init.workerIndex, open } satisfies Meeting);
        await released;
      }
      channel.close();
      for (const c of held) c.destroy();
    },
  };
};

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when `arm`'s resolver is called, at once when `already`, or after `timeoutMs`. */
function waitFor(arm: (resolve: () => void) => void, already: boolean, timeoutMs: number): Promise<void> {
  if (already) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    arm(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
