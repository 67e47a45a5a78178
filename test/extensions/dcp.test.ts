/** 2/DCP as a pure function: the exact lines written for each accepted body, the status of each refusal. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dcpLines, type DcpRequest } from '../../actors/extensions/dcp.js';
import { enc } from './helpers.js';

const AT = 1_700_000_000_123;
const req = (over: Partial<DcpRequest> = {}): DcpRequest => ({
  appVersionName: 'app-v1',
  endpointId: 'ep-1',
  resourcePath: '/json',
  payload: enc('[]'),
  ...over,
});
const lines = (r: ReturnType<typeof dcpLines>): string => {
  assert.equal(r.ok, true, JSON.stringify(r));
  return (r as { lines: string }).lines;
};

describe('2/DCP lines', () => {
  it('one line per element of a JSON array, in order, with the exact field layout', () => {
    const r = dcpLines(req({ payload: enc('[{"t":21.5},2,"x",null,[1,{"a":true}]]') }), AT, 1024);
    assert.deepEqual(r, {
      ok: true,
      samples: 5,
      lines:
        '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":{"t":21.5}}\n' +
        '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":2}\n' +
        '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":"x"}\n' +
        '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":null}\n' +
        '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":[1,{"a":true}]}\n',
    });
  });

  it('a single JSON value is one sample; line breaks in the body never reach the file', () => {
    assert.equal(lines(dcpLines(req({ payload: enc(' {"t":1} ') }), AT, 1024)), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":{"t":1}}\n');
    assert.equal(lines(dcpLines(req({ payload: enc('{\n  "t": 1,\r\n  "s": "a\\nb"\n}') }), AT, 1024)), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":{"t":1,"s":"a\\nb"}}\n');
    assert.equal(lines(dcpLines(req({ payload: enc('[\n{"a":1},\n2\n]') }), AT, 1024)).split('\n').length, 3);
  });

  it('a one-sample array keeps the sample as the device wrote it, and a long one is still re-encoded', () => {
    assert.equal(
      lines(dcpLines(req({ payload: enc(' [ {"t": 21.50, "u":"\\u0041"}\t] ') }), AT, 1024)),
      '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":{"t": 21.50, "u":"\\u0041"}}\n',
    );
    const long = `[{"s":"${'x'.repeat(5000)}", "n": 1.0}]`;
    assert.equal(
      lines(dcpLines(req({ payload: enc(long) }), AT, 1024 * 1024)),
      `{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":{"s":"${'x'.repeat(5000)}","n":1}}\n`,
    );
  });

  it('an empty array is a success with nothing to write; a null endpoint id is kept as null', () => {
    assert.deepEqual(dcpLines(req({ payload: enc('[]') }), AT, 1024), { ok: true, lines: '', samples: 0 });
    assert.equal(lines(dcpLines(req({ endpointId: null, payload: enc('3') }), AT, 1024)), '{"endpointId":null,"appVersionName":"app-v1","receivedAt":1700000000123,"sample":3}\n');
  });

  it('/json/<x> is accepted like /json', () => {
    assert.equal(lines(dcpLines(req({ resourcePath: '/json/batch', payload: enc('[7]') }), AT, 1024)), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"sample":7}\n');
  });

  it('/plain/<metric>: numbers as numbers, anything else as the UTF-8 string', () => {
    const plain = (metric: string, body: string) => lines(dcpLines(req({ resourcePath: `/plain/${metric}`, payload: enc(body) }), AT, 1024));
    assert.equal(plain('temperature', '21.5'), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"metric":"temperature","sample":21.5}\n');
    assert.equal(plain('t', ' -4e2\n'), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"metric":"t","sample":-4e2}\n');
    assert.equal(plain('state', 'on\n"x"'), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"metric":"state","sample":"on\\n\\"x\\""}\n');
    assert.equal(plain('big', '1e400'), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"metric":"big","sample":"1e400"}\n');
    assert.equal(plain('hex', '0x10'), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"metric":"hex","sample":"0x10"}\n');
    assert.equal(plain('t\u00e9mp\u00e9rature', '\u00e9t\u00e9'), '{"endpointId":"ep-1","appVersionName":"app-v1","receivedAt":1700000000123,"metric":"t\u00e9mp\u00e9rature","sample":"\u00e9t\u00e9"}\n');
  });

  it('refuses bad JSON, bad UTF-8 and empty bodies with 400 and no lines', () => {
    assert.deepEqual(dcpLines(req({ payload: enc('[1,') }), AT, 1024), { ok: false, statusCode: 400, reason: 'bad_payload', reasonPhrase: 'payload is not valid JSON' });
    assert.deepEqual(dcpLines(req({ payload: enc('{"a":1}\n{"b":2}') }), AT, 1024), { ok: false, statusCode: 400, reason: 'bad_payload', reasonPhrase: 'payload is not valid JSON' });
    assert.deepEqual(dcpLines(req({ payload: new Uint8Array([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]) }), AT, 1024), { ok: false, statusCode: 400, reason: 'bad_payload', reasonPhrase: 'payload is not UTF-8' });
    assert.deepEqual(dcpLines(req({ payload: new Uint8Array(0) }), AT, 1024), { ok: false, statusCode: 400, reason: 'bad_payload', reasonPhrase: 'empty payload: a JSON array of samples expected' });
    assert.deepEqual(dcpLines(req({ resourcePath: '/plain/t', payload: new Uint8Array(0) }), AT, 1024), { ok: false, statusCode: 400, reason: 'bad_payload', reasonPhrase: 'empty payload: a number or a string expected' });
  });

  it('refuses a sample nested too deeply to write with 400, not a crash', () => {
    const depth = 200_000;
    const r = dcpLines(req({ payload: enc(`${'['.repeat(depth)}${']'.repeat(depth)}`) }), AT, 1024 * 1024);
    assert.equal(r.ok, false);
    assert.equal((r as { statusCode: number }).statusCode, 400);
  });

  it('refuses unknown resource paths with 400', () => {
    for (const resourcePath of ['/', '', '/jsonx', '/json/', '/json/a/b', '/plain', '/plain/', '/plain/a/b', '/update', 'json', '/plain/a+b', '/plain/#']) {
      const r = dcpLines(req({ resourcePath }), AT, 1024);
      assert.equal(r.ok, false, resourcePath);
      assert.equal((r as { statusCode: number }).statusCode, 400, resourcePath);
      assert.equal((r as { reason: string }).reason, 'unknown_path', resourcePath);
      assert.match((r as { reasonPhrase: string }).reasonPhrase, /^unknown resource path/);
    }
  });

  it('refuses a payload over the bound with 413, at the bound accepts it', () => {
    const body = `[${'1,'.repeat(49)}1]`; // 101 bytes
    assert.deepEqual(dcpLines(req({ payload: enc(body) }), AT, 100), { ok: false, statusCode: 413, reason: 'too_large', reasonPhrase: 'payload of 101 bytes is over the 100-byte bound' });
    assert.equal((dcpLines(req({ payload: enc(body) }), AT, 101) as { samples: number }).samples, 50);
  });

  it('refuses application version names that could leave the data directory', () => {
    for (const appVersionName of ['..', '../etc', 'a/b', 'a\\b', '.hidden', 'app.v1', '', 'a'.repeat(129), 'app v1', 'app\u0000', '%2e%2e']) {
      assert.deepEqual(dcpLines(req({ appVersionName }), AT, 1024), {
        ok: false,
        statusCode: 400,
        reason: 'bad_app_version',
        reasonPhrase: 'appVersionName must be 1 to 128 characters of A-Z a-z 0-9 _ -',
      });
    }
    assert.equal(dcpLines(req({ appVersionName: 'bspu542ikfmmfgrk47s0-v1' }), AT, 1024).ok, true);
  });
});
