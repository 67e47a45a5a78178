import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBenchCli } from '../../bench/cli.js';
import { UsageError } from '../../bench/errors.js';
import { checkSpecs, describeRule, didYouMean, parseOptions, type OptionSpec } from '../../bench/options.js';
import { parseTarget } from '../../bench/target.js';
import { createRegistry } from '../../bench/registry.js';
import { captureIo } from './helpers.js';

const SPECS: OptionSpec[] = [
  { name: 'rate', type: 'integer', min: 1, description: 'r' },
  { name: 'duration', type: 'number', gt: 0, description: 'd' },
  { name: 'fail-rate', type: 'number', min: 0, max: 1, default: 0, description: 'f' },
  { name: 'workers', type: 'integer', min: 1, max: 64, default: 2, description: 'w' },
  { name: 'vs', type: 'enum', choices: ['mosquitto', 'aedes'], description: 'v' },
  { name: 'quiet', type: 'boolean', default: false, description: 'q' },
];

const parse = (args: string[]) => parseOptions(args, SPECS, 'see --help');

function usage(args: string[]): string {
  try {
    parse(args);
  } catch (err) {
    assert.ok(err instanceof UsageError);
    assert.equal(err.code, 'ERR_BENCH_USAGE');
    return err.message;
  }
  assert.fail(`expected a usage error for ${args.join(' ')}`);
}

describe('option parsing', () => {
  it('reads both forms, booleans, and fills defaults', () => {
    const o = parse(['--rate', '500', '--duration=2.5', '--quiet', '--vs', 'aedes']);
    assert.deepEqual(o.toJSON(), { duration: 2.5, 'fail-rate': 0, quiet: true, rate: 500, vs: 'aedes', workers: 2 });
    assert.equal(o.given('rate'), true);
    assert.equal(o.given('workers'), false);
    assert.equal(parse(['--no-quiet']).boolean('quiet'), false);
  });

  it('names the option, the value and the rule', () => {
    assert.equal(usage(['--rate', 'abc']), '--rate must be a positive integer, got "abc"');
    assert.equal(usage(['--rate', '1.5']), '--rate must be a positive integer, got "1.5"');
    assert.equal(usage(['--rate', '-5']), '--rate must be a positive integer, got "-5"');
    assert.equal(usage(['--duration', '0']), '--duration must be a positive number, got "0"');
    assert.equal(usage(['--fail-rate=2']), '--fail-rate must be a number from 0 to 1, got "2"');
    assert.equal(usage(['--workers', '65']), '--workers must be an integer from 1 to 64, got "65"');
    assert.equal(usage(['--vs', 'emqx']), '--vs must be one of mosquitto, aedes, got "emqx"');
    assert.equal(usage(['--quiet=yes']), '--quiet must be true or false, got "yes"');
  });

  it('refuses unknown options with a hint, and other misuse', () => {
    assert.equal(usage(['--rat', '5']), 'unknown option --rat (did you mean --rate?); see --help');
    assert.equal(usage(['--wrokers', '5']), 'unknown option --wrokers (did you mean --workers?); see --help');
    assert.equal(usage(['--zzz']), 'unknown option --zzz; see --help');
    assert.equal(usage(['--rate']), '--rate needs a value: a positive integer');
    assert.equal(usage(['--rate', '--quiet']), '--rate needs a value: a positive integer');
    assert.equal(usage(['--rate', '1', '--rate', '2']), '--rate is given more than once');
    assert.equal(usage(['fast']), 'unexpected argument "fast"; options start with --; see --help');
  });

  it('suggests only close names', () => {
    assert.equal(didYouMean('duraton', ['duration', 'rate']), 'duration');
    assert.equal(didYouMean('conc', ['concurrency', 'count']), 'concurrency');
    assert.equal(didYouMean('xyz', ['duration', 'rate']), undefined);
  });

  it('refuses bad declarations as TypeErrors', () => {
    assert.throws(() => checkSpecs('s', [{ name: 'Rate', type: 'integer', description: '' }]), TypeError);
    assert.throws(() => checkSpecs('s', [{ name: 'n', type: 'integer', min: 1, default: 0, description: '' }]), /breaks its own rule/);
    assert.throws(() => checkSpecs('s', [{ name: 'e', type: 'enum', description: '' }]), /needs choices/);
    assert.equal(describeRule({ name: 'x', type: 'number', gt: 0, max: 1, description: '' }), 'a number > 0 and <= 1');
  });
});

