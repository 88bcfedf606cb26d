import { DomainError } from '@framewire/contracts';
import { isValidKey, objectKeys, validateKey, validatePrefix } from './keys';

function rejection(key: unknown): DomainError {
  try {
    validateKey(key);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error(`expected ${String(key)} to be rejected`);
}

describe('validateKey', () => {
  it.each([
    'video',
    'inputs/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed/video',
    'frames/j/00000001.jpg',
    'a.b_c-d/E.F',
    '.hidden/x',
    'a/..b/c',
    `${'x'.repeat(255)}/${'y'.repeat(254)}/z`,
  ])('accepts %s', (key) => {
    expect(validateKey(key)).toBe(key);
    expect(isValidKey(key)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'start with "/"'],
    ['../secret', '".." segment'],
    ['a/../../b', '".." segment'],
    ['a/./b', '"." segment'],
    ['..', '".." segment'],
    ['a//b', 'empty path segment'],
    ['a/', 'empty path segment'],
    ['a\\b', 'only letters'],
    ['a b', 'only letters'],
    ['a%2e%2e/b', 'only letters'],
    ['C:/x', 'only letters'],
    ['caf\u00e9', 'only letters'],
    ['a\u0000b', 'only letters'],
    ['x'.repeat(513), 'longer than 512'],
    [`a/${'y'.repeat(256)}`, 'segment longer than 255'],
    ['.fw-tmp/abc.part', 'reserved'],
  ])('rejects %j (%s)', (key, why) => {
    const err = rejection(key);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(why);
    expect(isValidKey(key)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(rejection(undefined).code).toBe('INVALID_ARGUMENT');
    expect(rejection(42).message).toContain('not a string');
  });

  it('does not echo an unbounded key in the message', () => {
    expect(rejection('z'.repeat(10_000)).message.length).toBeLessThan(200);
  });
});

describe('objectKeys', () => {
  const jobId = '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';

  it('lays out inputs and frames', () => {
    expect(objectKeys.inputKey(jobId)).toBe(`inputs/${jobId}/video`);
    expect(objectKeys.frameKey(jobId, 0)).toBe(`frames/${jobId}/00000000.jpg`);
    expect(objectKeys.frameKey(jobId, 1234)).toBe(`frames/${jobId}/00001234.jpg`);
    expect(objectKeys.frameKey(jobId, 123_456_789)).toBe(`frames/${jobId}/123456789.jpg`);
    expect(objectKeys.framesPrefix(jobId)).toBe(`frames/${jobId}/`);
  });

  it('frame keys sort in frame order', () => {
    const keys = [10, 2, 100, 1].map((i) => objectKeys.frameKey(jobId, i));
    expect([...keys].sort()).toEqual([1, 2, 10, 100].map((i) => objectKeys.frameKey(jobId, i)));
  });

  it.each(['', '..', '.', 'a/b', '../x', 'a b'])('rejects job id %j', (bad) => {
    expect(() => objectKeys.inputKey(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => objectKeys.frameKey(bad, 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects frame index %p', (bad) => {
    expect(() => objectKeys.frameKey(jobId, bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it("lays out a job's prefixes and its dead-letter bodies", () => {
    expect(objectKeys.jobPrefixes(jobId)).toEqual([`inputs/${jobId}/`, `frames/${jobId}/`, `dlq/${jobId}/`]);
    expect(objectKeys.inputKey(jobId).startsWith(objectKeys.inputPrefix(jobId))).toBe(true);
    expect(objectKeys.deadLetterKey(jobId, 'FW_WORK', 42)).toBe(`dlq/${jobId}/FW_WORK-42`);
    expect(objectKeys.deadLetterKey(undefined, 'FW_WORK', 42)).toBe('dlq/_/FW_WORK-42');
    expect(() => objectKeys.deadLetterKey(jobId, 'FW_WORK', -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => objectKeys.deadLetterKey(jobId, 'a/b', 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('a prefix is a valid key followed by "/"', () => {
    expect(validatePrefix('frames/x/')).toBe('frames/x/');
    for (const bad of ['frames/x', '/', '../', 'a//', '.fw-tmp/', '']) {
      expect(() => validatePrefix(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
