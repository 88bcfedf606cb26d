import { DomainError } from '@framewire/contracts';
import { type DecodeOptions, validateDecodeOptions } from './decode';

describe('validateDecodeOptions', () => {
  const ok: DecodeOptions = { stride: 1, maxFrames: null };

  it('accepts sensible options', () => {
    expect(() => validateDecodeOptions(ok)).not.toThrow();
    expect(() => validateDecodeOptions({ stride: 30, maxFrames: 10, jpegQuality: 100, maxWidth: 1 })).not.toThrow();
    expect(() => validateDecodeOptions({ ...ok, maxFramePixels: 1, maxDurationMs: 0.5, timeoutMs: 1 })).not.toThrow();
  });

  it.each<[string, Partial<DecodeOptions>, RegExp]>([
    ['stride 0', { stride: 0 }, /stride/],
    ['fractional stride', { stride: 1.5 }, /stride/],
    ['maxFrames 0', { maxFrames: 0 }, /maxFrames/],
    ['jpegQuality 0', { jpegQuality: 0 }, /jpegQuality/],
    ['jpegQuality 101', { jpegQuality: 101 }, /jpegQuality/],
    ['maxWidth 0', { maxWidth: 0 }, /maxWidth/],
    ['maxFramePixels 0', { maxFramePixels: 0 }, /maxFramePixels/],
    ['maxDurationMs NaN', { maxDurationMs: Number.NaN }, /maxDurationMs/],
    ['timeoutMs -1', { timeoutMs: -1 }, /timeoutMs/],
  ])('refuses %s with INVALID_ARGUMENT', (_name, patch, message) => {
    let thrown: unknown;
    try {
      validateDecodeOptions({ ...ok, ...patch });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe('INVALID_ARGUMENT');
    expect((thrown as DomainError).message).toMatch(message);
  });
});
