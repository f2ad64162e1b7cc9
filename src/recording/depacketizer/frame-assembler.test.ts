/**
 * FrameAssembler: grouping by timestamp, loss, key frame requests and the
 * discarding that keeps corrupt frames out, checked by hand and against a
 * model over synthetic streams of every codec with reordering, duplicates
 * and loss (sequence numbers and timestamps wrapping too), and with garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vp8InterFrame, vp8KeyFrame } from '../../../test/fixtures/recording/codec-vectors.js';
import { type SyntheticStream, syntheticStream } from '../../../test/fixtures/recording/synthetic-streams.js';
import type { RecordingCodecName } from '../codec.js';
import { FrameAssembler, type KeyframeRequestReason } from './frame-assembler.js';
import { createPayloadDepacketizer } from './index.js';
import type { DepacketizedFrame, DepacketizerPacket } from './types.js';
import { Vp8Depacketizer } from './vp8.js';

const cat = (...parts: (Uint8Array | number[])[]) =>
  Uint8Array.from(parts.flatMap((part) => Array.from(part)));
const packet = (
  sequenceNumber: number,
  timestamp: number,
  payload: Uint8Array,
  marker = true,
): DepacketizerPacket => ({
  sequenceNumber,
  timestamp,
  marker,
  payload,
});
const key = (seq: number, ts: number) => packet(seq, ts, cat([0x10], vp8KeyFrame()));
const inter = (seq: number, ts: number) => packet(seq, ts, cat([0x10], vp8InterFrame()));

function vp8Harness(options: { keyframeRequestIntervalMs?: number } = {}) {
  const requests: KeyframeRequestReason[] = [];
  const assembler = new FrameAssembler(new Vp8Depacketizer(), {
    ...options,
    onKeyframeNeeded: (reason) => requests.push(reason),
  });
  const frames: DepacketizedFrame[] = [];
  const push = (p: DepacketizerPacket, now = 0) => frames.push(...assembler.push(p, now));
  return { assembler, requests, frames, push };
}

describe('FrameAssembler', () => {
  it('emits whole frames in order with unwrapped timestamps across 2^32', () => {
    const { frames, push, requests } = vp8Harness();
    const start = 0xffff_f000;
    push(key(100, start));
    push(inter(101, (start + 3000) >>> 0));
    push(inter(102, (start + 6000) >>> 0));
    expect(frames.map((f) => [f.keyframe, f.rtpTimestamp, f.timestamp - frames[0].timestamp])).toEqual([
      [true, start, 0],
      [false, (start + 3000) >>> 0, 3000],
      [false, (start + 6000) >>> 0, 6000],
    ]);
    expect(frames[1]).toMatchObject({
      codec: 'vp8',
      firstSequenceNumber: 101,
      lastSequenceNumber: 101,
      packets: 1,
    });
    expect(requests).toEqual([]);
  });

  it('joins a frame split over packets, out of order and across the sequence wrap', () => {
    const { frames, push } = vp8Harness();
    const frame = vp8KeyFrame(320, 240, 40);
    const parts = [frame.subarray(0, 20), frame.subarray(20, 40), frame.subarray(40)];
    push(packet(65_535, 9000, cat([0x10], parts[0]), false));
    push(packet(1, 9000, cat([0x00], parts[2]), true));
    push(packet(0, 9000, cat([0x00], parts[1]), false));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({
      data: frame,
      keyframe: true,
      firstSequenceNumber: 65_535,
      lastSequenceNumber: 1,
    });
  });

  it('waits for a key frame at the start, asking for one', () => {
    const { frames, push, requests, assembler } = vp8Harness();
    push(inter(1, 0));
    push(inter(2, 3000));
    expect(frames).toEqual([]);
    expect(requests).toEqual(['start']);
    expect(assembler.waitingForKeyframe).toBe(true);
    push(key(3, 6000));
    push(inter(4, 9000));
    expect(frames.map((f) => f.rtpTimestamp)).toEqual([6000, 9000]);
    expect(assembler.stats.discardedWaitingForKeyframe).toBe(2);
  });

  it('drops a frame that lost a packet, discards until the next key frame, and asks for one', () => {
    const { frames, push, requests, assembler } = vp8Harness();
    push(key(1, 0));
    const frame = vp8InterFrame(30);
    push(packet(2, 3000, cat([0x10], frame.subarray(0, 10)), false));
    // Sequence 3 is lost; 4 ends the frame.
    push(packet(4, 3000, cat([0x00], frame.subarray(20)), true));
    push(inter(5, 6000));
    assembler.poll(1000);
    expect(requests).toEqual(['loss']);
    expect(frames.map((f) => f.rtpTimestamp)).toEqual([0]);
    push(inter(6, 9000), 1000);
    push(key(7, 12_000), 1000);
    push(inter(8, 15_000), 1000);
    expect(frames.map((f) => f.rtpTimestamp)).toEqual([0, 12_000, 15_000]);
    expect(assembler.stats).toMatchObject({ lost: 1, incompleteFrames: 1, discardedWaitingForKeyframe: 2 });
  });

  it('repeats the request while waiting, at most every keyframeRequestIntervalMs', () => {
    const { push, requests } = vp8Harness({ keyframeRequestIntervalMs: 500 });
    push(inter(1, 0), 0);
    push(inter(2, 3000), 100);
    push(inter(3, 6000), 499);
    push(inter(4, 9000), 500);
    push(inter(5, 12_000), 900);
    push(inter(6, 15_000), 1001);
    expect(requests).toEqual(['start', 'start', 'start']);
  });

  it('knows a frame is complete when the next timestamp begins, without a marker', () => {
    const { frames, push } = vp8Harness();
    push(packet(1, 0, cat([0x10], vp8KeyFrame()), false));
    expect(frames).toEqual([]);
    push(inter(2, 3000));
    expect(frames.map((f) => f.rtpTimestamp)).toEqual([0, 3000]);
  });

  it('skips padding-only packets without breaking the sequence', () => {
    const { frames, push, assembler } = vp8Harness();
    push(key(1, 0));
    push(packet(2, 0, new Uint8Array(0), false));
    push(inter(3, 3000));
    expect(frames).toHaveLength(2);
    expect(assembler.stats.paddingPackets).toBe(1);
  });

  it('drops a packet of a frame already finished at its marker and asks for a key frame', () => {
    const { frames, push, requests, assembler } = vp8Harness();
    push(key(1, 0));
    push(packet(2, 0, cat([0x00], [1, 2, 3])));
    push(inter(3, 3000));
    expect(frames).toHaveLength(1);
    expect(requests).toEqual(['malformed']);
    expect(assembler.stats.orphanPackets).toBe(1);
  });

  it('drops a frame whose marker never came at flush, and forgets everything on reset', () => {
    const { frames, push, assembler } = vp8Harness();
    push(key(1, 0));
    push(packet(2, 3000, cat([0x10], vp8InterFrame()), false));
    frames.push(...assembler.flush());
    expect(frames).toHaveLength(1);
    assembler.reset();
    expect(assembler.waitingForKeyframe).toBe(true);
    push(key(5000, 90_000));
    expect(frames.map((f) => f.rtpTimestamp)).toEqual([0, 90_000]);
  });

  it('leaves audio gaps as gaps: no key frame request, no discarding', () => {
    const requests: KeyframeRequestReason[] = [];
    const assembler = new FrameAssembler(createPayloadDepacketizer('opus'), {
      maxPackets: 2,
      onKeyframeNeeded: (reason) => requests.push(reason),
    });
    const frames: DepacketizedFrame[] = [];
    for (const seq of [1, 2, 4, 5, 6])
      frames.push(...assembler.push(packet(seq, seq * 960, Uint8Array.of(0x78, seq)), 0));
    frames.push(...assembler.flush());
    expect(frames.map((f) => f.rtpTimestamp / 960)).toEqual([1, 2, 4, 5, 6]);
    expect(requests).toEqual([]);
    expect(assembler.stats.lost).toBe(1);
  });

  it('keeps its own copy of a payload held in a Buffer that is reused for the next packet', () => {
    // As the server's transports hand packets over: views into one receive buffer.
    const receiveBuffer = Buffer.alloc(64);
    const received = (seq: number, bytes: number[]) => {
      receiveBuffer.set(bytes, 12);
      return packet(seq, seq * 960, receiveBuffer.subarray(12, 12 + bytes.length));
    };
    const opus = new FrameAssembler(createPayloadDepacketizer('opus'), { maxPackets: 4 });
    // 3 is late: 4 waits for it, held as a copy while the buffer takes 3.
    const frames = [...opus.push(received(1, [0x78, 1, 1]), 0), ...opus.push(received(2, [0x78, 2, 2]), 0)];
    frames.push(...opus.push(received(4, [0x78, 4, 4]), 0), ...opus.push(received(3, [0x78, 3, 3]), 0));
    receiveBuffer.fill(0xee);
    expect(frames.map((frame) => Array.from(frame.data))).toEqual([
      [0x78, 1, 1],
      [0x78, 2, 2],
      [0x78, 3, 3],
      [0x78, 4, 4],
    ]);
  });

  it('swallows and counts errors thrown by the key frame listener', () => {
    const assembler = new FrameAssembler(new Vp8Depacketizer(), {
      onKeyframeNeeded: () => {
        throw new Error('listener bug');
      },
    });
    expect(() => assembler.push(inter(1, 0), 0)).not.toThrow();
    expect(assembler.stats.listenerErrors).toBe(1);
  });
});

/** Deterministic impairment: which packets are dropped or doubled, and the order they arrive in. */
interface Trouble {
  seed: number;
  dropRate: number;
  duplicateRate: number;
  window: number;
}

