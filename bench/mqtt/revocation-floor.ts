/**
 * The host's floor under revoke-storm's figure: the same sessions, opened the same way by the
 * same client threads, on a mosquitto that is then killed with SIGKILL. The kernel closes every
 * socket of the dead process at once and no broker code runs, so what is measured is the
 * kernel's closes and this client's own work on seeing them. A broker that revokes cannot end
 * its sessions, as this client sees them, sooner than that on the same host.
 *
 * mosquitto is used only as something that holds MQTT sessions and can be killed; no figure of
 * mosquitto's own is taken from it (it has no live revocation to compare with).
 */
import { randomBytes } from 'node:crypto';
import { BenchCodes, BenchError } from '../errors.js';
import { mosquittoPeer } from '../peers/mosquitto.js';
import { DEVICE_PASSWORD } from './devices.js';
import { raiseOpenFiles, sourceAddresses } from './limits.js';
import { revocationStorm, type RevocationReport } from './revocation.js';

export interface FloorOptions {
  readonly sessions: number;
  readonly threads: number;
  readonly concurrency: number;
  readonly keepaliveSec: number;
  readonly protocolVersion: 4 | 5;
  readonly deadlineMs: number;
  readonly say?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export async function revocationFloor(o: FloorOptions): Promise<RevocationReport> {
  const why = await mosquittoPeer.unavailableReason();
  if (why !== undefined) throw new BenchError(BenchCodes.FLOOR_UNAVAILABLE, `--floor needs mosquitto: ${why}`);
  const tag = randomBytes(4).toString('hex');
  const username = `floor-${tag}`;
  const peer = mosquittoPeer.create({ credentials: [{ username, password: DEVICE_PASSWORD }], ...(o.say === undefined ? {} : { log: o.say }) });
  try {
    const info = await peer.start();
    const pid = info.pid;
    const port = Number(new URL(info.target).port);
    if (pid === undefined || !Number.isInteger(port) || port <= 0) throw new BenchError(BenchCodes.FLOOR_UNAVAILABLE, `mosquitto started without a pid or port (${info.target})`);
    const want = o.sessions + 2048;
    const got = await raiseOpenFiles(pid, want);
    if (got < want) throw new BenchError(BenchCodes.OPEN_FILES, `mosquitto (pid ${pid}) may open ${got} files but the floor needs ${want}`);
    o.say?.(`floor: ${o.sessions} sessions on mosquitto (pid ${pid}), then SIGKILL`);
    return await revocationStorm({
      host: '127.0.0.1',
      port,
      protocolVersion: o.protocolVersion,
      sessions: o.sessions,
      username,
      password: DEVICE_PASSWORD,
      clientIdPrefix: `floor-${tag}`,
      localAddresses: sourceAddresses('127.0.0.1', o.sessions + 1),
      keepaliveSec: o.keepaliveSec,
      concurrency: o.concurrency,
      threads: o.threads,
      trigger: async () => {
        process.kill(pid, 'SIGKILL');
      },
      deadlineMs: o.deadlineMs,
      ...(o.say === undefined ? {} : { say: o.say }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
  } finally {
    await peer.stop();
  }
}
