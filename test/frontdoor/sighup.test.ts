/**
 * `fleetgate start` re-reads the KPC file on SIGHUP: every shard reloads it and says so, the
 * process keeps serving, and a later SIGTERM still stops it cleanly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const CLI = new URL('../../bin/fleetgate.js', import.meta.url).pathname;
const POLICY = 'auth:\n  tenants:\n    open:\n      tcp: { basic: optional, anonymous: true }\n';

describe('SIGHUP', () => {
  it('makes every shard re-read the KPC file at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-sighup-'));
    const policy = join(dir, 'kpc.yaml');
    writeFileSync(policy, POLICY);
    const child = spawn(process.execPath, [CLI, 'start'], {
      env: {
        ...process.env,
        FLEETGATE_DATA_DIR: join(dir, 'data'),
        FLEETGATE_HTTP_PORT: '0',
        FLEETGATE_MGMT_PORT: '0',
        FLEETGATE_MQTT_PORT: '0',
        FLEETGATE_HOST: '127.0.0.1',
        FLEETGATE_SHARDS: '2',
        FLEETGATE_LOG_LEVEL: 'info',
        FLEETGATE_KPC_CONFIG: policy,
        // No poll within the test: only the SIGHUP can make the shards read the file again.
        FLEETGATE_KPC_CONFIG_POLL_MS: '3600000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const w of waiters.splice(0)) w();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    /** The log lines whose message is `msg`, once there are `n` of them. */
    const lines = (msg: string, n = 1): Promise<Array<Record<string, unknown>>> =>
      new Promise((resolve, reject) => {
        const look = (): void => {
          const found = out
            .split('\n')
            .filter((l) => l.includes(`"${msg}"`))
            .map((l) => JSON.parse(l) as Record<string, unknown>);
          if (found.length >= n) resolve(found);
          else waiters.push(look);
        };
        void exited.then((code) => reject(new Error(`fleetgate exited (${code}) before logging "${msg}"`)));
        look();
      });
    let done = false;
    try {
      await lines('fleetgate is up');
      writeFileSync(policy, `${POLICY}extensions:\n  dcx: { endpointAware: true }\n`);
      child.kill('SIGHUP');
      const [answer] = await lines('configuration files reloaded');
      assert.deepEqual([answer!['reloaded'], answer!['unanswered']], [[0, 1], []]);
      // Each shard read the changed file: with no poll in the test's time, SIGHUP made them.
      const shards = (await lines('kpc configuration reloaded', 2)).map((l) => l['shard']).sort();
      assert.deepEqual(shards, [0, 1]);
      done = true;
    } finally {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      // Only after a passing run: a failure above keeps its own message.
      if (done) assert.equal(code, 0, 'a graceful stop after the reload exits 0');
    }
  });
});
