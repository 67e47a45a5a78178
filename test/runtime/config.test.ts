import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigCodes, loadConfig, settings } from '../../runtime/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetgate-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.equal((err as { code: string }).code, ConfigCodes.INVALID);
    return ((err as { data: { problems: string[] } }).data.problems);
  }
  assert.fail('expected a configuration error');
}

describe('configuration', () => {
  it('gives the declared defaults with no file and no environment', () => {
    const c = loadConfig(settings, { env: {} });
    assert.equal(c['management.port'], 9090);
    assert.equal(c['hashing.memoryCost'], 19456);
    assert.equal(c['hashing.timeCost'], 2);
    assert.equal(c['hashing.parallelism'], 1);
    assert.equal(c['dataDir'], './data');
    assert.ok(c['runtime.shards'] >= 1);
  });

  it('reads nested YAML and lets the environment win over the file', () => {
    const f = file('ok.yaml', 'management:\n  port: 9191\nruntime:\n  shards: 3\n  mailboxCapacity: 50\n');
    const c = loadConfig(settings, { file: f, env: { FLEETGATE_MGMT_PORT: '0' } });
    assert.equal(c['management.port'], 0);
    assert.equal(c['runtime.shards'], 3);
    assert.equal(c['runtime.mailboxCapacity'], 50);
  });

  it('takes the file from FLEETGATE_CONFIG', () => {
    const f = file('env.yaml', 'runtime:\n  shards: 5\n');
    assert.equal(loadConfig(settings, { env: { FLEETGATE_CONFIG: f } })['runtime.shards'], 5);
  });

  it('names the key, the source, the value and the rule of each bad value, all at once', () => {
    const f = file('bad.yaml', 'runtime:\n  shards: 0\nhashing:\n  timeCost: "two"\n');
    assert.deepEqual(problems(() => loadConfig(settings, { file: f, env: { FLEETGATE_MGMT_PORT: '70000', FLEETGATE_LOG_LEVEL: 'loud' } })), [
      `"log.level" from environment variable FLEETGATE_LOG_LEVEL: "loud" is not valid; it must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"`,
      `"management.port" from environment variable FLEETGATE_MGMT_PORT: "70000" is not valid; it must be a TCP port between 0 and 65535 (0 picks a free one)`,
      `"runtime.shards" from file ${f}: 0 is not valid; it must be an integer between 1 and 256`,
      `"hashing.timeCost" from file ${f}: "two" is not valid; it must be an integer between 1 and 100`,
    ]);
  });

  it('refuses unknown keys with a hint at the closest known one', () => {
    const f = file('typo.yaml', 'runtime:\n  shard: 2\nmanagment:\n  port: 1\nnonsense: 1\n');
    assert.deepEqual(problems(() => loadConfig(settings, { file: f, env: {} })), [
      'unknown configuration key "runtime.shard" (did you mean "runtime.shards"?)',
      'unknown configuration key "managment.port" (did you mean "management.port"?)',
      'unknown configuration key "nonsense"',
    ]);
  });

  it('reports an unreadable or non-YAML file with ERR_CONFIG_FILE', () => {
    assert.throws(() => loadConfig(settings, { file: join(dir, 'missing.yaml'), env: {} }), { code: ConfigCodes.FILE });
    assert.throws(() => loadConfig(settings, { file: file('broken.yaml', 'a: [1, 2\n'), env: {} }), { code: ConfigCodes.FILE });
    assert.throws(() => loadConfig(settings, { file: file('list.yaml', '- 1\n- 2\n'), env: {} }), {
      code: ConfigCodes.FILE,
      message: /must hold a YAML mapping/,
    });
  });
});