describe('target parsing', () => {
  it('accepts mqtt and http URLs', () => {
    assert.deepEqual(parseTarget('mqtt://127.0.0.1:1884', ['mqtt'], 's'), { kind: 'mqtt', url: 'mqtt://127.0.0.1:1884', host: '127.0.0.1', port: 1884 });
    assert.deepEqual(parseTarget('mqtt://broker', ['mqtt'], 's').port, 1883);
    assert.deepEqual(parseTarget('http://[::1]:8080/oauth/token', ['http'], 's'), {
      kind: 'http', url: 'http://[::1]:8080/oauth/token', host: '::1', port: 8080, path: '/oauth/token', tls: false,
    });
  });

  it('explains refusals', () => {
    const msg = (raw: string, kinds: Array<'mqtt' | 'http'>) => {
      try {
        parseTarget(raw, kinds, 'publish');
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    assert.equal(msg('localhost:1883', ['mqtt']), '--target must be mqtt://host:port or http://host:port/path, got "localhost:1883"');
    assert.equal(msg('ws://h:1/mqtt', ['mqtt']), '--target must be mqtt://host:port or http://host:port/path, got "ws://h:1/mqtt" (scheme ws is not supported)');
    assert.equal(msg('nonsense', ['mqtt']), '--target must be mqtt://host:port or http://host:port/path, got "nonsense"');
    assert.equal(msg('http://h:1/t', ['mqtt']), '--target must be a mqtt:// URL for scenario "publish", got "http://h:1/t"');
    assert.equal(msg('mqtt://u:p@h:1', ['mqtt']), '--target must not carry credentials (use the scenario\'s options), got "mqtt://***:***@h:1"');
    assert.equal(msg('mqtt://h:1', []), '--target is not supported by scenario "publish" (it starts what it measures), got "mqtt://h:1"');
  });
});

describe('command line', () => {
  async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const io = captureIo();
    const code = await runBenchCli(argv, io);
    return { code, out: io.out, err: io.err };
  }

  it('exits 2 with the rule on a bad value, and prints nothing on stdout', async () => {
    const r = await run(['selftest', '--rate', 'abc']);
    assert.equal(r.code, 2);
    assert.deepEqual(r.out, []);
    assert.deepEqual(r.err, ['fleetgate bench: --rate must be a positive integer, got "abc"']);
  });

  it('exits 2 on unknown options and scenarios, with hints', async () => {
    assert.deepEqual((await run(['selftest', '--rat', '5'])).err, [
      'fleetgate bench: unknown option --rat (did you mean --rate?); see npm run bench -- selftest --help',
    ]);
    assert.deepEqual((await run(['selftset'])).err, ['fleetgate bench: unknown scenario "selftset" (did you mean selftest?); see npm run bench -- --help']);
    const registry = createRegistry([]);
    registry.plan('soak', 'a scenario declared before it exists');
    const io = captureIo();
    const planned = await runBenchCli(['soak'], { ...io, registry });
    assert.equal(planned, 2);
    assert.match(io.err[0] ?? '', /^fleetgate bench: scenario "soak" is not yet available/);
  });

  it('refuses options the scenario cannot honour', async () => {
    assert.deepEqual((await run(['selftest', '--vs', 'aedes'])).err, [
      'fleetgate bench: --vs aedes is not supported by scenario "selftest" (supported: none)',
    ]);
    assert.deepEqual((await run(['selftest', '--rate', '10', '--concurrency', '2'])).err, [
      'fleetgate bench: --concurrency applies to the closed loop; with --rate (open loop) use --max-inflight',
    ]);
    assert.equal((await run(['selftest', '--vs', 'redis'])).code, 2);
  });

  it('prints help with every scenario and the defaults; scenario help lists its options', async () => {
    const general = await run(['--help']);
    assert.equal(general.code, 0);
    const text = general.out.join('\n');
    for (const name of ['runtime', 'hashing', 'credentials', 'connect-storm', 'publish', 'revoke-storm', 'token', 'selftest']) {
      assert.match(text, new RegExp(`^  ${name} `, 'm'));
    }
    assert.match(text, /--concurrency N +closed loop: concurrent callers \(default: 16\)/);
    const own = await run(['selftest', '--help']);
    assert.equal(own.code, 0);
    assert.match(own.out.join('\n'), /--fail-rate F +fraction of calls that fail \(deterministic\) \(default: 0\)/);
  });

  it('with no scenario: usage on stderr, exit 2', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.out, []);
    assert.equal(r.err.at(-1), 'fleetgate bench: no scenario given');
  });
});
