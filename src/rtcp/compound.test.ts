/** Compound RTCP (RFC 3550 §6.1, Appendix A.2): splitting, joining and dispatch by type. */
import { describe, expect, it } from 'vitest';
import { joinRtcpCompoundTo, rtcpCompoundSize, splitRtcpCompound } from './compound.js';
import { decodeRtcpCompound, decodeRtcpPacket } from './packet.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

const rr = hex('80 c9 00 01 11 22 33 44');
const sdes = hex(`81 ca 00 06 11 22 33 44 01 10 ${Buffer.from('4TOk42mSjXCkVIa6').toString('hex')} 00 00`);
const pli = hex('81 ce 00 02 00 00 00 01 11 22 33 44');
const app = hex('80 cc 00 02 11 22 33 44 61 62 63 64');

describe('splitRtcpCompound', () => {
  it('walks the length fields and returns views', () => {
    const datagram = Buffer.concat([rr, sdes, pli]);
    const split = splitRtcpCompound(datagram);
    if (!split.ok) throw split.error;
    expect(split.value.map((p) => [p.packetType, p.count, p.offset, p.bytes.length])).toEqual([
      [201, 0, 0, 8],
      [202, 1, 8, 28],
      [206, 1, 36, 12],
    ]);
    datagram[36 + 11] = 0x55;
    expect(split.value[2].bytes[11]).toBe(0x55);
  });

  it('returns typed errors for bad datagrams', () => {
    const code = (buf: Buffer) => {
      const result = splitRtcpCompound(buf);
      return result.ok ? 'ok' : `${result.error.code}@${result.error.offset}`;
    };
    expect(code(hex(''))).toBe('ERR_RTCP_TOO_SHORT@0');
    expect(code(Buffer.concat([rr, hex('80 c9')]))).toBe('ERR_RTCP_TOO_SHORT@8');
    expect(code(Buffer.concat([rr, hex('40 c9 00 01 11 22 33 44')]))).toBe('ERR_RTCP_BAD_VERSION@8');
    expect(code(Buffer.concat([rr, hex('80 c9 00 02 11 22 33 44')]))).toBe('ERR_RTCP_BAD_LENGTH@8');
    expect(code(Buffer.concat([hex('a0 c9 00 01 11 22 33 04'), rr]))).toBe('ERR_RTCP_BAD_PADDING@0');
    expect(code(Buffer.concat([rr, hex('a0 c9 00 02 11 22 33 44 00 00 00 04')]))).toBe('ok');
  });
});

describe('joinRtcpCompoundTo', () => {
  it('copies packets back to back at an offset', () => {
    const out = Buffer.alloc(60, 0xee);
    const packets = [rr, sdes, pli];
    expect(joinRtcpCompoundTo(out, 2, packets)).toBe(rtcpCompoundSize(packets));
    expect(out.subarray(2, 50)).toEqual(Buffer.concat(packets));
    expect(out[50]).toBe(0xee);
    expect(() => joinRtcpCompoundTo(Buffer.alloc(10), 0, packets)).toThrow(/do not fit/);
    expect(() => joinRtcpCompoundTo(Buffer.alloc(10), 0, [hex('80 c9 00')])).toThrow(/malformed/);
  });
});

describe('decodeRtcpCompound', () => {
  it('decodes each packet by type and keeps unknown ones', () => {
    const decoded = decodeRtcpCompound(Buffer.concat([rr, sdes, pli, app]));
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value.map((p) => p.kind)).toEqual([
      'receiver-report',
      'source-description',
      'picture-loss-indication',
      'unknown',
    ]);
    const single = decodeRtcpPacket(pli);
    expect(single).toMatchObject({
      ok: true,
      value: { kind: 'picture-loss-indication', packet: { mediaSsrc: 0x11223344 } },
    });
  });

  it('fails the whole datagram on one bad packet, reporting the offset in the datagram', () => {
    const broken = Buffer.concat([rr, hex('81 cd 00 02 00 00 00 01 11 22 33 44')]);
    const decoded = decodeRtcpCompound(broken);
    expect(decoded).toMatchObject({ ok: false, error: { code: 'ERR_RTCP_BAD_FORMAT', offset: 8 + 12 } });
  });
});