function arrivals(stream: SyntheticStream, trouble: Trouble): { order: number[]; dropped: Set<number> } {
  let state = trouble.seed | 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const dropped = new Set<number>();
  const sent: { index: number; key: number }[] = [];
  stream.packets.forEach((_, index) => {
    // The first packet is never lost or overtaken: it is where the receiver starts counting.
    if (index > 0 && random() < trouble.dropRate) {
      dropped.add(index);
      return;
    }
    const key = index === 0 ? -1 : index + random() * trouble.window;
    sent.push({ index, key });
    if (index > 0 && random() < trouble.duplicateRate)
      sent.push({ index, key: key + random() * trouble.window });
  });
  sent.sort((a, b) => a.key - b.key);
  return { order: sent.map((s) => s.index), dropped };
}

/** What the assembler must emit: the rules of frame-assembler.ts, restated over whole frames. */
function model(codec: RecordingCodecName, stream: SyntheticStream, dropped: Set<number>) {
  const video = codec !== 'opus';
  const starts = createPayloadDepacketizer(codec);
  const firstPacket: number[] = [];
  const lastPacket: number[] = [];
  stream.packets.forEach((p, index) => {
    firstPacket[p.frame] ??= index;
    lastPacket[p.frame] = index;
  });
  let waiting = video;
  const out: { rtpTimestamp: number; data: Uint8Array; keyframe: boolean }[] = [];
  stream.frames.forEach((frame, i) => {
    let complete = true;
    for (let p = firstPacket[i]; p <= lastPacket[i]; p++) if (dropped.has(p)) complete = false;
    if (!complete) {
      waiting = video;
      return;
    }
    if (waiting) {
      const first = firstPacket[i];
      const startKnown =
        (first > 0 && !dropped.has(first - 1)) || starts.startsFrame(stream.packets[first].payload);
      if (!(frame.keyframe && startKnown)) return;
      waiting = false;
    }
    out.push({ rtpTimestamp: frame.timestamp, data: frame.expected, keyframe: frame.keyframe });
  });
  return out;
}

