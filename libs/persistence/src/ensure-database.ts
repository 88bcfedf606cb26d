import { Client } from 'pg';
import { withDatabaseErrors } from './errors';

/**
 * Create the database named in `url` if it does not exist yet, so a fresh
 * machine needs no manual step. Safe when several apps race to do it.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('database URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return withDatabaseErrors(async () => {
    const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return false;
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
        return true;
      } catch (err) {
        // 42P04 duplicate_database: another app created it first; 23505: the same race seen through the catalog index.
        const code = (err as { code?: string }).code;
        if (code === '42P04' || code === '23505') return false;
        throw err;
      }
    } finally {
      await client.end();
    }
  });
}
