/**
 * PeerFilter: the special-purpose ranges refused by default (RFC 6890 and the
 * IANA registries), edges of each private block, addresses that embed an IPv4
 * address, and operator allow/deny rules. Addresses are chosen by hand, not
 * derived from DEFAULT_DENIED_RANGES, so that dropping a range fails a test.
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TurnError } from './errors.js';
import { DEFAULT_DENIED_RANGES, PeerFilter } from './peer-filter.js';

/** One or more addresses inside each default-denied range, keyed by the range. */
const INSIDE_EACH_DENIED_RANGE: Record<string, string[]> = {
  '0.0.0.0/8': ['0.0.0.0', '0.1.2.3', '0.255.255.255'],
  '10.0.0.0/8': ['10.0.0.0', '10.1.2.3', '10.255.255.255'],
  '100.64.0.0/10': ['100.64.0.0', '100.100.100.100', '100.127.255.255'],
  '127.0.0.0/8': ['127.0.0.1', '127.255.255.254'],
  '169.254.0.0/16': ['169.254.0.1', '169.254.169.254'],
  '172.16.0.0/12': ['172.16.0.0', '172.20.1.1', '172.31.255.255'],
  '192.0.0.0/24': ['192.0.0.8'],
  '192.0.2.0/24': ['192.0.2.1'],
  '192.31.196.0/24': ['192.31.196.1'],
  '192.52.193.0/24': ['192.52.193.1'],
  '192.88.99.0/24': ['192.88.99.1'],
  '192.168.0.0/16': ['192.168.0.1', '192.168.255.255'],
  '192.175.48.0/24': ['192.175.48.1'],
  '198.18.0.0/15': ['198.18.0.1', '198.19.255.255'],
  '198.51.100.0/24': ['198.51.100.7'],
  '203.0.113.0/24': ['203.0.113.9'],
  '224.0.0.0/4': ['224.0.0.1', '233.1.2.3', '239.255.255.255'],
  '240.0.0.0/4': ['240.0.0.1', '255.255.255.255'],
  '::/128': ['::', '0:0:0:0:0:0:0:0'],
  '::1/128': ['::1'],
  '::/96': ['::10.0.0.1', '::8.8.8.8', '::a00:1'],
  '64:ff9b:1::/48': ['64:ff9b:1::a00:1', '64:ff9b:1:ffff::1'],
  '100::/64': ['100::1'],
  '100:0:0:1::/64': ['100:0:0:1::1'],
  '2001::/23': ['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:2::1'],
  '2001:db8::/32': ['2001:db8::1', '2001:db8:ffff::1'],
  '3fff::/20': ['3fff::1', '3fff:fff::1'],
  '5f00::/16': ['5f00::1'],
  'fc00::/7': ['fc00::1', 'fd12::1', 'fdff:ffff::1'],
  'fe80::/10': ['fe80::1', 'fe80::1%eth0', 'febf::1'],
  'fec0::/10': ['fec0::1'],
  'ff00::/8': ['ff02::1', 'ff05::1:3', 'ff0e::1'],
};

describe('PeerFilter defaults', () => {
  const filter = new PeerFilter();

  it('has a representative address for every built-in range', () => {
    expect(Object.keys(INSIDE_EACH_DENIED_RANGE).sort()).toEqual([...DEFAULT_DENIED_RANGES].sort());
  });

  for (const [range, addresses] of Object.entries(INSIDE_EACH_DENIED_RANGE)) {
    it(`refuses ${range}`, () => {
      for (const address of addresses) expect(filter.isAllowed(address), address).toBe(false);
    });
  }

  it('refuses the named edge addresses', () => {
    for (const address of [
      '0.0.0.0',
      '10.255.255.255',
      '100.64.0.0',
      '172.16.0.0',
      '172.31.255.255',
      '169.254.1.1',
      '224.0.0.1',
      '239.255.255.255',
      '255.255.255.255',
      '127.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12::1',
      'ff02::1',
      '2001:db8::1',
    ]) {
      expect(filter.isAllowed(address), address).toBe(false);
    }
  });

  it('allows the addresses just outside the private blocks', () => {
    for (const address of [
      '1.0.0.0',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '169.253.255.255',
      '169.255.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.167.255.255',
      '192.169.0.0',
      '198.17.255.255',
      '198.20.0.0',
      '223.255.255.255',
    ]) {
      expect(filter.isAllowed(address), address).toBe(true);
    }
  });

  it('allows public addresses', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '2606:4700::1111',
      '2a00:1450:4001:80b::200e',
      '2001:4860::1',
    ]) {
      expect(filter.isAllowed(address), address).toBe(true);
    }
  });

  it('judges IPv4-mapped, NAT64 and 6to4 addresses by their embedded IPv4 address', () => {
    expect(filter.isAllowed('::ffff:10.0.0.1')).toBe(false);
    expect(filter.isAllowed('::ffff:a00:1')).toBe(false);
    expect(filter.isAllowed('::ffff:127.0.0.1')).toBe(false);
    expect(filter.isAllowed('::ffff:169.254.169.254')).toBe(false);
    expect(filter.isAllowed('64:ff9b::a00:1')).toBe(false);
    expect(filter.isAllowed('64:ff9b::192.168.1.1')).toBe(false);
    expect(filter.isAllowed('2002:0a00:0001::')).toBe(false);
    expect(filter.isAllowed('2002:7f00:1:1234::5')).toBe(false);
    expect(filter.isAllowed('::ffff:8.8.8.8')).toBe(true);
    expect(filter.isAllowed('64:ff9b::808:808')).toBe(true);
    expect(filter.isAllowed('2002:808:808::1')).toBe(true);
  });

  it('returns false for text that is not an address, never throwing', () => {
    for (const text of [
      '',
      'localhost',
      'example.com',
      '10.0.0',
      '10.0.0.1.',
      '256.0.0.1',
      '010.0.0.1',
      '0x7f.0.0.1',
      '2130706433',
      '1.2.3.4%eth0',
      '::ffff:10.0.0.1:80',
      '[::1]',
      ':::',
      '8.8.8.8/32',
      ' 8.8.8.8',
    ]) {
      expect(filter.isAllowed(text), JSON.stringify(text)).toBe(false);
    }
  });

  it('never throws on arbitrary strings, and allows only what parses as an address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.ipV6(), fc.ipV4()), (text) => {
        const allowed = filter.isAllowed(text);
        expect(typeof allowed).toBe('boolean');
        if (allowed) expect(isIP(text.split('%')[0])).not.toBe(0);
      }),
    );
  });
});

