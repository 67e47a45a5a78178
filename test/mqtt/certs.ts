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

/** A scratch directory with the openssl command line in it, removed after `build` returns. */
interface Workshop {
  /** The path of a file in the directory. */
  f(name: string): string;
  ssl(...args: string[]): void;
  /** openssl arguments for a new P-256 key, unencrypted. */
  readonly key: readonly string[];
}

function inWorkshop<T>(prefix: string, build: (w: Workshop) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return build({
      f: (name) => join(dir, name),
      ssl: (...args) => {
        execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      },
      key: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function makePki(): TestPki {
  return inWorkshop('fleetgate-mqtt-pki-', ({ f, ssl, key }) => {
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
  });
}

/** Two tenants' CAs in one bundle, and client certificates that name a tenant in O. */
export interface TenantPki {
  serverCert: Buffer;
  serverKey: Buffer;
  /** CA A then CA B, the bundle the TLS listener trusts. */
  bundle: Buffer;
  caA: Buffer;
  caB: Buffer;
  /** O=acme from CA A (acme's own), O=acme from CA B (the other tenant's CA), O=globex from CA B. */
  acmeByA: { cert: Buffer; key: Buffer };
  acmeByB: { cert: Buffer; key: Buffer };
  globexByB: { cert: Buffer; key: Buffer };
  /**
   * O=acme from CA B, sent with a decoy: a certificate named like CA B, carrying CA B's key,
   * whose issuer name is acme's CA but which acme's CA never signed. OpenSSL verifies the real
   * path (to CA B); a walk by names alone goes decoy -> CA A.
   */
  acmeByBWithDecoy: { cert: Buffer; key: Buffer };
}

export function makeTenantPki(): TenantPki {
  return inWorkshop('fleetgate-tenant-pki-', ({ f, ssl, key }) => {
    ssl('req', '-x509', ...key, '-keyout', f('ca-a.key'), '-out', f('ca-a.crt'), '-days', '1', '-subj', '/CN=acme CA');
    ssl('req', '-x509', ...key, '-keyout', f('ca-b.key'), '-out', f('ca-b.crt'), '-days', '1', '-subj', '/CN=globex CA');
    let serial = Date.now();
    const issue = (name: string, subj: string, ca: string, ext: string): void => {
      writeFileSync(f(`${name}.ext`), ext);
      ssl('req', ...key, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subj);
      ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-set_serial', String(serial++), '-days', '1', '-out', f(`${name}.crt`), '-extfile', f(`${name}.ext`));
    };
    issue('server', '/CN=localhost', 'ca-a', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    issue('acme-a', '/CN=device-1/O=acme', 'ca-a', 'extendedKeyUsage=clientAuth\n');
    issue('acme-b', '/CN=device-1/O=acme', 'ca-b', 'extendedKeyUsage=clientAuth\n');
    issue('globex-b', '/CN=device-2/O=globex', 'ca-b', 'extendedKeyUsage=clientAuth\n');
    // The decoy: CA B's key under a self-made "acme CA" name signs a certificate named "globex CA".
    ssl('req', '-x509', '-key', f('ca-b.key'), '-out', f('fake-a.crt'), '-days', '1', '-subj', '/CN=acme CA');
    writeFileSync(f('decoy.ext'), 'basicConstraints=critical,CA:TRUE\nsubjectKeyIdentifier=hash\n');
    ssl('req', '-new', '-key', f('ca-b.key'), '-out', f('decoy.csr'), '-subj', '/CN=globex CA');
    ssl('x509', '-req', '-in', f('decoy.csr'), '-CA', f('fake-a.crt'), '-CAkey', f('ca-b.key'), '-set_serial', String(serial++), '-days', '1', '-out', f('decoy.crt'), '-extfile', f('decoy.ext'));
    const r = (name: string): Buffer => readFileSync(f(name));
    const pair = (name: string) => ({ cert: r(`${name}.crt`), key: r(`${name}.key`) });
    return {
      serverCert: r('server.crt'),
      serverKey: r('server.key'),
      bundle: Buffer.concat([r('ca-a.crt'), r('ca-b.crt')]),
      caA: r('ca-a.crt'),
      caB: r('ca-b.crt'),
      acmeByA: pair('acme-a'),
      acmeByB: pair('acme-b'),
      globexByB: pair('globex-b'),
      acmeByBWithDecoy: { cert: Buffer.concat([r('acme-b.crt'), r('decoy.crt')]), key: r('acme-b.key') },
    };
  });
}
