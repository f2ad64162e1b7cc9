/** RtpStreamRewriter: offsets, switches, reordering, wrap and NACK translation. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ForwardingError } from './forwarding-errors.js';
import { RtpStreamRewriter } from './sequence-rewriter.js';

function rewritten(rewriter: RtpStreamRewriter, seq: number, ts: number, nowMs: number) {
  return rewriter.rewrite(seq, ts, nowMs) ? [rewriter.sequence, rewriter.timestamp] : undefined;
}

describe('RtpStreamRewriter', () => {
  it('passes the first source through unchanged', () => {
    const r = new RtpStreamRewriter({ clockRate: 90000 });
    expect(r.hasSent).toBe(false);
    expect(rewritten(r, 100, 5000, 0)).toEqual([100, 5000]);
    expect(rewritten(r, 101, 8000, 33)).toEqual([101, 8000]);
    expect(r.hasSent).toBe(true);
  });

  it('continues after a switch with seq + 1 and the elapsed time in ticks', () => {
    const r = new RtpStreamRewriter({ clockRate: 90000 });
    r.rewrite(100, 5000, 1000);
    r.rewrite(101, 8000, 1033);
    r.switchSource();
    // 100 ms later a different source starts at unrelated numbers.
    expect(rewritten(r, 40000, 123456789, 1133)).toEqual([102, 8000 + 9000]);
    expect(rewritten(r, 40001, 123456789 + 3000, 1166)).toEqual([103, 17000 + 3000]);
  });

  it('advances the timestamp by at least one tick', () => {
    const r = new RtpStreamRewriter({ clockRate: 48000 });
    r.rewrite(1, 960, 10);
    r.switchSource();
    expect(rewritten(r, 9, 0, 10)).toEqual([2, 961]);
  });

  it('wraps both counters modulo their width', () => {
    const r = new RtpStreamRewriter({ clockRate: 90000 });
    r.rewrite(0xffff, 0xffffff00, 0);
    r.switchSource();
    expect(rewritten(r, 500, 0, 1000)).toEqual([0, (0xffffff00 + 90000) >>> 0]);
    expect(rewritten(r, 501, 3000, 1033)).toEqual([1, (0xffffff00 + 93000) >>> 0]);
  });

  it('maps reordered packets and drops those older than the switch point', () => {
    const r = new RtpStreamRewriter({ clockRate: 90000 });
    r.rewrite(10, 0, 0);
    r.switchSource();
    expect(rewritten(r, 200, 0, 40)).toEqual([11, 3600]);
    expect(rewritten(r, 202, 3000, 50)).toEqual([13, 6600]);
    // 201 was reordered: it fills the hole and does not move the continuation point.
    expect(rewritten(r, 201, 0, 51)).toEqual([12, 3600]);
    expect(r.lastSequence).toBe(13);
    // 199 belongs to the new source but precedes the switch: it would reuse 10.
    expect(r.rewrite(199, 0, 52)).toBe(false);
    expect(r.droppedPackets).toBe(1);
  });

  it('handles a source whose numbers wrap after the switch', () => {
    const r = new RtpStreamRewriter({ clockRate: 90000 });
    r.rewrite(7, 0, 0);
    r.switchSource();
    expect(rewritten(r, 0xfffe, 0, 10)?.[0]).toBe(8);
    expect(rewritten(r, 0xffff, 0, 10)?.[0]).toBe(9);
    expect(rewritten(r, 0, 0, 10)?.[0]).toBe(10);
    expect(r.rewrite(0xfffd, 0, 10)).toBe(false);
  });

  it('translates outgoing numbers back for NACKs, with the source generation', () => {
    const r = new RtpStreamRewriter({ clockRate: 90000, historySize: 16 });
    r.rewrite(1000, 0, 0);
    r.rewrite(1001, 0, 0);
    r.switchSource();
    r.rewrite(5, 0, 100);
    expect(r.lookup(1001)).toBe(1001);
    expect(r.lookupGeneration).toBe(0);
    expect(r.lookup(1002)).toBe(5);
    expect(r.lookupGeneration).toBe(1);
    expect(r.lookup(1003)).toBe(-1);
    // After 16 more packets the oldest entries are forgotten.
    for (let i = 6; i < 22; i++) r.rewrite(i, 0, 100);
    expect(r.lookup(1000)).toBe(-1);
    expect(r.lookup(1002)).toBe(-1);
    expect(r.lookup(1002 + 16)).toBe(21);
  });

  it('rejects bad options with a typed error', () => {
    expect(() => new RtpStreamRewriter({ clockRate: 0 })).toThrow(ForwardingError);
    expect(() => new RtpStreamRewriter({ clockRate: 90000, historySize: 0 })).toThrow(ForwardingError);
  });

  it('produces a gap-free strictly increasing stream across random switches', () => {
    // Each source sends a run of consecutive packets from a random start.
    const run = fc.record({
      start: fc.integer({ min: 0, max: 0xffff }),
      tsStart: fc.integer({ min: 0, max: 0xffffffff }),
      length: fc.integer({ min: 1, max: 40 }),
      gapMs: fc.integer({ min: 0, max: 5000 }),
    });
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 8 }), (runs) => {
        const r = new RtpStreamRewriter({ clockRate: 90000 });
        let now = 0;
        let expectedSeq: number | undefined;
        let previousTs: number | undefined;
        for (const { start, tsStart, length, gapMs } of runs) {
          now += gapMs;
          r.switchSource();
          for (let i = 0; i < length; i++) {
            expect(r.rewrite((start + i) & 0xffff, (tsStart + i * 3000) >>> 0, now)).toBe(true);
            if (expectedSeq !== undefined) expect(r.sequence).toBe(expectedSeq);
            if (previousTs !== undefined) {
              const advance = (r.timestamp - previousTs) >>> 0;
              expect(advance).toBeGreaterThan(0);
              expect(advance).toBeLessThan(0x80000000);
            }
            expectedSeq = (r.sequence + 1) & 0xffff;
            previousTs = r.timestamp;
            expect(r.lookup(r.sequence)).toBe((start + i) & 0xffff);
            now += 1;
          }
        }
      }),
    );
  });
});