describe('PeerFilter options', () => {
  it('allowLoopback opens 127.0.0.0/8 and ::1 only', () => {
    const filter = new PeerFilter({ allowLoopback: true });
    expect(filter.isAllowed('127.0.0.1')).toBe(true);
    expect(filter.isAllowed('127.255.255.255')).toBe(true);
    expect(filter.isAllowed('::1')).toBe(true);
    expect(filter.isAllowed('::ffff:127.0.0.1')).toBe(true);
    expect(filter.isAllowed('::')).toBe(false);
    expect(filter.isAllowed('::2')).toBe(false);
    expect(filter.isAllowed('0.0.0.0')).toBe(false);
    expect(filter.isAllowed('10.0.0.1')).toBe(false);
    expect(filter.isAllowed('192.168.1.1')).toBe(false);
    expect(filter.isAllowed('169.254.169.254')).toBe(false);
    expect(filter.isAllowed('fe80::1')).toBe(false);
    expect(filter.isAllowed('8.8.8.8')).toBe(true);
  });

  it('an allow rule opens a private range and nothing next to it', () => {
    const filter = new PeerFilter({ allow: ['10.1.0.0/16', 'fd00:1::/32'] });
    expect(filter.isAllowed('10.1.0.0')).toBe(true);
    expect(filter.isAllowed('10.1.255.255')).toBe(true);
    expect(filter.isAllowed('::ffff:10.1.2.3')).toBe(true);
    expect(filter.isAllowed('10.0.255.255')).toBe(false);
    expect(filter.isAllowed('10.2.0.0')).toBe(false);
    expect(filter.isAllowed('fd00:1::5')).toBe(true);
    expect(filter.isAllowed('fd00:2::5')).toBe(false);
    expect(filter.isAllowed('127.0.0.1')).toBe(false);
  });

  it('a bare address in allow is a single host', () => {
    const filter = new PeerFilter({ allow: ['192.168.1.10'] });
    expect(filter.isAllowed('192.168.1.10')).toBe(true);
    expect(filter.isAllowed('192.168.1.11')).toBe(false);
  });

  it('deny wins over allow', () => {
    const filter = new PeerFilter({ allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'] });
    expect(filter.isAllowed('10.8.1.1')).toBe(true);
    expect(filter.isAllowed('10.9.1.1')).toBe(false);
    expect(filter.isAllowed('::ffff:10.9.1.1')).toBe(false);
  });

  it('deny refuses a public address in every form', () => {
    const filter = new PeerFilter({ deny: ['8.8.8.0/24', '2606:4700::/32'] });
    expect(filter.isAllowed('8.8.8.8')).toBe(false);
    expect(filter.isAllowed('::ffff:8.8.8.8')).toBe(false);
    expect(filter.isAllowed('64:ff9b::808:808')).toBe(false);
    expect(filter.isAllowed('2002:808:808::')).toBe(false);
    expect(filter.isAllowed('2606:4700::1111')).toBe(false);
    expect(filter.isAllowed('8.8.4.4')).toBe(true);
    expect(filter.isAllowed('2606:4701::1')).toBe(true);
  });

  it('deny rules written in IPv6 form hold for addresses that embed a public IPv4 address', () => {
    const filter = new PeerFilter({ deny: ['2002::/16', '64:ff9b::/96', '::ffff:1.1.1.1/128'] });
    expect(filter.isAllowed('2002:808:808::1')).toBe(false);
    expect(filter.isAllowed('64:ff9b::808:808')).toBe(false);
    expect(filter.isAllowed('::ffff:1.1.1.1')).toBe(false);
    // The plain IPv4 addresses are not covered by those rules.
    expect(filter.isAllowed('8.8.8.8')).toBe(true);
    expect(filter.isAllowed('1.1.1.1')).toBe(true);
    expect(filter.isAllowed('::ffff:8.8.8.8')).toBe(true);
  });

  it('throws TurnError ERR_TURN_INVALID_OPTION on an invalid CIDR', () => {
    for (const options of [
      { allow: ['10.0.0.0/33'] },
      { allow: ['not-a-cidr'] },
      { deny: ['10.0.0.0/'] },
      { deny: ['fc00::/129'] },
      { deny: ['8.8.8.8', '1.2.3.4/-1'] },
    ]) {
      let caught: unknown;
      try {
        new PeerFilter(options);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(options)).toBeInstanceOf(TurnError);
      expect((caught as TurnError).code).toBe('ERR_TURN_INVALID_OPTION');
    }
  });

  it('accepts valid CIDRs without throwing', () => {
    expect(
      () => new PeerFilter({ allow: ['10.0.0.0/8', 'fc00::/7', '0.0.0.0/0'], deny: ['::/0'] }),
    ).not.toThrow();
  });
});
