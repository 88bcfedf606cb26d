/** Text comparison for linking readings of one line across samples. */

/** What counts as the same reading: Unicode-normalised, whitespace collapsed, case folded. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, ' ').trim().toUpperCase();
}

/** Levenshtein distance (insert, delete, substitute: 1 each), over code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[y.length];
}

/** 1 for the same normalised text, 0 for nothing in common: 1 - distance / length of the longer. */
export function textSimilarity(a: string, b: string): number {
  const na = normaliseText(a);
  const nb = normaliseText(b);
  const longest = Math.max([...na].length, [...nb].length);
  return longest === 0 ? 1 : 1 - editDistance(na, nb) / longest;
}
