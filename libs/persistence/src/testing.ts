import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from './data-source';

/** Server used by tests: FW_TEST_DATABASE_URL, else the local default. Its database is only used to create others. */
export const TEST_SERVER_URL = process.env.FW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** URL of the new database. */
  url: string;
  /** Initialised, migrated. */
  dataSource: DataSource;
  /** Closes the DataSource and drops the database (idempotent). */
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `fw_test_<random>` on the test server, migrates it and returns it open. */
export async function createTestDatabase(opts: { serverUrl?: string; poolSize?: number; migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = opts.serverUrl ?? TEST_SERVER_URL;
  const name = `fw_test_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(serverUrl, name);
  const dataSource = createDataSource({ url, poolSize: opts.poolSize ?? 10, applicationName: name });
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  try {
    await dataSource.initialize();
    if (opts.migrate !== false) await runMigrations(dataSource);
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { url, dataSource, drop };
}
