/**
 * The front door's configuration file without sockets: defaults, routes per application
 * version, per-tenant policies, which sessions a policy admits, validation errors that name the
 * key, and the watcher that re-reads a changed file and keeps the old one when the new one is
 * wrong.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { admits, applicationOf, KpcConfig, KpcConfigCodes, KpcConfigWatcher, type TransportPolicy } from '../../actors/frontdoor/kpc-config.js';
import { hasCode } from '../../runtime/index.js';

function invalid(doc: unknown): string[] {
  try {
    KpcConfig.fromObject(doc, 'test.yaml');
  } catch (err) {
    assert.ok(hasCode(err, KpcConfigCodes.INVALID), String(err));
    return ((err as { data?: { problems?: string[] } }).data?.problems ?? []) as string[];
  }
  assert.fail('the configuration was accepted');
}

describe('KpcConfig', () => {
  it('defaults: any <application>-<suffix>, echo and dcx endpoint-aware, basic on tcp/ws, basic or x509 on tls', () => {
    const c = KpcConfig.defaults();
    assert.deepEqual(c.route('demo-v1', 'echo'), { application: 'demo', endpointAware: true });
    assert.deepEqual(c.route('my-app-v2', 'dcx'), { application: 'my-app', endpointAware: true });
    assert.deepEqual(c.route('demo-v1', 'cmx'), { refused: 'unknown extension cmx' });
    assert.equal(c.endpointAware('echo'), true);
    assert.equal(c.endpointAware('nope'), false);
    assert.deepEqual(c.policy('acme', 'tcp'), { basic: 'required', x509: 'off', anonymous: false });
    assert.deepEqual(c.policy(undefined, 'ws'), { basic: 'required', x509: 'off', anonymous: false });
    assert.deepEqual(c.policy('acme', 'tls'), { basic: 'optional', x509: 'optional', anonymous: false });
  });

  it('routes only the listed application versions and extensions', () => {
    const c = KpcConfig.fromObject({
      extensions: { dcx: {}, cmx: { endpointAware: false } },
      applications: { 'demo-v1': { extensions: ['dcx'] }, 'other-v3': { application: 'renamed' } },
    });
    assert.deepEqual(c.route('demo-v1', 'dcx'), { application: 'demo', endpointAware: true });
    assert.deepEqual(c.route('demo-v1', 'cmx'), { refused: 'extension cmx is not allowed for demo-v1' });
    assert.deepEqual(c.route('other-v3', 'cmx'), { application: 'renamed', endpointAware: false });
    assert.deepEqual(c.route('demo-v2', 'dcx'), { refused: 'unknown application version demo-v2' });
    assert.deepEqual(c.route('demo-v1', 'echo'), { refused: 'unknown extension echo' });
    assert.equal(c.endpointAware('cmx'), false);
  });

  it('gives a tenant its own policy per transport, on top of the default', () => {
    const c = KpcConfig.fromObject({
      auth: {
        default: { tls: { basic: 'off', x509: 'required' } },
        tenants: { open: { tcp: { basic: 'optional', anonymous: true } } },
      },
    });
    assert.deepEqual(c.policy('open', 'tcp'), { basic: 'optional', x509: 'off', anonymous: true });
    assert.deepEqual(c.policy('open', 'tls'), { basic: 'off', x509: 'required', anonymous: false });
    assert.deepEqual(c.policy('acme', 'tcp'), { basic: 'required', x509: 'off', anonymous: false });
    assert.deepEqual(c.policy('acme', 'tls'), { basic: 'off', x509: 'required', anonymous: false });
  });

  it('names every problem with its key', () => {
    const problems = invalid({
      extras: 1,
      extensions: { 'bad.name': {}, dcx: { endpointAware: 'yes', other: 1 } },
      applications: { 'demo-v1': { extensions: ['nope'] }, 'x-v1': { extensions: 'dcx' } },
      auth: { default: { tcp: { basic: 'sometimes', x509: 'required' }, udp: {} }, tenants: { 'bad tenant': {}, acme: { ws: { anonymous: 'no' } } } },
    });
    const expected = [
      'test.yaml: unknown key "extras" (known: applications, extensions, auth)',
      'test.yaml: extensions.bad.name: an extension instance name is 1 to 128 of A-Z a-z 0-9 _ -',
      'test.yaml: extensions.dcx: unknown key "other" (known: endpointAware)',
      'test.yaml: extensions.dcx.endpointAware must be true or false',
      'test.yaml: applications.demo-v1.extensions: "nope" is not an extension listed under extensions',
      'test.yaml: applications.x-v1.extensions must be a list of extension instance names',
      'test.yaml: auth.default: unknown key "udp" (known: tcp, tls, ws)',
      'test.yaml: auth.default.tcp: unknown key "x509" (known: basic, anonymous)',
      'test.yaml: auth.default.tcp.basic must be one of required, optional, off',
      'test.yaml: auth.tenants.bad tenant: not a tenant id',
      'test.yaml: auth.tenants.acme.ws.anonymous must be true or false',
    ];
    assert.deepEqual([...problems].sort(), [...expected].sort());
  });

  it('x509Issuers: without it every CA vouches for every tenant; with it only the tenant\'s own', () => {
    const a = 'ab'.repeat(32);
    const b = 'CD:'.repeat(31) + 'CD';
    assert.equal(KpcConfig.defaults().issuerAllowed('acme', ['ff'.repeat(32)]), true);
    const c = KpcConfig.fromObject({ auth: { x509Issuers: { acme: [a.toUpperCase()], globex: [b, a] } } }, 'test.yaml');
    assert.equal(c.issuerAllowed('acme', [a]), true, 'upper-case hex matches');
    assert.equal(c.issuerAllowed('acme', ['00'.repeat(32), a]), true, 'any CA of the chain');
    assert.equal(c.issuerAllowed('acme', ['cd'.repeat(32)]), false, 'another tenant\'s CA');
    assert.equal(c.issuerAllowed('globex', ['cd'.repeat(32)]), true, 'colon form normalised');
    assert.equal(c.issuerAllowed('initech', [a]), false, 'a tenant not listed has no CA');
    assert.equal(c.issuerAllowed('acme', []), false);
    assert.deepEqual(invalid({ auth: { x509Issuers: { acme: [], 'bad tenant': ['x'], globex: 'ab', initech: ['ab'.repeat(31), 7] } } }).sort(), [
      'test.yaml: auth.x509Issuers.acme must be a non-empty list of SHA-256 certificate fingerprints',
      'test.yaml: auth.x509Issuers.bad tenant: "x" is not a SHA-256 fingerprint (64 hex digits, colons allowed)',
      'test.yaml: auth.x509Issuers.bad tenant: not a tenant id',
      'test.yaml: auth.x509Issuers.globex must be a non-empty list of SHA-256 certificate fingerprints',
      `test.yaml: auth.x509Issuers.initech: "${'ab'.repeat(31)}" is not a SHA-256 fingerprint (64 hex digits, colons allowed)`,
      'test.yaml: auth.x509Issuers.initech: 7 is not a SHA-256 fingerprint (64 hex digits, colons allowed)',
    ].sort());
  });

  it('refuses a document that is not a mapping, and a file that is not YAML', () => {
    assert.deepEqual(invalid([1, 2]), ['test.yaml must be a mapping']);
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-kpc-'));
    try {
      const f = join(dir, 'kpc.yaml');
      writeFileSync(f, 'auth: [unclosed\n');
      assert.throws(() => KpcConfig.load(f), (err) => hasCode(err, KpcConfigCodes.INVALID) && /is not valid YAML/.test((err as Error).message));
      assert.throws(() => KpcConfig.load(join(dir, 'missing.yaml')), (err) => hasCode(err, KpcConfigCodes.INVALID) && /cannot read/.test((err as Error).message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applicationOf cuts the last -suffix', () => {
    assert.equal(applicationOf('demo-v1'), 'demo');
    assert.equal(applicationOf('a-b-c'), 'a-b');
    assert.equal(applicationOf('plain'), 'plain');
    assert.equal(applicationOf('-v1'), '-v1');
  });
});

describe('admits', () => {
  const p = (basic: TransportPolicy['basic'], x509: TransportPolicy['x509'], anonymous: boolean): TransportPolicy => ({ basic, x509, anonymous });
  const none = { basic: false, x509: false };
  const basic = { basic: true, x509: false };
  const x509 = { basic: false, x509: true };

  it('requires what is required', () => {
    assert.equal(admits(p('required', 'off', false), basic), true);
    assert.equal(admits(p('required', 'off', true), none), false, 'required beats anonymous');
    assert.equal(admits(p('required', 'optional', false), x509), false);
    assert.equal(admits(p('optional', 'required', false), basic), false);
    assert.equal(admits(p('optional', 'required', false), x509), true);
  });

  it('takes any method in force, and anonymous only when allowed', () => {
    assert.equal(admits(p('optional', 'optional', false), basic), true);
    assert.equal(admits(p('optional', 'optional', false), x509), true);
    assert.equal(admits(p('optional', 'optional', false), none), false);
    assert.equal(admits(p('optional', 'optional', true), none), true);
    assert.equal(admits(p('off', 'optional', false), basic), false, 'a method that is off does not count');
  });
});

describe('KpcConfigWatcher', () => {
  it('reloads a changed file, and keeps the previous configuration when the new one is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-kpc-'));
    try {
      const f = join(dir, 'kpc.yaml');
      writeFileSync(f, 'auth:\n  tenants:\n    open:\n      tcp: { anonymous: true, basic: optional }\n');
      const changes: string[] = [];
      const errors: unknown[] = [];
      const w = new KpcConfigWatcher(f, (next, prev) => changes.push(`${prev.policy('open', 'tcp').anonymous}->${next.policy('open', 'tcp').anonymous}`), (e) => errors.push(e));
      assert.equal(w.current.policy('open', 'tcp').anonymous, true);
      w.check();
      assert.deepEqual(changes, [], 'an unchanged file is not reloaded');

      writeFileSync(f, 'auth:\n  tenants:\n    open:\n      tcp: { anonymous: false }\n');
      utimesSync(f, new Date(), new Date(Date.now() + 5000));
      w.check();
      assert.deepEqual(changes, ['true->false']);
      assert.equal(w.current.policy('open', 'tcp').anonymous, false);

      writeFileSync(f, 'auth:\n  tenants:\n    open:\n      tcp: { anonymous: maybe }\n');
      utimesSync(f, new Date(), new Date(Date.now() + 10_000));
      w.check();
      assert.equal(errors.length, 1);
      assert.ok(hasCode(errors[0], KpcConfigCodes.INVALID));
      assert.equal(w.current.policy('open', 'tcp').anonymous, false, 'the previous configuration stays in force');
      assert.equal(changes.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
