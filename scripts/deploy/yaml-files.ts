import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Json, Problem } from './problems';

export interface YamlDoc {
  /** Relative to the checked root. */
  file: string;
  /** Position of the document in its file (0-based). */
  index: number;
  value: Json;
}

/**
 * Every non-empty document of a YAML file, with anchors, aliases and `<<`
 * merge keys resolved (Compose and kubectl both accept them). Syntax errors,
 * duplicate keys included, become problems.
 */
export function readYamlDocs(root: string, absPath: string, problems: Problem[]): YamlDoc[] {
  const file = relative(root, absPath) || absPath;
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (err) {
    problems.push({ file, message: `cannot read: ${(err as Error).message}` });
    return [];
  }
  return parseYamlDocs(file, text, problems);
}

export function parseYamlDocs(file: string, text: string, problems: Problem[]): YamlDoc[] {
  const out: YamlDoc[] = [];
  parseAllDocuments(text, { merge: true, prettyErrors: true }).forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, message: `YAML: ${e.message.split('\n')[0]}` });
      return;
    }
    const value = doc.toJS({ maxAliasCount: 10_000 }) as Json | undefined;
    if (value !== null && value !== undefined) out.push({ file, index, value });
  });
  return out;
}
