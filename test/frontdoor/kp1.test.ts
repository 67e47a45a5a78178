/**
 * The 1/KP topic grammar without sockets: what a topic names (application version, extension,
 * token, resource path, request id), the refusals by kind, the answer and push topics, and which
 * subscriptions a client may make and what they match.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorPayload, isResponseFilter, matchesFilter, parseKp1, pushTopic, responseTopic } from '../../actors/frontdoor/kp1.js';

const aware = (ext: string): boolean => ext === 'dcx' || ext === 'echo';

describe('parseKp1', () => {
  it('reads an endpoint-aware request with a path and a request id', () => {
    assert.deepEqual(parseKp1('kp1/demo-v1/dcx/tok-1/json/42', aware), {
      ok: true,
      request: { appVersion: 'demo-v1', extension: 'dcx', token: 'tok-1', resourcePath: '/json', requestId: 42 },
    });
  });

  it('reads a request without a request id, and one without a path', () => {
    assert.deepEqual(parseKp1('kp1/demo-v1/dcx/tok-1/json', aware), {
      ok: true,
      request: { appVersion: 'demo-v1', extension: 'dcx', token: 'tok-1', resourcePath: '/json', requestId: null },
    });
    assert.deepEqual(parseKp1('kp1/demo-v1/echo/tok-1', aware), {
      ok: true,
      request: { appVersion: 'demo-v1', extension: 'echo', token: 'tok-1', resourcePath: '', requestId: null },
    });
    assert.deepEqual(parseKp1('kp1/demo-v1/echo/tok-1/7', aware), {
      ok: true,
      request: { appVersion: 'demo-v1', extension: 'echo', token: 'tok-1', resourcePath: '', requestId: 7 },
    });
  });

  it('has no token level for an endpoint-unaware extension', () => {
    assert.deepEqual(parseKp1('kp1/demo-v1/cmx/a/b/9', aware), {
      ok: true,
      request: { appVersion: 'demo-v1', extension: 'cmx', token: undefined, resourcePath: '/a/b', requestId: 9 },
    });
    assert.deepEqual(parseKp1('kp1/demo-v1/cmx', aware), {
      ok: true,
      request: { appVersion: 'demo-v1', extension: 'cmx', token: undefined, resourcePath: '', requestId: null },
    });
  });

  it('takes a last level with a leading zero, or zero, as part of the path', () => {
    const a = parseKp1('kp1/demo-v1/dcx/tok/json/007', aware);
    assert.ok(a.ok);
    assert.equal(a.request.requestId, null);
    assert.equal(a.request.resourcePath, '/json/007');
    const b = parseKp1('kp1/demo-v1/dcx/tok/json/0', aware);
    assert.ok(b.ok);
    assert.equal(b.request.requestId, null);
    assert.equal(b.request.resourcePath, '/json/0');
  });

  it('accepts the largest int32 request id and refuses one beyond', () => {
    const a = parseKp1('kp1/demo-v1/dcx/tok/json/2147483647', aware);
    assert.ok(a.ok);
    assert.equal(a.request.requestId, 2147483647);
    const b = parseKp1('kp1/demo-v1/dcx/tok/json/2147483648', aware);
    assert.equal(b.ok, false);
    assert.equal(!b.ok && b.problem, 'bad-request-id');
    const c = parseKp1('kp1/demo-v1/dcx/tok/json/99999999999999999999999', aware);
    assert.equal(!c.ok && c.problem, 'bad-request-id');
  });

  it('refuses topics outside kp1/ and too short', () => {
    for (const t of ['kp2/demo-v1/dcx/tok', 'kp1/demo-v1', 'kp1', 'foo/bar', '', '/kp1/demo-v1/dcx/tok']) {
      const r = parseKp1(t, aware);
      assert.equal(r.ok, false, t);
      assert.equal(!r.ok && r.problem, 'not-kp1', t);
    }
  });

  it('refuses unusable application version and extension names', () => {
    for (const t of ['kp1/demo.v1/dcx/tok', 'kp1//dcx/tok', 'kp1/demo-v1/d.x/tok', 'kp1/demo-v1/+/tok', `kp1/${'a'.repeat(129)}/dcx/tok`]) {
      const r = parseKp1(t, aware);
      assert.equal(!r.ok && r.problem, 'bad-name', t);
    }
  });

  it('refuses an endpoint-aware request without a usable token', () => {
    for (const t of ['kp1/demo-v1/dcx', 'kp1/demo-v1/dcx/', 'kp1/demo-v1/dcx/to.k/json', 'kp1/demo-v1/dcx/to k/json', 'kp1/demo-v1/dcx/+/json', `kp1/demo-v1/dcx/${'t'.repeat(513)}`]) {
      const r = parseKp1(t, aware);
      assert.equal(!r.ok && r.problem, 'no-token', t);
      assert.match(!r.ok ? r.detail : '', /endpoint-aware/);
    }
    const longest = parseKp1(`kp1/demo-v1/dcx/${'t'.repeat(512)}`, aware);
    assert.equal(longest.ok, true);
  });
});

describe('answer topics', () => {
  it('puts /status or /error after the request topic', () => {
    assert.equal(responseTopic('kp1/demo-v1/dcx/tok/json/3', false), 'kp1/demo-v1/dcx/tok/json/3/status');
    assert.equal(responseTopic('kp1/demo-v1/dcx/tok/json/3', true), 'kp1/demo-v1/dcx/tok/json/3/error');
  });

  it('sends a push to the resource topic plus /status', () => {
    assert.equal(pushTopic('demo-v1', 'cmx', 'tok', '/command/reboot'), 'kp1/demo-v1/cmx/tok/command/reboot/status');
    assert.equal(pushTopic('demo-v1', 'cmx', undefined, '/config'), 'kp1/demo-v1/cmx/config/status');
    assert.equal(pushTopic('demo-v1', 'cmx', 'tok', ''), 'kp1/demo-v1/cmx/tok/status');
  });

  it('writes the 1/KP error payload', () => {
    assert.deepEqual(JSON.parse(errorPayload(404, 'unknown extension x')), { statusCode: 404, reasonPhrase: 'unknown extension x' });
    assert.equal(errorPayload(401, 'a "quoted" word'), '{"statusCode":401,"reasonPhrase":"a \\"quoted\\" word"}');
  });
});

describe('subscriptions', () => {
  it('admits response topics under kp1/ only', () => {
    for (const f of ['kp1/demo-v1/dcx/tok/json/#', 'kp1/demo-v1/dcx/tok/json/1/status', 'kp1/demo-v1/dcx/tok/json/1/error', 'kp1/+/dcx/+/json/+', 'kp1/#']) {
      assert.equal(isResponseFilter(f), true, f);
    }
    for (const f of ['#', '+/demo-v1/#', 'kp2/demo-v1/dcx/#', 'kp1/demo-v1/dcx/tok/json', 'kp1/demo-v1/dcx/tok/json/1', '$SYS/#', 'kp1']) {
      assert.equal(isResponseFilter(f), false, f);
    }
  });

  it('matches + and # as MQTT does', () => {
    assert.equal(matchesFilter('kp1/a/b/#', 'kp1/a/b/c/status'), true);
    assert.equal(matchesFilter('kp1/a/b/#', 'kp1/a/b'), true, '# includes the parent level');
    assert.equal(matchesFilter('kp1/+/b/+/status', 'kp1/a/b/t/status'), true);
    assert.equal(matchesFilter('kp1/+/b/+/status', 'kp1/a/b/t/x/status'), false);
    assert.equal(matchesFilter('kp1/a/b/c/status', 'kp1/a/b/c/status'), true);
    assert.equal(matchesFilter('kp1/a/b/c/status', 'kp1/a/b/c/error'), false);
    assert.equal(matchesFilter('kp1/a/+', 'kp1/a'), false);
    assert.equal(matchesFilter('kp1/a/+', 'kp1/a/b/c'), false);
  });
});
