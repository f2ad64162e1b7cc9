import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeType, MessageClass, Method, StunMessageBuilder } from '../stun/index.js';
import { encodeChannelData } from './channel-data.js';
import { StreamFramer, streamFrameSize } from './stream-framer.js';

function collect(chunks: Buffer[]): { frames: Buffer[]; error: string | undefined } {
  const frames: Buffer[] = [];
  const framer = new StreamFramer((frame) => frames.push(Buffer.from(frame)));
  let error: string | undefined;
  for (const chunk of chunks) error = framer.push(chunk) ?? error;
  return { frames, error };
}

/** Splits a buffer at the given cut points. */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    chunks.push(data.subarray(last, point));
    last = point;
  }
  chunks.push(data.subarray(last));
  return chunks;
}

const stunFrame = fc
  .record({ software: fc.string({ maxLength: 60 }), id: fc.uint8Array({ minLength: 12, maxLength: 12 }) })
  .map(({ software, id }) =>
    StunMessageBuilder.create(Method.Binding, MessageClass.Request, Buffer.from(id))
      .add(AttributeType.Software, software)
      .build(),
  );
const channelFrame = fc
  .record({ channel: fc.integer({ min: 0x4000, max: 0x7fff }), data: fc.uint8Array({ maxLength: 300 }) })
  .map(({ channel, data }) => encodeChannelData(channel, data, true));

describe('streamFrameSize', () => {
  it('needs four bytes to know a size', () => {
    expect(streamFrameSize(Buffer.from([0x00, 0x01, 0x00]))).toBe(0);
  });

  it('sizes STUN by its header and ChannelData with padding', () => {
    expect(streamFrameSize(Buffer.from([0x00, 0x01, 0x00, 0x08]))).toBe(28);
    expect(streamFrameSize(Buffer.from([0x40, 0x00, 0x00, 0x05]))).toBe(12);
    expect(streamFrameSize(Buffer.from([0x40, 0x00, 0x00, 0x00]))).toBe(4);
    expect(streamFrameSize(Buffer.from([0x7f, 0xff, 0xff, 0xff]))).toBe(4 + 65_536);
  });

  it('refuses bytes that start neither STUN nor ChannelData, and unaligned STUN lengths', () => {
    expect(streamFrameSize(Buffer.from([0x80, 0, 0, 0]))).toBe('ERR_TURN_STREAM_BAD_FRAME');
    expect(streamFrameSize(Buffer.from([0x16, 0x03, 0x01, 0x02]))).toBe('ERR_TURN_STREAM_BAD_LENGTH');
  });
});

describe('StreamFramer', () => {
  it('returns each frame of one chunk as a view', () => {
    const a = encodeChannelData(0x4001, Buffer.from('hello'), true);
    const b = encodeChannelData(0x4002, Buffer.from('world!!!'), true);
    const { frames, error } = collect([Buffer.concat([a, b])]);
    expect(error).toBeUndefined();
    expect(frames).toEqual([a, b]);
  });

  it('reassembles a frame split byte by byte, header included', () => {
    const message = StunMessageBuilder.create(Method.Binding, MessageClass.Request)
      .add(AttributeType.Software, 'split me')
      .build();
    const bytes = [...message].map((byte) => Buffer.from([byte]));
    const { frames, error } = collect(bytes);
    expect(error).toBeUndefined();
    expect(frames).toEqual([message]);
  });

  it('stops at a byte that cannot start a frame and stays stopped', () => {
    const good = encodeChannelData(0x4001, Buffer.from('x'), true);
    const frames: Buffer[] = [];
    const framer = new StreamFramer((frame) => frames.push(Buffer.from(frame)));
    expect(framer.push(Buffer.concat([good, Buffer.from([0xff, 1, 2, 3])]))).toBe(
      'ERR_TURN_STREAM_BAD_FRAME',
    );
    expect(framer.push(good)).toBe('ERR_TURN_STREAM_BAD_FRAME');
    expect(frames).toEqual([good]);
    expect(framer.buffered).toBe(0);
  });

  it('yields the same frames however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(stunFrame, channelFrame), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages);
          const { frames, error } = collect(split(stream, cuts));
          expect(error).toBeUndefined();
          expect(frames).toEqual(messages);
        },
      ),
    );
  });

  it('never throws on garbage, never emits more than it was given, and holds at most one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
        const buffers = chunks.map((chunk) => Buffer.from(chunk));
        let emitted = 0;
        const framer = new StreamFramer((frame) => {
          emitted += frame.length;
        });
        for (const chunk of buffers) framer.push(chunk);
        const total = buffers.reduce((sum, chunk) => sum + chunk.length, 0);
        expect(emitted + framer.buffered).toBeLessThanOrEqual(total);
        expect(framer.buffered).toBeLessThanOrEqual(4 + 65_536);
      }),
    );
  });
});