const CODECS: RecordingCodecName[] = ['opus', 'vp8', 'vp9', 'h264', 'av1'];
const trouble = fc.record({
  seed: fc.integer(),
  dropRate: fc.constantFrom(0, 0, 0.03, 0.1, 0.3),
  duplicateRate: fc.constantFrom(0, 0.1),
  window: fc.integer({ min: 0, max: 8 }),
});

describe('FrameAssembler against a model', () => {
  for (const codec of CODECS) {
    it(`${codec}: emits exactly the frames that are whole and decodable, whatever the reordering, duplicates and loss`, () => {
      fc.assert(
        fc.property(syntheticStream(codec), trouble, (stream, impairment) => {
          let requests = 0;
          const assembler = new FrameAssembler(createPayloadDepacketizer(codec), {
            onKeyframeNeeded: () => requests++,
          });
          const { order, dropped } = arrivals(stream, impairment);
          const frames: DepacketizedFrame[] = [];
          for (const index of order) {
            const { frame: _frame, ...p } = stream.packets[index];
            frames.push(...assembler.push(p, 0));
          }
          frames.push(...assembler.flush());
          const expected = model(codec, stream, dropped);
          expect(
            frames.map((f) => ({ rtpTimestamp: f.rtpTimestamp, data: f.data, keyframe: f.keyframe })),
          ).toEqual(expected);
          // Unwrapped timestamps grow with the RTP clock even across 2^32.
          for (let i = 1; i < frames.length; i++)
            expect(frames[i].timestamp - frames[i - 1].timestamp).toBe(
              (frames[i].rtpTimestamp - frames[i - 1].rtpTimestamp) >>> 0,
            );
          // A loss shows once a later packet arrives; packets missing at the very end cannot be told from silence.
          const lastArrived = Math.max(...order);
          const seenLoss = [...dropped].some((index) => index < lastArrived);
          if (codec !== 'opus' && (seenLoss || !stream.frames[0].keyframe))
            expect(requests).toBeGreaterThan(0);
          if (dropped.size === 0 && codec !== 'opus') expect(requests).toBe(0);
        }),
        { numRuns: 120 },
      );
    });
  }
});

