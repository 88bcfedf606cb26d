import { blockedAddressReason, embeddedIpv4 } from './address';

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique local (private)'],
    ['fc00::1', 'unique local (private)'],
    ['ff02::1', 'multicast'],
    ['[::1]', 'loopback'],
  ])('refuses %s (%s)', (ip, reason) => {
    expect(blockedAddressReason(ip)).toBe(reason);
  });

  it('judges IPv4-mapped and NAT64 IPv6 addresses by the IPv4 address inside', () => {
    expect(blockedAddressReason('::ffff:127.0.0.1')).toBe('loopback');
    expect(blockedAddressReason('::ffff:7f00:1')).toBe('loopback');
    expect(blockedAddressReason('::ffff:a9fe:a9fe')).toBe('link-local');
    expect(blockedAddressReason('::FFFF:10.0.0.1')).toBe('private');
    expect(blockedAddressReason('64:ff9b::192.168.0.1')).toBe('private');
    expect(blockedAddressReason('::ffff:8.8.8.8')).toBeNull();
  });

  it('lets public addresses through', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2001:4860:4860::8888']) {
      expect(blockedAddressReason(ip)).toBeNull();
    }
  });

  it('says so when given no IP address', () => {
    expect(blockedAddressReason('example.com')).toBe('not an IP address');
  });
});

describe('embeddedIpv4', () => {
  it('reads the IPv4 address of a mapped one in either notation, and nothing from a plain IPv6', () => {
    expect(embeddedIpv4('::ffff:c0a8:101')).toBe('192.168.1.1');
    expect(embeddedIpv4('0:0:0:0:0:ffff:192.168.1.1')).toBe('192.168.1.1');
    expect(embeddedIpv4('2001:db8::1')).toBeNull();
    expect(embeddedIpv4('not-an-ip')).toBeNull();
  });
});
