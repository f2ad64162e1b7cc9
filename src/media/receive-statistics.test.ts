/** Reception statistics (RFC 3550 A.1, A.3, A.8) and NACK generation (RFC 4585 §6.2.1). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nackPairsFromSequenceNumbers, nackSequenceNumbers } from '../rtcp/nack.js';
import { decodeReceiverReport, encodeReceiverReportTo, receiverReportSize } from '../rtcp/receiver-report.js';
import type { ReportBlock } from '../rtcp/report-block.js';
import { ForwardingError } from './forwarding-errors.js';
import { NackGenerator, ReceiveStatistics } from './receive-statistics.js';

describe('ReceiveStatistics', () => {
  it('reports nothing before the first packet', () => {
    expect(new ReceiveStatistics(1, 90000).buildReportBlock(0)).toBeUndefined();
    expect(() => new ReceiveStatistics(1, 0)).toThrow(ForwardingError);
  });

  it('counts losses and the fraction lost per interval (A.3)', () => {
    const stats = new ReceiveStatistics(0x11223344, 90000);
    for (let seq = 100; seq < 200; seq++) if (seq % 4 !== 0) stats.onPacket(seq, seq * 3000, seq * 33);
    // 100 was lost before anything arrived, so counting starts at 101: 99 expected, every 4th
    // of 104..196 lost (24), 75 received.
    const first = stats.buildReportBlock(10_000)!;
    expect(first.ssrc).toBe(0x11223344);
    expect(first.extendedHighestSequence).toBe(199);
    expect(first.cumulativeLost).toBe(24);
    expect(first.fractionLost).toBe(Math.floor((24 * 256) / 99));
    // A clean interval: fraction 0, cumulative unchanged.
    for (let seq = 200; seq < 300; seq++) stats.onPacket(seq, seq * 3000, seq * 33);
    const second = stats.buildReportBlock(20_000)!;
    expect(second.fractionLost).toBe(0);
    expect(second.cumulativeLost).toBe(24);
  });

  it('extends the highest number across the wrap and counts duplicates (negative loss)', () => {
    const stats = new ReceiveStatistics(1, 48000);
    stats.onPacket(0xfffe, 0, 0);
    stats.onPacket(0xffff, 960, 20);
    stats.onPacket(0, 1920, 40);
    stats.onPacket(1, 2880, 60);
    expect(stats.extendedHighestSequence).toBe(0x10001);
    stats.onPacket(1, 2880, 61);
    stats.onPacket(0, 1920, 62);
    expect(stats.cumulativeLost).toBe(-2);
    expect(stats.buildReportBlock(100)!.fractionLost).toBe(0);
  });

  it('ignores one far jump but follows two sequential ones as a restart (A.1)', () => {
    const stats = new ReceiveStatistics(1, 90000);
    stats.onPacket(10, 0, 0);
    stats.onPacket(11, 0, 0);
    expect(stats.onPacket(20000, 0, 0)).toBe(false);
    expect(stats.extendedHighestSequence).toBe(11);
    expect(stats.onPacket(20001, 0, 0)).toBe(true);
    expect(stats.extendedHighestSequence).toBe(20001);
    expect(stats.packetsReceived).toBe(1);
    expect(stats.cumulativeLost).toBe(0);
  });

  it('estimates jitter as in A.8', () => {
    const stats = new ReceiveStatistics(1, 8000);
    // 20 ms packets (160 ticks) that arrive alternately 0 and 10 ms late: |D| = 80 ticks each time.
    let expected = 0;
    for (let i = 0; i < 50; i++) {
      stats.onPacket(i, i * 160, i * 20 + (i % 2) * 10);
      if (i > 0) expected += (80 - expected) / 16;
    }
    expect(stats.jitter).toBeCloseTo(expected, 9);
    expect(stats.buildReportBlock(1000)!.jitter).toBe(Math.floor(expected));
  });

  it('does not count packets of one frame (same timestamp) as jitter', () => {
    const stats = new ReceiveStatistics(1, 90000);
    for (let i = 0; i < 10; i++) stats.onPacket(i, 3000 * Math.floor(i / 5), 33 * Math.floor(i / 5) + i);
    // One sample, between the first packets of the two frames: they arrive 38 ms apart for a
    // timestamp step of 3000 ticks (33.3 ms), |D| = 3420 − 3000 = 420 ticks, J = 420/16.
    expect(stats.jitter).toBeCloseTo(420 / 16, 6);
  });

  it('fills LSR and DLSR from the last sender report', () => {
    const stats = new ReceiveStatistics(1, 90000);
    stats.onPacket(1, 0, 0);
    expect(stats.buildReportBlock(0)).toMatchObject({ lastSenderReport: 0, delaySinceLastSenderReport: 0 });
    stats.onSenderReport(0xaabbccdd_eeff0011n, 1000);
    const out = {} as ReportBlock;
    expect(stats.buildReportBlock(1500, out)).toBe(out);
    expect(out.lastSenderReport).toBe(0xccddeeff);
    expect(out.delaySinceLastSenderReport).toBe(32768);
  });

  it('produces blocks the RR encoder accepts for any packet sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 200 }),
        (sequences) => {
          const stats = new ReceiveStatistics(7, 90000);
          sequences.forEach((seq, i) => {
            stats.onPacket(seq, i * 3000, i * 33);
          });
          const block = stats.buildReportBlock(10_000)!;
          const rr = { ssrc: 1, reports: [block], profileExtension: new Uint8Array(0) };
          const buf = new Uint8Array(receiverReportSize(rr));
          encodeReceiverReportTo(buf, 0, rr);
          const decoded = decodeReceiverReport(buf);
          expect(decoded.ok && decoded.value.reports[0]).toEqual(block);
        },
      ),
    );
  });
});

describe('NackGenerator', () => {
  it('asks for a gap at once, then again only after an RTT', () => {
    const nack = new NackGenerator({ initialRttMs: 50 });
    const out: number[] = [];
    nack.onPacket(10, 0);
    nack.onPacket(14, 0);
    expect(nack.missingCount).toBe(3);
    expect(nack.collect(0, out)).toBe(3);
    expect(out).toEqual([11, 12, 13]);
    expect(nack.collect(49, out)).toBe(0);
    nack.onPacket(12, 30); // retransmission arrived
    expect(nack.collect(50, out)).toBe(2);
    expect(out).toEqual([11, 13]);
    expect(nackPairsFromSequenceNumbers(out)).toEqual([{ packetId: 11, lostBitmask: 0b10 }]);
  });

  it('gives up after maxRetries', () => {
    const nack = new NackGenerator({ maxRetries: 3, initialRttMs: 10 });
    const out: number[] = [];
    nack.onPacket(1, 0);
    nack.onPacket(3, 0);
    let total = 0;
    for (let t = 0; t <= 100; t += 10) total += nack.collect(t, out);
    expect(total).toBe(3);
    expect(nack.missingCount).toBe(0);
    expect(nack.packetsAbandoned).toBe(1);
    expect(nack.requestsSent).toBe(3);
  });

  it('waits reorderDelayMs before the first request', () => {
    const nack = new NackGenerator({ reorderDelayMs: 20 });
    const out: number[] = [];
    nack.onPacket(1, 0);
    nack.onPacket(3, 0);
    expect(nack.collect(10, out)).toBe(0);
    nack.onPacket(2, 15);
    expect(nack.collect(30, out)).toBe(0);
  });

  it('follows the wrap and keeps NACK order', () => {
    const nack = new NackGenerator();
    const out: number[] = [];
    nack.onPacket(0xfffd, 0);
    nack.onPacket(2, 0);
    nack.collect(0, out);
    expect(out).toEqual([0xfffe, 0xffff, 0, 1]);
    expect(nackSequenceNumbers(nackPairsFromSequenceNumbers(out))).toEqual(out);
  });

  it('signals a gap wider than the window so the caller asks for a key frame', () => {
    const nack = new NackGenerator({ windowSize: 16 });
    const out: number[] = [];
    nack.onPacket(0, 0);
    expect(nack.onPacket(10, 0)).toBe(false);
    expect(nack.onPacket(100, 0)).toBe(true);
    expect(nack.missingCount).toBe(15);
    nack.collect(0, out);
    expect(out[0]).toBe(85);
    expect(out.at(-1)).toBe(99);
    expect(nack.packetsAbandoned).toBe(9);
  });

  it('forgets losses before a key frame', () => {
    const nack = new NackGenerator();
    const out: number[] = [];
    nack.onPacket(0, 0);
    nack.onPacket(10, 0);
    nack.forgetBefore(5);
    nack.collect(0, out);
    expect(out).toEqual([5, 6, 7, 8, 9]);
    nack.reset();
    expect(nack.missingCount).toBe(0);
  });

  it('keeps missingCount equal to what collect() can still return, for any arrivals', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (arrivals) => {
        const nack = new NackGenerator({ windowSize: 64, maxRetries: 1 });
        const received = new Set<number>();
        for (const seq of arrivals) {
          nack.onPacket(seq, 0);
          received.add(seq);
        }
        const out: number[] = [];
        const count = nack.missingCount;
        expect(nack.collect(0, out)).toBe(count);
        for (const seq of out) expect(received.has(seq)).toBe(false);
        expect(nack.missingCount).toBe(0);
      }),
    );
  });
});
