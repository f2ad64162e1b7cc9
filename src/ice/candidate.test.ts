import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computePriority,
  formatCandidate,
  hostCandidatePriority,
  hostFoundation,
  type IceCandidate,
  parseCandidate,
} from './candidate.js';

describe('candidate priority (RFC 8445 §5.1.2.1)', () => {
  it('gives a UDP IPv4 host candidate the maximum host priority', () => {
    expect(hostCandidatePriority('udp', 4)).toBe(2130706431);
    expect(computePriority(126, 65535, 1)).toBe(2130706431);
  });

  it('orders UDP above TCP, and IPv4 above IPv6 within a transport', () => {
    const order = [
      hostCandidatePriority('udp', 4),
      hostCandidatePriority('udp', 6),
      hostCandidatePriority('tcp', 4),
      hostCandidatePriority('tcp', 6),
    ];
    expect([...order].sort((a, b) => b - a)).toEqual(order);
    expect(new Set(order).size).toBe(4);
    // RFC 6544 §4.2: direction-pref 4 (passive host) in the top 3 bits of the local preference.
    expect((hostCandidatePriority('tcp', 4) >>> 8) & 0xffff).toBe((4 << 13) + 8191);
    for (const priority of order) expect(priority >>> 24).toBe(126);
  });

  it('derives stable foundations per transport and address', () => {
    expect(hostFoundation('udp', '127.0.0.1')).toBe(hostFoundation('udp', '127.0.0.1'));
    expect(hostFoundation('udp', '127.0.0.1')).not.toBe(hostFoundation('tcp', '127.0.0.1'));
    expect(hostFoundation('udp', '127.0.0.1')).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('formatCandidate / parseCandidate (RFC 8839 §5.1, RFC 6544 §4.5)', () => {
  const udp: IceCandidate = {
    foundation: '1',
    component: 1,
    protocol: 'udp',
    priority: 2130706431,
    address: '127.0.0.1',
    port: 40000,
    type: 'host',
  };
  const tcp: IceCandidate = {
    ...udp,
    foundation: '2',
    protocol: 'tcp',
    priority: 2124414975,
    port: 7881,
    tcpType: 'passive',
  };

  it('formats host candidates', () => {
    expect(formatCandidate(udp)).toBe('candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host');
    expect(formatCandidate(tcp)).toBe('candidate:2 1 tcp 2124414975 127.0.0.1 7881 typ host tcptype passive');
  });

  it('round-trips our candidates', () => {
    for (const candidate of [udp, tcp]) {
      expect(parseCandidate(formatCandidate(candidate))).toEqual({ ok: true, candidate });
      expect(parseCandidate(`a=${formatCandidate(candidate)}`)).toEqual({ ok: true, candidate });
    }
  });

  it('parses what browsers trickle', () => {
    const chrome = parseCandidate(
      'candidate:3086597217 1 udp 1686052607 198.51.100.7 61234 typ srflx raddr 192.168.1.20 rport 61234 generation 0 ufrag Xy1z network-id 1 network-cost 10',
    );
    expect(chrome).toEqual({
      ok: true,
      candidate: {
        foundation: '3086597217',
        component: 1,
        protocol: 'udp',
        priority: 1686052607,
        address: '198.51.100.7',
        port: 61234,
        type: 'srflx',
        relatedAddress: '192.168.1.20',
        relatedPort: 61234,
        extensions: [
          ['generation', '0'],
          ['ufrag', 'Xy1z'],
          ['network-id', '1'],
          ['network-cost', '10'],
        ],
      },
    });
    const mdns = parseCandidate(
      'candidate:1 1 UDP 2122252543 4b4cbd2e-8e6f-4bd5-a1d1-8a1c3b1f2e3d.local 54321 typ host',
    );
    expect(mdns.ok && mdns.candidate.address).toBe('4b4cbd2e-8e6f-4bd5-a1d1-8a1c3b1f2e3d.local');
    expect(mdns.ok && mdns.candidate.protocol).toBe('udp');
    const active = parseCandidate('candidate:4 1 tcp 1518280447 2001:db8::7 9 typ host tcptype active');
    expect(active.ok && active.candidate.tcpType).toBe('active');
    expect(active.ok && active.candidate.address).toBe('2001:db8::7');
  });

  it.each([
    ['', 'fewer than 8 fields'],
    ['candidate:1 1 udp 1 1.2.3.4 5 typ', 'fewer than 8 fields'],
    ['candidate:1 1 sctp 1 1.2.3.4 5 typ host', 'unsupported transport'],
    ['candidate:1 0 udp 1 1.2.3.4 5 typ host', 'component id'],
    ['candidate:1 257 udp 1 1.2.3.4 5 typ host', 'component id'],
    ['candidate:1 1 udp 0 1.2.3.4 5 typ host', 'priority'],
    ['candidate:1 1 udp 2147483648 1.2.3.4 5 typ host', 'priority'],
    ['candidate:1 1 udp 1 1.2.3.4 65536 typ host', 'bad port'],
    ['candidate:1 1 udp 1 1.2.3.4 -1 typ host', 'bad port'],
    ['candidate:1 1 udp 1 1.2.3.4 5 type host', 'missing "typ"'],
    ['candidate:1 1 udp 1 1.2.3.4 5 typ local', 'unknown candidate type'],
    ['candidate:1 1 udp 1 1.2.3.4 5 typ host raddr', 'without a value'],
    ['candidate:1 1 udp 1 1.2.3.4 5 typ host rport 70000', 'bad rport'],
    ['candidate:1 1 tcp 1 1.2.3.4 5 typ host', 'without tcptype'],
    ['candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype listen', 'unknown tcptype'],
    ['candidate:1 1 udp 1 1.2.3.4 5 typ host tcptype passive', 'tcptype on a UDP'],
    ['candidate:a:b 1 udp 1 1.2.3.4 5 typ host', 'foundation'],
    ['candidate:1 1 udp 1 bad_address! 5 typ host', 'connection address'],
    [`candidate:1 1 udp 1 1.2.3.4 5 typ host${' x y'.repeat(300)}`, 'longer than'],
  ])('refuses %j (%s)', (text, reason) => {
    const result = parseCandidate(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('ERR_ICE_BAD_CANDIDATE');
      expect(result.error.message).toContain(reason);
    }
  });

  const iceChars = fc.stringMatching(/^[A-Za-z0-9+/]{1,32}$/);
  const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
  const candidateArbitrary: fc.Arbitrary<IceCandidate> = fc
    .record({
      foundation: iceChars,
      component: fc.integer({ min: 1, max: 256 }),
      protocol: fc.constantFrom('udp' as const, 'tcp' as const),
      priority: fc.integer({ min: 1, max: 0x7fffffff }),
      address: fc.oneof(fc.ipV4(), fc.constantFrom('::1', '2001:db8::1', 'fd00::2')),
      port: fc.integer({ min: 0, max: 65535 }),
      type: fc.constantFrom('host' as const, 'srflx' as const, 'prflx' as const, 'relay' as const),
      tcpType: fc.constantFrom('active' as const, 'passive' as const, 'so' as const),
      related: fc.option(fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })), { nil: undefined }),
      extensions: fc.array(
        fc
          .tuple(token, token)
          .filter(([name]) => !['raddr', 'rport', 'tcptype'].includes(name)) as fc.Arbitrary<
          [string, string]
        >,
        { maxLength: 4 },
      ),
    })
    .map(({ tcpType, related, extensions, ...base }) => {
      const candidate: IceCandidate = { ...base };
      if (related) {
        candidate.relatedAddress = related[0];
        candidate.relatedPort = related[1];
      }
      if (base.protocol === 'tcp') candidate.tcpType = tcpType;
      if (extensions.length > 0) candidate.extensions = extensions;
      return candidate;
    });

  it('parse(format(c)) = c for arbitrary candidates (property)', () => {
    fc.assert(
      fc.property(candidateArbitrary, (candidate) => {
        expect(parseCandidate(formatCandidate(candidate))).toEqual({ ok: true, candidate });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on garbage (property)', () => {
    const words = fc.array(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom(
          'candidate:1',
          'udp',
          'tcp',
          'typ',
          'host',
          'raddr',
          'rport',
          'tcptype',
          '1',
          '65536',
        ),
      ),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          words.map((parts) => parts.join(' ')),
        ),
        (text) => {
          const result = parseCandidate(text);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
    expect(parseCandidate(undefined as unknown as string).ok).toBe(false);
  });
});
