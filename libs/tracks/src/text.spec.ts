import { editDistance, normaliseText, textSimilarity } from './text';

describe('text comparison', () => {
  it('edit distance counts inserts, deletes and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('FRAMEWIRE', 'FRAMEW1RE')).toBe(1);
    expect(editDistance('😀a', 'a')).toBe(1);
  });

  it('normalises case, width and whitespace before comparing', () => {
    expect(normaliseText('  ｆrame   wire ')).toBe('FRAME WIRE');
    expect(textSimilarity('Frame Wire', 'FRAME  WIRE')).toBe(1);
    expect(textSimilarity('FRAMEWIRE 2026', 'FRAMEW1RE 2026')).toBeCloseTo(1 - 1 / 14);
    expect(textSimilarity('FRAMEWIRE 2026', 'TRUCK ABC 1234')).toBeLessThan(0.3);
    expect(textSimilarity('', '')).toBe(1);
  });
});