describe('FrameAssembler on garbage', () => {
  for (const codec of CODECS) {
    it(`${codec}: never throws; video starts, and restarts after every request, on a key frame`, () => {
      const garbagePacket = fc.record({
        sequenceNumber: fc.integer({ min: 0, max: 40 }),
        timestamp: fc.constantFrom(0, 3000, 6000, 0xffff_ffff),
        marker: fc.boolean(),
        payload: fc.uint8Array({ maxLength: 30 }),
      });
      fc.assert(
        fc.property(
          fc.array(garbagePacket, { maxLength: 60 }),
          fc.integer({ min: 0, max: 0xffff }),
          (packets, base) => {
            const events: ('request' | DepacketizedFrame)[] = [];
            const assembler = new FrameAssembler(createPayloadDepacketizer(codec), {
              maxPackets: 8,
              keyframeRequestIntervalMs: 0,
              onKeyframeNeeded: () => events.push('request'),
            });
            const timestamps = new Set<number>(packets.map((p) => p.timestamp));
            packets.forEach((p, now) => {
              events.push(
                ...assembler.push({ ...p, sequenceNumber: (base + p.sequenceNumber) & 0xffff }, now),
              );
            });
            events.push(...assembler.flush());
            let needKey = codec !== 'opus';
            for (const event of events) {
              if (event === 'request') {
                needKey = true;
                continue;
              }
              expect(timestamps.has(event.rtpTimestamp)).toBe(true);
              if (needKey) expect(event.keyframe).toBe(true);
              needKey = false;
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
