import type { DataSource, QueryResult, QueryRunner } from 'typeorm';
import { withDatabaseErrors } from './errors';

/**
 * The repositories speak SQL through TypeORM's query runners: every hot path
 * needs ON CONFLICT, row locks, keyset predicates or unnest(), which the query
 * builders express poorly. This wrapper asks for TypeORM's structured result,
 * because the plain `query()` changes shape by command (UPDATE returns
 * `[rows, count]`, INSERT returns rows).
 */
export type Row = Record<string, unknown>;

export interface Sql {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<{ rows: T[]; rowCount: number }>;
}

function sqlOver(runner: QueryRunner): Sql {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []) {
      const result = (await runner.query(text, [...params], true)) as QueryResult<T>;
      return { rows: result.records ?? [], rowCount: result.affected ?? 0 };
    },
  };
}

/** Runs `fn` on one pooled connection, outside a transaction. */
export function withConnection<T>(ds: DataSource, fn: (sql: Sql) => Promise<T>): Promise<T> {
  return withDatabaseErrors(async () => {
    const runner = ds.createQueryRunner();
    try {
      return await fn(sqlOver(runner));
    } finally {
      await runner.release();
    }
  });
}

/** Runs `fn` in one READ COMMITTED transaction; commits if it resolves, rolls back if it throws. */
export function inTransaction<T>(ds: DataSource, fn: (sql: Sql) => Promise<T>): Promise<T> {
  return withDatabaseErrors(async () => {
    const runner = ds.createQueryRunner();
    try {
      await runner.startTransaction('READ COMMITTED');
      let result: T;
      try {
        result = await fn(sqlOver(runner));
      } catch (err) {
        // A lost connection makes the rollback fail too; the first error is the one that matters.
        await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
      await runner.commitTransaction();
      return result;
    } finally {
      await runner.release();
    }
  });
}
