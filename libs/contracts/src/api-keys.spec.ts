import { apiKeyEntry, ApiKeyVerifier, generateApiKey, hashApiKey, parseApiKeyEntries, presentedApiKey } from './api-keys';

describe('API keys', () => {
  it('generates 256-bit keys and stores only their SHA-256', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^fw_[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(key);
    expect(apiKeyEntry('ci', key)).toBe(`ci:${hashApiKey(key)}`);
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('verifies a presented key against the configured hashes', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    const verifier = new ApiKeyVerifier(parseApiKeyEntries(`alice:${hashApiKey(a)}, ci:${hashApiKey(b)}`));
    expect(verifier.enabled).toBe(true);
    expect(verifier.verify(a)).toBe('alice');
    expect(verifier.verify(b)).toBe('ci');
    expect(verifier.verify('fw_wrong')).toBeNull();
    expect(verifier.verify('')).toBeNull();
    expect(verifier.verify(null)).toBeNull();
    expect(verifier.verify(hashApiKey(a))).toBeNull(); // the hash is not the key
    expect(new ApiKeyVerifier(parseApiKeyEntries('')).enabled).toBe(false);
  });

  it.each([
    ['not-a-hash', /entry 1 is not <label>:<sha256 hex/],
    [`x:${'A'.repeat(64)}`, /entry 1/],
    [`a:${'0'.repeat(64)},a:${'1'.repeat(64)}`, /label 'a' is used twice/],
  ])('refuses %s without echoing it', (value, message) => {
    expect(() => parseApiKeyEntries(value)).toThrow(message);
    try {
      parseApiKeyEntries(value);
    } catch (err) {
      expect((err as Error).message).not.toContain('A'.repeat(64));
      expect((err as Error).message).not.toContain('not-a-hash');
    }
  });

  it('reads the key from Authorization: Bearer or X-API-Key', () => {
    expect(presentedApiKey('Bearer fw_abc', undefined)).toBe('fw_abc');
    expect(presentedApiKey('bearer   fw_abc ', undefined)).toBe('fw_abc');
    expect(presentedApiKey('Basic Zm9v', 'fw_abc')).toBeNull();
    expect(presentedApiKey(undefined, ' fw_abc ')).toBe('fw_abc');
    expect(presentedApiKey(undefined, undefined)).toBeNull();
  });
});
