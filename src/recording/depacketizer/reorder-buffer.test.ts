/**
 * The reorder buffer: in-order release, reordering, duplicates, late
 * packets, loss by count and by time, the 16-bit wrap (RFC 3550 A.1),
 * restarts, and a property over shuffles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer, type ReorderBufferOptions } from './reorder-buffer.js';

type Event = number | `lost ${number}`;

function harness(options?: ReorderBufferOptions) {
  const events: Event[] = [];
  const buffer = new ReorderBuffer<number>(
    { packet: (item) => events.push(item), loss: (count) => events.push(`lost ${count}`) },
    options,
  );
  return { buffer, events, push: (seq: number, now = 0) => buffer.push(seq, seq, now) };
}

describe('ReorderBuffer', () => {
  it('releases in-order packets at once', () => {
    const { push, events, buffer } = harness();
    for (const seq of [10, 11, 12]) expect(push(seq)).toBe('accepted');
    expect(events).toEqual([10, 11, 12]);
    expect(buffer.size).toBe(0);
  });

  it('holds packets behind a gap and releases them when it fills', () => {
    const { push, events, buffer } = harness();
    push(1);
    push(3);
    push(4);
    expect(events).toEqual([1]);
    expect(buffer.size).toBe(2);
    push(2);
    expect(events).toEqual([1, 2, 3, 4]);
  });

  it('drops duplicates and late packets and counts them', () => {
    const { push, events, buffer } = harness();
    push(1);
    push(3);
    expect(push(3)).toBe('duplicate');
    push(2);
    expect(push(2)).toBe('late');
    expect(push(1)).toBe('late');
    expect(events).toEqual([1, 2, 3]);
    expect(buffer.stats).toMatchObject({ duplicates: 1, late: 2, lost: 0 });
  });

  it('gives a gap up when maxPackets wait behind it', () => {
    const { push, events } = harness({ maxPackets: 3 });
    push(1);
    push(3);
    push(4);
    expect(events).toEqual([1]);
    push(5);
    expect(events).toEqual([1, 'lost 1', 3, 4, 5]);
    // The lost packet arriving now is late.
    expect(push(2)).toBe('late');
  });

  it('gives a gap up when the oldest waiting packet is maxDelayMs old', () => {
    const { buffer, push, events } = harness({ maxDelayMs: 200 });
    push(1, 0);
    push(4, 10);
    buffer.poll(150);
    expect(events).toEqual([1]);
    buffer.poll(210);
    expect(events).toEqual([1, 'lost 2', 4]);
  });

  it('unwraps sequence numbers across 65535 → 0, in and out of order', () => {
    const { push, events } = harness();
    for (const seq of [65_533, 65_535, 65_534, 1, 0, 2]) push(seq);
    expect(events).toEqual([65_533, 65_534, 65_535, 0, 1, 2]);
  });

  it('resynchronizes on a jump forward beyond maxJump, reporting the gap', () => {
    const { push, events, buffer } = harness({ maxJump: 1000 });
    push(100);
    push(5000);
    push(5001);
    expect(events).toEqual([100, 'lost 4899', 5000, 5001]);
    expect(buffer.stats.resyncs).toBe(1);
  });

  it('resynchronizes when a whole window of packets comes from the past (a restarted sender)', () => {
    const { push, events } = harness({ maxPackets: 4 });
    push(30_000);
    for (const seq of [10, 11, 12]) expect(push(seq)).toBe('late');
    expect(push(13)).toBe('accepted');
    push(14);
    expect(events).toEqual([30_000, 'lost 1', 13, 14]);
  });

  it('flushes held packets in order at the end, reporting gaps', () => {
    const { buffer, push, events } = harness();
    push(1);
    push(5);
    push(3);
    buffer.flush();
    expect(events).toEqual([1, 'lost 1', 3, 'lost 1', 5]);
    buffer.reset();
    push(9);
    expect(events[events.length - 1]).toBe(9);
  });

  it('releases any shuffle within the window in order with no loss, whatever the start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer(),
        (start, count, window, seed) => {
          const { buffer, events } = harness();
          // The first packet arrives first; the rest move by up to `window` places.
          let state = seed;
          const rand = () => {
            state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
            return ((state >>> 8) & 0xffff) / 0x10000;
          };
          const rest = Array.from({ length: count - 1 }, (_, i) => ({
            seq: i + 1,
            key: i + rand() * window,
          }));
          rest.sort((a, b) => a.key - b.key);
          const order = [0, ...rest.map((r) => r.seq)];
          for (const offset of order) buffer.push((start + offset) & 0xffff, offset, 0);
          buffer.flush();
          expect(events).toEqual(Array.from({ length: count }, (_, i) => i));
          expect(buffer.stats.lost).toBe(0);
        },
      ),
    );
  });
});
