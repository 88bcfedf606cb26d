import { DataSource, MigrationExecutor } from 'typeorm';
import { ENTITIES } from './entities';
import { withDatabaseErrors } from './errors';
import { MIGRATIONS } from './migrations';

export interface DataSourceOptions {
  /** postgres://user:pass@host:port/db */
  url: string;
  /** Maximum connections in the pool (default 10). */
  poolSize?: number;
  /** Shown in pg_stat_activity; use the app name. */
  applicationName?: string;
  /** How long to wait for a connection before failing (default 5000 ms). */
  connectTimeoutMs?: number;
}

export const MIGRATIONS_TABLE = 'schema_migrations';

/** Key of the session-level advisory lock that serialises migrations across processes (an arbitrary constant). */
export const MIGRATION_LOCK_KEY = '3691717177845725440';

/**
 * A DataSource over this lib's entities and committed migrations. Not yet
 * initialised: call `await ds.initialize()` (or use `openDataSource`).
 * The schema is never synchronised from the entities.
 */
export function createDataSource(opts: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    poolSize: opts.poolSize ?? 10,
    applicationName: opts.applicationName ?? 'framewire',
    connectTimeoutMS: opts.connectTimeoutMs ?? 5000,
    entities: [...ENTITIES],
    migrations: [...MIGRATIONS],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  });
}

/** createDataSource + initialize; an unreachable server fails with DATABASE_UNAVAILABLE. */
export async function openDataSource(opts: DataSourceOptions): Promise<DataSource> {
  const ds = createDataSource(opts);
  await withDatabaseErrors(() => ds.initialize());
  return ds;
}

/**
 * Runs pending migrations in one transaction while holding a Postgres advisory
 * lock, so several apps starting at once apply them exactly once: the others
 * wait for the lock, then find nothing pending. Returns the names applied.
 *
 * This is `ds.runMigrations({ transaction: 'all' })` run on the connection that
 * holds the lock (the same MigrationExecutor it uses), so it also works with a
 * pool of one and the lock dies with the session if the process does.
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  return withDatabaseErrors(async () => {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      try {
        const executor = new MigrationExecutor(ds, runner);
        executor.transaction = 'all';
        const applied = await executor.executePendingMigrations();
        return applied.map((m) => m.name);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  });
}
