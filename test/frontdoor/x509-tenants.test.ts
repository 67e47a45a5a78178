/**
 * X.509 client certificates identified by their subject (kpc.x509.identity: subject) when the
 * TLS listener trusts the CAs of two tenants in one bundle: with auth.x509Issuers, a
 * certificate counts for a tenant only when its chain runs through that tenant's own CA, so
 * globex's CA cannot make a certificate that speaks for acme; without it, any CA of the bundle
 * may. Real TLS, real MQTT.js clients; a reload that takes a CA away ends its sessions.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { makeTenantPki, type TenantPki } from '../mqtt/certs.js';
import { closed, connectMqtt, serverDisconnect } from './kpc-harness.js';

const fingerprint = (pem: Buffer): string => new X509Certificate(pem).fingerprint256;

/** TLS takes the certificate alone: basic auth off, so only the certificate can admit. */
function policy(issuers: Record<string, string[]> | undefined): string {
  const lines = ['auth:', '  default:', '    tls: { basic: off, x509: required }'];
  if (issuers !== undefined) {
    lines.push('  x509Issuers:');
    for (const [tenant, list] of Object.entries(issuers)) lines.push(`    ${tenant}: [${list.map((f) => JSON.stringify(f)).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

describe('X.509 by subject, two tenants\' CAs in one bundle', () => {
  let pki: TenantPki;
  let dir: string;
  let policyFile: string;
  let tp: TestPlatform;
  let url: string;
  let n = 0;
  const id = (s: string): string => `x509-${s}-${n++}`;

  before(async () => {
    pki = makeTenantPki();
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-x509-tenants-'));
    const file = (name: string, data: Buffer | string): string => {
      const f = join(dir, name);
      writeFileSync(f, data);
      return f;
    };
    policyFile = file('kpc.yaml', policy({ acme: [fingerprint(pki.caA)], globex: [fingerprint(pki.caB).replace(/:/g, '').toLowerCase()] }));
    tp = await startTestPlatform({
      'mqtt.tcp.port': 0,
      'mqtt.tls.port': 0,
      'mqtt.tls.certFile': file('server.crt', pki.serverCert),
      'mqtt.tls.keyFile': file('server.key', pki.serverKey),
      'mqtt.tls.caFile': file('bundle.crt', pki.bundle),
      'kpc.x509.identity': 'subject',
      'kpc.configFile': policyFile,
    });
    url = `mqtts://127.0.0.1:${tp.platform.mqttsPort}`;
  });
  after(async () => {
    await tp?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const tls = (c: { cert: Buffer; key: Buffer }) => ({ ca: pki.caA, cert: c.cert, key: c.key });

  it('admits a certificate from the tenant\'s own CA (MQTT 3.1.1 and 5.0)', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const c = await connectMqtt(url, { ...tls(pki.acmeByA), protocolVersion, clientId: id('acme-a') });
      assert.equal(c.connected, true);
      await c.endAsync();
    }
    const g = await connectMqtt(url, { ...tls(pki.globexByB), protocolVersion: 5, clientId: id('globex-b') });
    assert.equal(g.connected, true, 'globex\'s CA vouches for globex');
    await g.endAsync();
  });

  /** CONNECTs refused for the certificate's CA, as the front door counts them. */
  const issuerRefusals = async (): Promise<number> => {
    const text = await fetch(`http://127.0.0.1:${tp.platform.management.port}/metrics`).then((r) => r.text());
    // One series per shard: the refusals of every shard together.
    let sum = 0;
    for (const m of text.matchAll(/^fleetgate_kpc_connects_total\{result="certificate-issuer",shard="\d+"\} (\d+)$/gm)) sum += Number(m[1]);
    return sum;
  };

  it('refuses a certificate for acme made by globex\'s CA: 3.1.1 return code 5, MQTT 5 0x87', async () => {
    const before = await issuerRefusals();
    await assert.rejects(
      connectMqtt(url, { ...tls(pki.acmeByB), protocolVersion: 4, clientId: id('forged4') }),
      (err: Error & { code?: number }) => err.code === 5,
    );
    await assert.rejects(
      connectMqtt(url, { ...tls(pki.acmeByB), protocolVersion: 5, clientId: id('forged5') }),
      (err: Error & { code?: number }) => err.code === 0x87,
    );
    assert.equal(await issuerRefusals(), before + 2, 'refused for the CA, not for another reason');
  });

  it('refuses the other tenant\'s CA even when the client sends a decoy certificate named to lead to acme\'s CA', async () => {
    const before = await issuerRefusals();
    await assert.rejects(
      connectMqtt(url, { ...tls(pki.acmeByBWithDecoy), protocolVersion: 5, clientId: id('decoy5') }),
      (err: Error & { code?: number }) => err.code === 0x87,
    );
    assert.equal(await issuerRefusals(), before + 1, 'refused for the CA, not for another reason');
  });

  it('a reload that takes a tenant\'s CA away ends its certificate sessions; without the map any CA of the bundle vouches', async () => {
    const acme = await connectMqtt(url, { ...tls(pki.acmeByA), protocolVersion: 5, clientId: id('acme-stays') });
    const globex4 = await connectMqtt(url, { ...tls(pki.globexByB), protocolVersion: 4, clientId: id('globex-ends4') });
    const globex5 = await connectMqtt(url, { ...tls(pki.globexByB), protocolVersion: 5, clientId: id('globex-ends5') });
    const ended5 = serverDisconnect(globex5, 15_000);
    const ended4 = closed(globex4, 15_000);
    writeFileSync(policyFile, policy({ acme: [fingerprint(pki.caA)] }));
    assert.equal((await ended5).reasonCode, 0x87);
    await ended4;
    assert.equal(acme.connected, true, 'acme\'s session, still vouched for by its CA, stays');
    await acme.endAsync();

    // No map at all: the bundle is one trust for every tenant (one tenant, or a shared CA).
    writeFileSync(policyFile, policy(undefined));
    let admitted = false;
    // Every shard re-reads the file on its own poll (1 s): retried, not assumed at once.
    for (let attempt = 0; attempt < 30 && !admitted; attempt++) {
      try {
        const c = await connectMqtt(url, { ...tls(pki.acmeByB), protocolVersion: 5, clientId: id('unbound') });
        admitted = c.connected;
        await c.endAsync();
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.equal(admitted, true);
  });
});
