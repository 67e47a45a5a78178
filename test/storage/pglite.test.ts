/** The storage contract on PGlite (embedded, no server): a fresh data directory per run. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { openBackend } from '../../storage/index.js';
import { runStorageContract } from './contract.js';

const dir = await mkdtemp(join(tmpdir(), 'fleetgate-pglite-'));

describe('pglite backend', () => {
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  runStorageContract('pglite', () => openBackend({ kind: 'pglite', dataDir: join(dir, 'data') }));
});
