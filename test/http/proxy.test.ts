/** X-Forwarded-* believed from trusted proxies only; peer addresses as text. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addressText } from '../../transports/http/address.js';
import { forwardedInfo, forwardedWith, fromTrustedProxy, json, ProxyTrust, type HttpServer, type Route } from '../../transports/http/index.js';
import { getJson, serve } from './helpers.js';

const routes: Route[] = [
  {
    method: 'GET',
    path: '/whoami',
    operationId: 'whoami',
    summary: 'forwardedInfo of this request',
    responses: { 200: { description: 'info' } },
    handler: async (req) => json(200, { ...forwardedInfo(req), remoteAddress: req.remoteAddress, trusted: fromTrustedProxy(req) }),
  },
];

const SPOOFED = {
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-for': '6.6.6.6',
};

describe('forwardedInfo through a real server', () => {
  let trusting: HttpServer;
  let other: HttpServer;
  before(async () => {
    trusting = await serve({ routes, trustedProxies: ['10.0.0.0/8', '127.0.0.1', '::1'] });
    other = await serve({ routes, trustedProxies: ['10.0.0.0/8', 'fd00::/8'] });
  });
  after(async () => {
    await trusting.close();
    await other.close();
  });

  it('ignores X-Forwarded-* from an untrusted peer', async () => {
    const r = await getJson(`http://127.0.0.1:${other.port}/whoami`, { headers: SPOOFED });
    assert.deepEqual(r.body, { proto: 'http', host: `127.0.0.1:${other.port}`, for: '127.0.0.1', remoteAddress: '127.0.0.1', trusted: false });
  });

  it('believes them from a trusted proxy', async () => {
    const r = await getJson(`http://127.0.0.1:${trusting.port}/whoami`, {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com', 'x-forwarded-for': '203.0.113.7, 10.1.2.3' },
    });
    assert.deepEqual(r.body, { proto: 'https', host: 'api.example.com', for: '203.0.113.7', remoteAddress: '127.0.0.1', trusted: true });
  });
});

describe('forwardedWith', () => {
  const trust = new ProxyTrust(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1']);
  const from = (remoteAddress: string, headers: Record<string, string>): ReturnType<typeof forwardedWith> =>
    forwardedWith(trust, { remoteAddress, headers: { host: 'fleetgate.local:8080', ...headers } });

  it('walks X-Forwarded-For from the right, stopping at the first untrusted hop', () => {
    // The client wrote "1.1.1.1" itself; 198.51.100.9 is what our first proxy saw.
    assert.equal(from('10.0.0.1', { 'x-forwarded-for': '1.1.1.1, 198.51.100.9, 10.9.9.9' }).for, '198.51.100.9');
    assert.equal(from('10.0.0.1', { 'x-forwarded-for': '10.2.2.2,10.3.3.3' }).for, '10.2.2.2', 'all trusted: the leftmost');
    assert.equal(from('10.0.0.1', { 'x-forwarded-for': '198.51.100.9:4711' }).for, '198.51.100.9', 'a port is dropped');
    assert.equal(from('10.0.0.1', { 'x-forwarded-for': '[2001:db9::5]:443' }).for, '2001:db9::5');
    assert.equal(from('10.0.0.1', { 'x-forwarded-for': '::ffff:198.51.100.9' }).for, '::ffff:198.51.100.9');
    assert.equal(from('10.0.0.1', { 'x-forwarded-for': 'garbage, 10.3.3.3' }).for, '10.3.3.3', 'junk stops the walk');
    assert.equal(from('10.0.0.1', {}).for, '10.0.0.1');
    assert.equal(from('2001:db8::1', { 'x-forwarded-for': '2001:db8::2, 192.0.2.1' }).for, '2001:db8::2');
  });

  it('takes the first proto and host, and refuses what is not a host', () => {
    assert.deepEqual(from('10.0.0.1', { 'x-forwarded-proto': 'HTTPS, http', 'x-forwarded-host': 'a.example:8443, b' }), {
      proto: 'https',
      host: 'a.example:8443',
      for: '10.0.0.1',
    });
    assert.equal(from('10.0.0.1', { 'x-forwarded-proto': 'gopher' }).proto, 'http');
    assert.equal(from('10.0.0.1', { 'x-forwarded-host': 'evil.example/path@x' }).host, 'fleetgate.local:8080');
    assert.equal(from('10.0.0.1', { 'x-forwarded-host': '[2001:db8::1]:443' }).host, '[2001:db8::1]:443');
    assert.equal(forwardedWith(trust, { remoteAddress: '8.8.8.8', headers: { host: 'a b' } }).host, '');
  });

  it('trusts nobody for a request no server made', () => {
    const req = { headers: { host: 'h', ...SPOOFED }, remoteAddress: '10.0.0.1' } as unknown as Parameters<typeof forwardedInfo>[0];
    assert.deepEqual(forwardedInfo(req), { proto: 'http', host: 'h', for: '10.0.0.1' });
    assert.equal(fromTrustedProxy(req), false);
  });
});

describe('addressText', () => {
  const buf = (bytes: number[]): ArrayBuffer => new Uint8Array(bytes).buffer;
  it('prints IPv4, IPv4-mapped IPv6 and RFC 5952 IPv6', () => {
    assert.equal(addressText(buf([127, 0, 0, 1])), '127.0.0.1');
    assert.equal(addressText(buf([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3])), '10.1.2.3');
    assert.equal(addressText(buf([...Array(15).fill(0), 1])), '::1');
    assert.equal(addressText(buf(Array(16).fill(0))), '::');
    assert.equal(addressText(buf([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])), '2001:db8::1:0:0:1');
    assert.equal(addressText(buf([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])), '2001:db8:0:1:1:1:1:1', 'one zero word stays');
    assert.equal(addressText(buf([0xfe, 0x80, ...Array(14).fill(0)])), 'fe80::');
  });
});
