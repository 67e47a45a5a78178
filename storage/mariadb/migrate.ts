/**
 * Applies pending MariaDB migrations under a named server lock (GET_LOCK), held on one
 * connection for the whole run: a second process starting at the same time waits, then finds
 * the migrations recorded. The lock name carries the database name, so two databases on one
 * server do not wait on each other.
 */
import { systemClock, type Clock } from '../../runtime/clock.js';
import { logger } from '../../runtime/log.js';
import { unavailable } from '../errors.js';
import type { Migration } from '../migration.js';
import { int } from '../rows.js';
import { MARIADB_MIGRATIONS } from './migrations.js';
import type { MariaExecutor } from './sql.js';

const LOCK_TIMEOUT_S = 60;

export async function migrateMaria(
  db: MariaExecutor,
  migrations: readonly Migration[] = MARIADB_MIGRATIONS,
  clock: Clock = systemClock,
): Promise<number[]> {
  const log = logger('storage.migrate', { backend: 'mariadb' });
  const applied = await db.session(async (conn) => {
    const lockName = "CONCAT('fleetgate_migrations.', DATABASE())";
    const [lock] = await conn.rows(`SELECT GET_LOCK(${lockName}, ?) AS got`, [LOCK_TIMEOUT_S]);
    // 1: acquired; 0: timed out; NULL: error.
    if (lock === undefined || lock['got'] === null || int(lock, 'got') !== 1) {
      throw unavailable(new Error(`migration lock not acquired within ${LOCK_TIMEOUT_S} s`));
    }
    try {
      await conn.exec(`CREATE TABLE IF NOT EXISTS fleetgate_migrations (
        id         INT          NOT NULL PRIMARY KEY,
        name       VARCHAR(200) NOT NULL,
        applied_at BIGINT       NOT NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
      const done = new Set((await conn.rows('SELECT id FROM fleetgate_migrations')).map((r) => int(r, 'id')));
      const ids: number[] = [];
      for (const m of migrations) {
        if (done.has(m.id)) continue;
        for (const statement of m.statements) await conn.exec(statement);
        await conn.exec('INSERT INTO fleetgate_migrations (id, name, applied_at) VALUES (?, ?, ?)', [m.id, m.name, clock.now()]);
        ids.push(m.id);
      }
      return ids;
    } finally {
      await conn.rows(`SELECT RELEASE_LOCK(${lockName}) AS released`).catch(() => undefined);
    }
  });
  if (applied.length > 0) log.info({ applied }, 'storage migrations applied');
  return applied;
}
