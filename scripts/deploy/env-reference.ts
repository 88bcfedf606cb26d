import { readFileSync } from 'node:fs';

/**
 * The variables docs/configuration.md documents: the backticked names in the
 * first column of its tables.
 */
export function documentedVariables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|');
    if (!line.trimStart().startsWith('|') || cells.length < 3) continue;
    for (const m of cells[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]);
  }
  return names;
}

export function readDocumentedVariables(path: string): Set<string> {
  return documentedVariables(readFileSync(path, 'utf8'));
}
