import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrameHeaderTo, FRAME_HEADER_SIZE, frameSize, Rfc4571Framer } from './framing.js';

function encodeFrames(packets: Buffer[]): Buffer {
  const out = Buffer.alloc(packets.reduce((sum, packet) => sum + frameSize(packet.length), 0));
  let offset = 0;
  for (const packet of packets) {
    offset += encodeFrameHeaderTo(out, offset, packet.length);
    offset += packet.copy(out, offset);
  }
  return out;
}

/** Splits the stream at the given cut points (positions, any order, duplicates allowed). */
function split(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(stream.subarray(start, point));
    start = point;
  }
  chunks.push(stream.subarray(start));
  return chunks;
}

describe('RFC 4571 framing', () => {
  it('writes a 16-bit big-endian length prefix', () => {
    const buf = Buffer.alloc(2);
    expect(encodeFrameHeaderTo(buf, 0, 0x1234)).toBe(FRAME_HEADER_SIZE);
    expect([...buf]).toEqual([0x12, 0x34]);
    expect(() => encodeFrameHeaderTo(buf, 0, 65536)).toThrow(RangeError);
    expect(() => encodeFrameHeaderTo(buf, 0, -1)).toThrow(RangeError);
  });

  it('hands out views for frames within a chunk and copies those that span chunks', () => {
    const stream = encodeFrames([Buffer.from('abc'), Buffer.from('defgh')]);
    const frames: Buffer[] = [];
    const framer = new Rfc4571Framer((frame) => frames.push(frame));
    framer.push(stream.subarray(0, 9)); // first frame whole, second one cut after its header and "de"
    expect(frames.map(String)).toEqual(['abc']);
    expect(frames[0].buffer).toBe(stream.buffer);
    expect(framer.buffered).toBe(4);
    framer.push(stream.subarray(9));
    expect(frames.map(String)).toEqual(['abc', 'defgh']);
    expect(frames[1].buffer).not.toBe(stream.buffer);
    expect(framer.buffered).toBe(0);
  });

  it('handles a length prefix split across chunks, empty frames and the largest frame', () => {
    const big = Buffer.alloc(65535, 7);
    const stream = encodeFrames([Buffer.alloc(0), big, Buffer.from('x')]);
    const frames: Buffer[] = [];
    const framer = new Rfc4571Framer((frame) => frames.push(Buffer.from(frame)));
    for (let i = 0; i < stream.length; i += 1 + (i % 3)) framer.push(stream.subarray(i, i + 1 + (i % 3)));
    expect(frames.map((frame) => frame.length)).toEqual([0, 65535, 1]);
    expect(frames[1].equals(big)).toBe(true);
  });

  it('stops when told to, even in the middle of a chunk', () => {
    const stream = encodeFrames([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    const frames: string[] = [];
    const framer = new Rfc4571Framer((frame) => {
      frames.push(String(frame));
      if (frames.length === 2) framer.stop();
    });
    framer.push(stream);
    framer.push(stream);
    expect(frames).toEqual(['a', 'b']);
  });

  it('gives the same frames however the stream is split (property)', () => {
    const packet = fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 300 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 3000 }) },
    );
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (packets, cuts) => {
          const buffers = packets.map((bytes) => Buffer.from(bytes));
          const stream = encodeFrames(buffers);
          const frames: Buffer[] = [];
          const framer = new Rfc4571Framer((frame) => frames.push(Buffer.from(frame)));
          for (const chunk of split(stream, cuts)) framer.push(chunk);
          expect(frames).toEqual(buffers);
          expect(framer.buffered).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes and holds at most one frame (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
        const framer = new Rfc4571Framer(() => {});
        for (const chunk of chunks) framer.push(Buffer.from(chunk));
        expect(framer.buffered).toBeLessThanOrEqual(FRAME_HEADER_SIZE + 65535);
      }),
    );
  });
});
