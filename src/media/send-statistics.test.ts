/** Sender-side counters and sender reports (RFC 3550 §6.4.1). */
import { describe, expect, it } from 'vitest';
import { decodeSenderReport } from '../rtcp/sender-report.js';
import { ForwardingError } from './forwarding-errors.js';
import { ntpFromUnixMs, ntpMiddle32FromUnixMs, SendStatistics } from './send-statistics.js';

describe('NTP time', () => {
  it('converts Unix milliseconds to 32.32 NTP', () => {
    expect(ntpFromUnixMs(0)).toBe(2208988800n << 32n);
    // 1.5 s after the Unix epoch: fraction 0x80000000.
    expect(ntpFromUnixMs(1500)).toBe(((2208988800n + 1n) << 32n) | 0x80000000n);
    // 2024-01-01T00:00:00Z.
    expect(ntpFromUnixMs(1704067200000) >> 32n).toBe(3913056000n);
  });

  it('takes the middle 32 bits', () => {
    expect(ntpMiddle32FromUnixMs(1500)).toBe((((2208988801 & 0xffff) << 16) | 0x8000) >>> 0);
  });
});

describe('SendStatistics', () => {
  it('counts packets and payload octets and extrapolates the RTP timestamp', () => {
    const stats = new SendStatistics(0xdeadbeef, 90000);
    expect(stats.senderReport(0)).toBeUndefined();
    expect(stats.writeSenderReportTo(new Uint8Array(100), 0, 0)).toBe(0);
    stats.onPacket(1000, 1200, 10_000);
    stats.onPacket(1000, 800, 10_005); // same frame: the mapping stays at its first packet
    stats.onPacket(4000, 100, 10_033);
    stats.onPacket(3000, 100, 10_040); // late older frame: ignored for the mapping
    expect(stats.packetsSent).toBe(4);
    expect(stats.octetsSent).toBe(2200);
    expect(stats.rtpTimestampAt(10_033)).toBe(4000);
    expect(stats.rtpTimestampAt(11_033)).toBe(94000);
  });

  it('handles timestamp wrap', () => {
    const stats = new SendStatistics(1, 90000);
    stats.onPacket(0xfffffff0, 10, 0);
    stats.onPacket(0x10, 10, 1);
    expect(stats.rtpTimestampAt(1)).toBe(0x10);
  });

  it('writes a sender report that decodes to the counters', () => {
    const stats = new SendStatistics(0xdeadbeef, 48000);
    stats.onPacket(960, 100, 1_700_000_000_000);
    const buf = new Uint8Array(100);
    const block = {
      ssrc: 5,
      fractionLost: 1,
      cumulativeLost: 2,
      extendedHighestSequence: 3,
      jitter: 4,
      lastSenderReport: 0,
      delaySinceLastSenderReport: 0,
    };
    const length = stats.writeSenderReportTo(buf, 4, 1_700_000_000_500, [block]);
    expect(length).toBe(52);
    const decoded = decodeSenderReport(buf.subarray(4, 4 + length));
    expect(decoded.ok && decoded.value).toMatchObject({
      ssrc: 0xdeadbeef,
      ntpTimestamp: ntpFromUnixMs(1_700_000_000_500),
      rtpTimestamp: 960 + 24000,
      packetCount: 1,
      octetCount: 100,
      reports: [block],
    });
    expect(() => stats.writeSenderReportTo(new Uint8Array(20), 0, 0)).toThrow(ForwardingError);
  });

  it('computes the RTT from a report block answering our SR', () => {
    const stats = new SendStatistics(1, 90000);
    stats.onPacket(0, 10, 0);
    const sentAt = 1_700_000_000_000;
    const report = stats.senderReport(sentAt)!;
    const lsr = Number((report.ntpTimestamp >> 16n) & 0xffffffffn);
    // The receiver held the SR for 250 ms; the block arrives 330 ms after the SR left: RTT 80 ms.
    const block = {
      ssrc: 1,
      fractionLost: 0,
      cumulativeLost: 0,
      extendedHighestSequence: 0,
      jitter: 0,
      lastSenderReport: lsr,
      delaySinceLastSenderReport: 250 * 65.536,
    };
    expect(stats.roundTripTimeMs(block, sentAt + 330)).toBeCloseTo(80, 0);
    expect(stats.roundTripTimeMs({ ...block, lastSenderReport: 0 }, sentAt + 330)).toBe(-1);
    expect(() => new SendStatistics(1, -1)).toThrow(ForwardingError);
  });
});
