/**
 * Throwaway X.509 material for the TLS tests, made with the openssl command line: a CA, a
 * server certificate for 127.0.0.1, a client certificate from that CA, and a client
 * certificate from a CA the server does not trust.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../harness/servers.js';

export interface TestPki {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  rogueCert: Buffer;
  rogueKey: Buffer;
}

export function opensslMissing(): boolean {
  return findExecutable('openssl') === null;
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgate-mqtt-pki-'));
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    ssl('req', '-x509', ...key, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=fleetgate test CA');
    ssl('req', '-x509', ...key, '-keyout', f('rogue-ca.key'), '-out', f('rogue-ca.crt'), '-days', '1', '-subj', '/CN=rogue CA');
    const issue = (name: string, cn: string, ca: string, ext: string): void => {
      writeFileSync(f(`${name}.ext`), ext);
      ssl('req', ...key, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}/O=fleetgate`);
      ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-set_serial', String(Date.now()), '-days', '1', '-out', f(`${name}.crt`), '-extfile', f(`${name}.ext`));
    };
    issue('server', 'localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    issue('client', 'device-42', 'ca', 'extendedKeyUsage=clientAuth\n');
    issue('rogue', 'device-42', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
    const r = (name: string): Buffer => readFileSync(f(name));
    return {
      ca: r('ca.crt'),
      serverCert: r('server.crt'),
      serverKey: r('server.key'),
      clientCert: r('client.crt'),
      clientKey: r('client.key'),
      rogueCert: r('rogue.crt'),
      rogueKey: r('rogue.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
