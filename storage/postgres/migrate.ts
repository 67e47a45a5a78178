/**
 * Applies pending Postgres-dialect migrations in ONE transaction holding a transaction-scoped
 * advisory lock. Postgres DDL is transactional, so a crash leaves either all or none of a run;
 * a second process starting at the same time blocks on the lock, then finds the migrations
 * recorded and applies nothing.
 */
import { systemClock, type Clock } from '../../runtime/clock.js';
import { logger } from '../../runtime/log.js';
import type { Migration } from '../migration.js';
import { PG_MIGRATIONS } from './migrations.js';
import type { SqlExecutor } from '../sql/executor.js';
import { int } from '../rows.js';

/** Arbitrary but fixed: every fleetgate process must take the same advisory lock. */
const MIGRATION_LOCK_KEY = 0x666c_6774; // "flgt"

export async function migratePg(
  db: SqlExecutor,
  backend: string,
  migrations: readonly Migration[] = PG_MIGRATIONS,
  clock: Clock = systemClock,
): Promise<number[]> {
  const log = logger('storage.migrate', { backend });
  const applied = await db.transaction(async (tx) => {
    await tx.rows('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS fleetgate_migrations (
      id         INTEGER      NOT NULL PRIMARY KEY,
      name       VARCHAR(200) NOT NULL,
      applied_at BIGINT       NOT NULL
    )`);
    const rows = await tx.rows('SELECT id FROM fleetgate_migrations');
    const done = new Set(rows.map((r) => int(r, 'id')));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      for (const statement of m.statements) await tx.exec(statement);
      await tx.exec('INSERT INTO fleetgate_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
        m.id,
        m.name,
        clock.now(),
      ]);
      applied.push(m.id);
    }
    return applied;
  });
  // Logged after COMMIT, so the line never claims a migration that was rolled back.
  if (applied.length > 0) log.info({ applied }, 'storage migrations applied');
  return applied;
}
