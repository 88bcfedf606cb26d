/** CTC label decoding for PaddleOCR recognition models, as pure functions. */

/**
 * The model's classes from a dictionary file: index 0 is the CTC blank, then
 * one entry per line, then a space when `useSpaceChar` (PaddleOCR's default).
 */
export function parseCharset(dictionary: string, useSpaceChar = true): string[] {
  const lines = dictionary.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return ['', ...lines, ...(useSpaceChar ? [' '] : [])];
}

export interface Decoded {
  text: string;
  /** Mean probability of the kept characters (0 when none). */
  score: number;
}

/**
 * Greedy CTC: the best class per time step, repeats collapsed, blanks (class 0)
 * dropped. `probs` holds `steps` x `classes` probabilities starting at `offset`.
 */
export function ctcGreedyDecode(probs: ArrayLike<number>, steps: number, classes: number, charset: readonly string[], offset = 0): Decoded {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const row = offset + t * classes;
    let best = 0;
    let bestP = probs[row];
    for (let c = 1; c < classes; c++) {
      const p = probs[row + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += charset[best] ?? '';
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, score: kept === 0 ? 0 : sum / kept };
}
