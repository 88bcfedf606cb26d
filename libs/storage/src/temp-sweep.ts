import { readdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode } from './errors';

export interface StaleTempOptions {
  /** Entries last modified longer ago than this are removed. */
  olderThanMs: number;
  /** Only entries whose name starts with this (a temp dir shared with other programs, e.g. the OS one). */
  namePrefix?: string;
  now?: number;
}

/**
 * Removes the leftovers of crashed processes from a temp directory: files and
 * directories (recursively) whose modification time is older than
 * `olderThanMs`, so that live work (written to within that age) is never
 * touched. A missing directory holds nothing; an entry that vanishes meanwhile
 * (another replica cleaning up) is fine. Returns the names removed.
 */
export async function removeStaleTemp(dir: string, opts: StaleTempOptions): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const cutoff = (opts.now ?? Date.now()) - opts.olderThanMs;
  const removed: string[] = [];
  for (const name of names) {
    if (opts.namePrefix !== undefined && !name.startsWith(opts.namePrefix)) continue;
    const entry = path.join(dir, name);
    try {
      if ((await stat(entry)).mtimeMs >= cutoff) continue;
      await rm(entry, { recursive: true, force: true });
      removed.push(name);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  return removed;
}
