import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  cidrContains,
  formatIp,
  formatTransportAddress,
  ipFamily,
  parseCidr,
  parseHostPort,
  parseIp,
} from './ip.js';

function bytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
}

describe('parseIp', () => {
  it('parses IPv4 literals into 4 bytes', () => {
    expect(parseIp('0.0.0.0')).toEqual(bytes('00000000'));
    expect(parseIp('192.0.2.1')).toEqual(bytes('c0000201'));
    expect(parseIp('255.255.255.255')).toEqual(bytes('ffffffff'));
  });

  it('parses IPv6 literals into 16 bytes', () => {
    expect(parseIp('::')).toEqual(Buffer.alloc(16));
    expect(parseIp('::1')).toEqual(bytes('0000 0000 0000 0000 0000 0000 0000 0001'));
    expect(parseIp('1::')).toEqual(bytes('0001 0000 0000 0000 0000 0000 0000 0000'));
    expect(parseIp('2001:DB8::A:b')).toEqual(bytes('2001 0db8 0000 0000 0000 0000 000a 000b'));
    expect(parseIp('1:2:3:4:5:6:7:8')).toEqual(bytes('0001 0002 0003 0004 0005 0006 0007 0008'));
    expect(parseIp('1:2:3:4:5:6:7::')).toEqual(bytes('0001 0002 0003 0004 0005 0006 0007 0000'));
    expect(parseIp('::2:3:4:5:6:7:8')).toEqual(bytes('0000 0002 0003 0004 0005 0006 0007 0008'));
    expect(parseIp('fe80::1:0:0:2')).toEqual(bytes('fe80 0000 0000 0000 0001 0000 0000 0002'));
  });

  it('parses an embedded IPv4 tail', () => {
    expect(parseIp('::ffff:1.2.3.4')).toEqual(bytes('0000 0000 0000 0000 0000 ffff 0102 0304'));
    expect(parseIp('64:ff9b::192.0.2.33')).toEqual(bytes('0064 ff9b 0000 0000 0000 0000 c000 0221'));
    expect(parseIp('1:2:3:4:5:6:10.0.0.1')).toEqual(bytes('0001 0002 0003 0004 0005 0006 0a00 0001'));
  });

  it('drops an IPv6 zone but refuses one on IPv4', () => {
    expect(parseIp('fe80::1%eth0')).toEqual(bytes('fe80 0000 0000 0000 0000 0000 0000 0001'));
    expect(parseIp('1.2.3.4%eth0')).toBeUndefined();
  });

  it.each([
    '',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    ' 1.2.3.4',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    '::g',
    '[::1]',
    '1.2.3.4/8',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('formatIp (RFC 5952)', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    // §4.2.1: the longest run is shortened.
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    // §4.2.3: the first of equal runs.
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:3:0:0:4', '1::2:3:0:0:4'],
    // §4.2.2: a single zero group is not compressed.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['0:2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:0:0', '1:2:3:4:5:6::'],
    // §4.1: leading zeros dropped; §4.3: lower case.
    ['2001:DB8:00AB:0CDE:F:0:0:0', '2001:db8:ab:cde:f::'],
    // §5: IPv4-mapped addresses keep the dotted tail, in whatever form they were written.
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
    // Only the mapped prefix gets the dotted form.
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ['0:0:0:0:1:ffff:0:1', '::1:ffff:0:1'],
    ['fe80::1%eth0', 'fe80::1'],
  ])('%s is written %s', (input, expected) => {
    expect(formatIp(parseIp(input)!)).toBe(expected);
    expect(canonicalIp(input)).toBe(expected);
  });

  it('writes IPv4 in dotted decimal', () => {
    expect(formatIp(bytes('c0000201'))).toBe('192.0.2.1');
    expect(formatIp(new Uint8Array([0, 0, 0, 0]))).toBe('0.0.0.0');
  });

  it('canonicalIp refuses non-addresses', () => {
    expect(canonicalIp('example.org')).toBeUndefined();
  });

  it('round-trips every 16-byte value through text, and the text is stable and valid', () => {
    // Bias towards zero groups so that runs of every length and position are common.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const raw = Buffer.alloc(16);
        groups.forEach((value, i) => {
          raw.writeUInt16BE(value, i * 2);
        });
        const text = formatIp(raw);
        expect(isIPv6(text)).toBe(true);
        expect(text).toBe(text.toLowerCase());
        expect(parseIp(text)).toEqual(raw);
        expect(formatIp(parseIp(text)!)).toBe(text);
        // At most one '::', and never in place of a single zero group (RFC 5952 §4.2.2).
        expect(text.split('::').length).toBeLessThanOrEqual(2);
        if (text.includes('::') && !text.startsWith('::ffff:')) {
          const written = text.split('::').flatMap((half) => (half ? half.split(':') : []));
          expect(8 - written.length).toBeGreaterThanOrEqual(2);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips IPv4 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (raw) => {
        const text = formatIp(raw);
        expect(parseIp(text)).toEqual(Buffer.from(raw));
        expect(ipFamily(text)).toBe(4);
      }),
      { numRuns: 300 },
    );
  });

  it('canonicalises any IPv6 literal to the same bytes', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const raw = parseIp(text);
        expect(raw).toBeDefined();
        const canonical = formatIp(raw!);
        expect(parseIp(canonical)).toEqual(raw);
        expect(canonicalIp(canonical)).toBe(canonical);
      }),
      { numRuns: 500 },
    );
  });
});

