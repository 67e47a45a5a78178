/**
 * The aedes peer: aedes (npm) in a child `node` process running aedes-server.js, listening on
 * a loopback port it picks itself and reports over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { BenchCodes, BenchError } from '../errors.js';
import type { FromAedesChild, ToAedesChild } from './aedes-messages.js';
import type { Peer, PeerDefinition, PeerOptions, PeerStartInfo } from './peer.js';
import { TailBuffer, stopIpcChild } from './process.js';

const SERVER = new URL('./aedes-server.js', import.meta.url);
const START_TIMEOUT_MS = 10_000;

export const aedesPeer: PeerDefinition = {
  name: 'aedes',
  kind: 'mqtt',
  description: 'aedes MQTT broker (npm) in its own node process',
  async unavailableReason() {
    try {
      await import('aedes');
      return undefined;
    } catch {
      return 'the npm package aedes is not installed (npm install --save-dev aedes)';
    }
  },
  create: (options) => new AedesPeer(options),
};

class AedesPeer implements Peer {
  readonly name = 'aedes' as const;
  readonly #options: PeerOptions;
  #child: ChildProcess | undefined;

  constructor(options: PeerOptions) {
    this.#options = options;
  }

  async start(): Promise<PeerStartInfo> {
    const stderr = new TailBuffer();
    const child = fork(SERVER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.#child = child;
    child.stderr?.on('data', (d: Buffer) => stderr.push(d));
    const port = await new Promise<number>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        this.#options.log?.(`aedes stderr: ${stderr.text}`);
        reject(new BenchError(BenchCodes.PEER_START_FAILED, `aedes did not start: ${why}`));
      };
      const timer = setTimeout(() => fail(`no answer within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      child.once('error', (err) => fail(err.message));
      child.once('exit', (code) => fail(`exited with code ${code}: ${stderr.text}`));
      child.on('message', (m: FromAedesChild) => {
        if (m.type === 'listening') {
          clearTimeout(timer);
          resolve(m.port);
        } else fail(m.message);
      });
      const config: ToAedesChild = { type: 'config', credentials: this.#options.credentials };
      child.send(config);
    });
    child.removeAllListeners('exit');
    return { target: `mqtt://127.0.0.1:${port}`, ...(child.pid === undefined ? {} : { pid: child.pid }) };
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child !== undefined) await stopIpcChild(child);
  }
}
