import { DomainError } from '@framewire/contracts';
import { resolveWebhookTarget, type Resolver } from './target';

const resolver =
  (table: Record<string, string[]>): Resolver =>
  (host) => {
    const addrs = table[host];
    if (!addrs) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };

async function refusal(url: string, resolve: Resolver = resolver({})): Promise<string> {
  try {
    await resolveWebhookTarget(url, { allowPrivate: false, resolve });
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('CALLBACK_URL_REFUSED');
    return (err as DomainError).message;
  }
  throw new Error(`${url} was accepted`);
}

describe('resolveWebhookTarget', () => {
  it('refuses literal private, loopback and link-local addresses, IPv6 and IPv4-mapped included', async () => {
    expect(await refusal('http://127.0.0.1:8080/hook')).toMatch(/names a loopback address/);
    expect(await refusal('http://[::1]/hook')).toMatch(/loopback/);
    expect(await refusal('http://[::ffff:127.0.0.1]/hook')).toMatch(/loopback/);
    expect(await refusal('http://[fe80::1]/hook')).toMatch(/link-local/);
    expect(await refusal('https://169.254.169.254/latest/meta-data')).toMatch(/link-local/);
    expect(await refusal('http://10.0.0.5/')).toMatch(/private/);
    // WHATWG URL parsing turns these spellings of 127.0.0.1 into the dotted form first.
    expect(await refusal('http://2130706433/')).toMatch(/loopback/);
    expect(await refusal('http://0x7f.1/')).toMatch(/loopback/);
  });

  it('refuses a host that resolves only to non-public addresses, or not at all', async () => {
    const dns = resolver({ 'internal.example': ['10.0.0.7', 'fd00::7'], localhost: ['127.0.0.1', '::1'] });
    expect(await refusal('https://internal.example/hook', dns)).toMatch(/resolves only to non-public addresses \(10\.0\.0\.7: private\)/);
    expect(await refusal('http://localhost:3000/', dns)).toMatch(/loopback/);
    expect(await refusal('https://nowhere.example/', dns)).toMatch(/does not resolve/);
  });

  it('refuses what is no http(s) URL, or carries credentials', async () => {
    expect(await refusal('ftp://example.com/x')).toMatch(/http or https/);
    expect(await refusal('not a url')).toMatch(/absolute http or https URL/);
    expect(await refusal('https://user:pw@example.com/')).toMatch(/credentials/);
  });

  it('connects to the first public address of a host (resolved once)', async () => {
    const dns = resolver({ 'hooks.example': ['10.0.0.1', '93.184.216.34', '2606:2800::1'] });
    const target = await resolveWebhookTarget('https://hooks.example/fw?x=1', { allowPrivate: false, resolve: dns });
    expect(target).toEqual({ url: new URL('https://hooks.example/fw?x=1'), address: '93.184.216.34', family: 4 });
  });

  it('lets private addresses through with allowPrivate', async () => {
    const target = await resolveWebhookTarget('http://127.0.0.1:9/hook', { allowPrivate: true });
    expect(target.address).toBe('127.0.0.1');
    const v6 = await resolveWebhookTarget('http://[::1]:9/hook', { allowPrivate: true });
    expect(v6).toMatchObject({ address: '::1', family: 6 });
  });
});