describe('ipFamily', () => {
  it('tells IPv4, IPv6 and anything else apart', () => {
    expect(ipFamily('10.0.0.1')).toBe(4);
    expect(ipFamily('::1')).toBe(6);
    expect(ipFamily('fe80::1%eth0')).toBe(6);
    expect(ipFamily('::ffff:10.0.0.1')).toBe(6);
    expect(ipFamily('example.org')).toBe(0);
    expect(ipFamily('10.0.0.1%eth0')).toBe(0);
  });
});

describe('parseCidr and cidrContains', () => {
  const contains = (cidr: string, address: string) => cidrContains(parseCidr(cidr)!, parseIp(address)!);

  it('parses blocks and bare addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({
      network: bytes('0a000000'),
      prefixLength: 8,
      text: '10.0.0.0/8',
    });
    expect(parseCidr('10.1.2.3')?.prefixLength).toBe(32);
    expect(parseCidr('::1')?.prefixLength).toBe(128);
    expect(parseCidr('fc00::/7')?.prefixLength).toBe(7);
    expect(parseCidr('::/0')?.prefixLength).toBe(0);
  });

  it.each([
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/1000',
    '10.0.0.0/8/8',
    '10.0.0.0/ 8',
    '10.0.0.0/0x8',
    'example.org/8',
    '/8',
  ])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('/0 contains every address of its family only', () => {
    expect(contains('0.0.0.0/0', '255.255.255.255')).toBe(true);
    expect(contains('0.0.0.0/0', '0.0.0.0')).toBe(true);
    expect(contains('::/0', 'ffff::1')).toBe(true);
    expect(contains('0.0.0.0/0', '::1')).toBe(false);
    expect(contains('::/0', '1.2.3.4')).toBe(false);
  });

  it('matches odd prefix lengths bit by bit', () => {
    // /7: fc00::/7 holds fc00:: – fdff:…, not fe00::.
    expect(contains('fc00::/7', 'fc00::1')).toBe(true);
    expect(contains('fc00::/7', 'fdff:ffff::1')).toBe(true);
    expect(contains('fc00::/7', 'fe00::')).toBe(false);
    expect(contains('fc00::/7', 'fb00::')).toBe(false);
    // /10: 100.64.0.0/10 is 100.64.0.0 – 100.127.255.255.
    expect(contains('100.64.0.0/10', '100.64.0.0')).toBe(true);
    expect(contains('100.64.0.0/10', '100.127.255.255')).toBe(true);
    expect(contains('100.64.0.0/10', '100.128.0.0')).toBe(false);
    expect(contains('100.64.0.0/10', '100.63.255.255')).toBe(false);
    // /33 in IPv6: the first bit of the fifth byte decides.
    expect(contains('2001:db8::/33', '2001:db8:7fff::1')).toBe(true);
    expect(contains('2001:db8::/33', '2001:db8:8000::')).toBe(false);
    // Host bits set in the network part do not matter.
    expect(contains('10.1.2.3/8', '10.200.0.1')).toBe(true);
  });

  it('a full-length prefix matches exactly one address', () => {
    expect(contains('192.0.2.1/32', '192.0.2.1')).toBe(true);
    expect(contains('192.0.2.1/32', '192.0.2.0')).toBe(false);
    expect(contains('::1', '::1')).toBe(true);
    expect(contains('::1', '::2')).toBe(false);
    expect(contains('::1/128', '::1:0:0:1')).toBe(false);
  });

  it('refuses family mismatches even for mapped addresses', () => {
    expect(contains('1.2.3.0/24', '::ffff:1.2.3.4')).toBe(false);
    expect(contains('::ffff:0:0/96', '1.2.3.4')).toBe(false);
    expect(contains('::ffff:0:0/96', '::ffff:1.2.3.4')).toBe(true);
  });

  it('agrees with a bit-by-bit reference', () => {
    const bitAt = (raw: Uint8Array, index: number) => (raw[index >> 3] >> (7 - (index & 7))) & 1;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 128 }),
        fc.integer({ min: 0, max: 128 }),
        (network, generated, prefixLength, sharedBits) => {
          // Make the two agree on a random number of leading bits, so that both outcomes are common.
          const address = Uint8Array.from(generated);
          for (let i = 0; i < sharedBits; i++) {
            const mask = 1 << (7 - (i & 7));
            address[i >> 3] = (address[i >> 3] & ~mask) | (network[i >> 3] & mask);
          }
          const cidr = parseCidr(`${formatIp(network)}/${prefixLength}`)!;
          let expected = true;
          for (let i = 0; i < prefixLength; i++)
            if (bitAt(network, i) !== bitAt(address, i)) expected = false;
          expect(cidrContains(cidr, address)).toBe(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('parseHostPort and formatTransportAddress', () => {
  it('parses host:port and [v6]:port', () => {
    expect(parseHostPort('1.2.3.4:3478')).toEqual({ host: '1.2.3.4', port: 3478 });
    expect(parseHostPort('turn.example.org:443')).toEqual({ host: 'turn.example.org', port: 443 });
    expect(parseHostPort('[::1]:5349')).toEqual({ host: '::1', port: 5349 });
    expect(parseHostPort('[fe80::1%eth0]:0')).toEqual({ host: 'fe80::1%eth0', port: 0 });
    expect(parseHostPort('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
  });

  it.each(['1.2.3.4', '::1:3478', '[::1]', '[::1]:', '[::1]:65536', 'host:99999', 'host:-1', ':80', 'a:b'])(
    'rejects %j',
    (text) => {
      expect(parseHostPort(text)).toBeUndefined();
    },
  );

  it('formats and parses back', () => {
    expect(formatTransportAddress({ family: 4, address: '1.2.3.4', port: 5 })).toBe('1.2.3.4:5');
    expect(formatTransportAddress({ family: 6, address: '::1', port: 5 })).toBe('[::1]:5');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV4().map((address) => ({ family: 4 as const, address })),
          fc.ipV6().map((address) => ({ family: 6 as const, address: canonicalIp(address)! })),
        ),
        fc.integer({ min: 0, max: 65535 }),
        (partial, port) => {
          const parsed = parseHostPort(formatTransportAddress({ ...partial, port }));
          expect(parsed).toEqual({ host: partial.address, port });
        },
      ),
      { numRuns: 300 },
    );
  });
});
