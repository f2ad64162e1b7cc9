/** PacketCache: storage by sequence number, wrap, eviction by count and by age. */
import { describe, expect, it } from 'vitest';
import { ForwardingError } from './forwarding-errors.js';
import { PacketCache } from './packet-cache.js';

const packet = (seq: number, length = 20) => {
  const bytes = Buffer.alloc(length, seq & 0xff);
  bytes[0] = 0x80;
  bytes[2] = seq >>> 8;
  bytes[3] = seq & 0xff;
  return bytes;
};

describe('PacketCache', () => {
  it('returns a copy of what was stored', () => {
    const cache = new PacketCache({ capacity: 8 });
    const original = packet(100);
    expect(cache.insert(100, original, 0)).toBe(true);
    original.fill(0);
    expect(cache.get(100, 10)).toEqual(packet(100));
    expect(cache.arrivalTime(100, 10)).toBe(0);
    expect(cache.get(101, 10)).toBeUndefined();
    expect(cache.arrivalTime(101, 10)).toBe(-1);
  });

  it('keeps only the last `capacity` packets', () => {
    const cache = new PacketCache({ capacity: 4 });
    for (let seq = 0; seq < 10; seq++) cache.insert(seq, packet(seq), 0);
    expect(cache.get(5, 0)).toBeUndefined();
    for (let seq = 6; seq < 10; seq++) expect(cache.get(seq, 0)).toEqual(packet(seq));
  });

  it('refuses a late packet older than the window, and accepts a late one inside it', () => {
    const cache = new PacketCache({ capacity: 4 });
    cache.insert(10, packet(10), 0);
    cache.insert(14, packet(14), 0);
    expect(cache.insert(10 - 1, packet(9), 0)).toBe(false);
    expect(cache.insert(12, packet(12), 0)).toBe(true);
    expect(cache.get(12, 0)).toEqual(packet(12));
    expect(cache.get(14, 0)).toEqual(packet(14));
  });

  it('works across the 16-bit wrap', () => {
    const cache = new PacketCache({ capacity: 16 });
    for (let i = 0; i < 10; i++) cache.insert((0xfffa + i) & 0xffff, packet((0xfffa + i) & 0xffff), 0);
    expect(cache.get(0xfffb, 0)).toEqual(packet(0xfffb));
    expect(cache.get(3, 0)).toEqual(packet(3));
  });

  it('does not return packets older than maxAgeMs', () => {
    const cache = new PacketCache({ capacity: 16, maxAgeMs: 100 });
    cache.insert(1, packet(1), 1000);
    expect(cache.get(1, 1100)).toBeDefined();
    expect(cache.get(1, 1101)).toBeUndefined();
  });

  it('skips packets longer than a slot and forgets everything on clear()', () => {
    const cache = new PacketCache({ capacity: 4, slotSize: 32 });
    expect(cache.insert(1, packet(1, 33), 0)).toBe(false);
    expect(cache.insert(2, packet(2, 32), 0)).toBe(true);
    cache.clear();
    expect(cache.get(2, 0)).toBeUndefined();
    expect(cache.insert(500, packet(500), 0)).toBe(true);
    expect(cache.get(500, 0)).toEqual(packet(500));
  });

  it('does not mistake a packet 2^16 sequence numbers later for an older one', () => {
    const cache = new PacketCache({ capacity: 1000 });
    cache.insert(7, packet(7), 0);
    for (let i = 1; i <= 0x10000; i++) cache.insert((7 + i) & 0xffff, packet((7 + i) & 0xffff, 14), 0);
    // 7 again is the newest packet now, 14 bytes long.
    expect(cache.get(7, 0)?.length).toBe(14);
  });

  it('rejects bad options', () => {
    expect(() => new PacketCache({ capacity: 0 })).toThrow(ForwardingError);
    expect(() => new PacketCache({ slotSize: 5 })).toThrow(ForwardingError);
  });
});
