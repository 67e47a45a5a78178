/**
 * Smoke test of the `credentials` bench scenario: the whole run through runBenchCli with tiny
 * counts and cheap argon2 parameters, on the embedded database and the in-process bus. It
 * checks the shape of the result (every figure present, zero errors), not the figures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBenchCli } from '../../bench/cli.js';
import { captureIo } from './helpers.js';

const FIGURES = [
  'backend',
  'bus',
  'bulkProvisionPerSec',
  'credentialCreatePerSec',
  'firstUseAuthPerSec',
  'hashingCeilingPerSec',
  'firstUseRatioToCeiling',
  'firstUseP50Ms',
  'firstUseP99Ms',
  'cachedAuthPerSec',
  'cachedAuthCrossShardPerSec',
  'cachedAuthP99Ms',
  'validationP50Ms',
  'validationP99Ms',
  'validationPerSec',
  'validationFirstUseP99Ms',
  'transitionsPerSec',
  'transitionP99Ms',
  'firstUseTargetMet',
  'cachedAuthTargetMet',
];

describe('credentials scenario through runBenchCli', () => {
  it('runs every phase on the embedded backend and prints the result JSON last, without errors', async () => {
    const io = captureIo();
    const code = await runBenchCli(
      ['credentials', '--users', '8', '--seconds', '0.5', '--runs', '1', '--bulk-items', '50', '--validation-rate', '200',
        '--memory-cost', '1024', '--time-cost', '1', '--quiet'],
      io,
    );
    const last = io.out.at(-1);
    assert.ok(last !== undefined, `nothing on stdout; stderr:\n${io.err.join('\n')}`);
    const json = JSON.parse(last) as Record<string, unknown>;
    assert.equal(json['failure'], undefined, JSON.stringify(json['failure']));
    assert.equal(json['scenario'], 'credentials');
    for (const k of FIGURES) assert.ok(k in json, `figure ${k} missing from ${last}`);
    assert.equal(json['backend'], 'embedded');
    assert.equal(json['bus'], 'inprocess');
    for (const k of FIGURES.slice(2, -2)) assert.equal(typeof json[k], 'number', `${k} is a number`);
    assert.equal(json['errors'], 0, JSON.stringify(json['errors_by_code']));
    assert.deepEqual(json['errors_by_code'], {});
    assert.equal(code, 0);
  });
});
