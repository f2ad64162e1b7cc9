/**
 * The WebM/Matroska writer, read back with readWebm: header and tracks,
 * cluster rules (key frames, duration, int16 relative timestamps, size),
 * interleaving of audio and video, the crash-safe layout (unknown Segment
 * size, whole clusters only) and the patches of a clean close (Segment
 * size, Duration, SeekHead, Cues). Decoding by FFmpeg is proven in
 * test/interop/recording-ffmpeg.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AV1_SEQUENCE_HEADER_8BIT,
  PPS_320x240_BASELINE,
  SPS_320x240_BASELINE,
  vp8InterFrame,
  vp8KeyFrame,
} from '../../test/fixtures/recording/codec-vectors.js';
import { buildAvcDecoderConfiguration } from './avc-config.js';
import { decodeEbmlElementHeader, EBML_UNKNOWN_SIZE } from './ebml.js';
import { RecordingError } from './errors.js';
import { MatroskaId } from './matroska-ids.js';
import { MemorySink, type RecordingSink } from './sink.js';
import { describeVideoKeyframe } from './video-track.js';
import { readWebm, type WebmStructure } from './webm-reader.js';
import {
  type WebmTrackKind,
  WebmWriter,
  type WebmWriterOptions,
  type WrittenCluster,
} from './webm-writer.js';

const VP8_TRACK = { codec: 'vp8', width: 320, height: 240 } as const;
const OPUS_TRACK = { codec: 'opus', channels: 2 } as const;
/** A 20 ms CELT fullband Opus packet (TOC config 31, code 0). */
const OPUS_PACKET = Uint8Array.of(0xf8, 0xff, 0xfe);

function blocksOf(structure: WebmStructure, track: number) {
  return structure.clusters.flatMap((cluster) => cluster.blocks.filter((block) => block.track === track));
}

async function writeFile(
  options: WebmWriterOptions,
  frames: [WebmTrackKind, number, Uint8Array, boolean?][],
  sink = new MemorySink(),
): Promise<{ bytes: Uint8Array; structure: WebmStructure; writer: WebmWriter }> {
  const writer = new WebmWriter(sink, options);
  for (const [kind, ms, data, keyframe] of frames) writer.writeFrame(kind, ms, data, keyframe);
  await writer.close();
  const bytes = sink.bytes();
  return { bytes, structure: readWebm(bytes), writer };
}

/** 2 s of 30 fps VP8 (key frame every second) and 20 ms Opus. */
function avFrames(seconds = 2): [WebmTrackKind, number, Uint8Array, boolean?][] {
  const frames: [WebmTrackKind, number, Uint8Array, boolean?][] = [];
  for (let ms = 0; ms < seconds * 1000; ms += 20) frames.push(['audio', ms, OPUS_PACKET]);
  for (let i = 0; i < seconds * 30; i++) {
    const key = i % 30 === 0;
    frames.push(['video', Math.round((i * 1000) / 30), key ? vp8KeyFrame() : vp8InterFrame(), key]);
  }
  return frames.sort((a, b) => a[1] - b[1]);
}

describe('WebmWriter header and tracks', () => {
  it('writes a WebM header, Info and both track entries', async () => {
    const { structure } = await writeFile({ video: VP8_TRACK, audio: OPUS_TRACK }, avFrames(1));
    expect(structure.docType).toBe('webm');
    expect(structure.timestampScale).toBe(1_000_000);
    expect(structure.tracks).toEqual([
      expect.objectContaining({ number: 1, type: 1, codecId: 'V_VP8', width: 320, height: 240 }),
      expect.objectContaining({
        number: 2,
        type: 2,
        codecId: 'A_OPUS',
        channels: 2,
        samplingFrequency: 48_000,
        codecDelay: 0,
        seekPreRoll: 80_000_000,
      }),
    ]);
    const head = structure.tracks[1].codecPrivate!;
    expect(new TextDecoder().decode(head.subarray(0, 8))).toBe('OpusHead');
  });

  it('uses DocType matroska and the avcC for H.264, av1C for AV1', async () => {
    const avcc = buildAvcDecoderConfiguration([SPS_320x240_BASELINE], [PPS_320x240_BASELINE]);
    const h264 = await writeFile(
      { video: { codec: 'h264', width: 320, height: 240, codecPrivate: avcc } },
      [],
    );
    expect(h264.structure.docType).toBe('matroska');
    expect(h264.structure.tracks[0]).toMatchObject({ codecId: 'V_MPEG4/ISO/AVC', codecPrivate: avcc });
    const av1 = describeVideoKeyframe('av1', Uint8Array.of(...AV1_SEQUENCE_HEADER_8BIT, 0x32, 0x01, 0x10))!;
    const file = await writeFile({ video: av1 }, []);
    expect(file.structure.docType).toBe('webm');
    expect(file.structure.tracks[0]).toMatchObject({ codecId: 'V_AV1', width: 320, height: 240 });
    expect(file.structure.tracks[0].codecPrivate?.[0]).toBe(0x81);
  });

  it('refuses track descriptions it cannot write', () => {
    const sink = new MemorySink();
    expect(() => new WebmWriter(sink, {})).toThrow(RecordingError);
    expect(() => new WebmWriter(sink, { video: { codec: 'h264', width: 320, height: 240 } })).toThrow(
      /CodecPrivate/,
    );
    expect(() => new WebmWriter(sink, { video: { codec: 'vp8', width: 0, height: 240 } })).toThrow(
      RecordingError,
    );
    expect(() => new WebmWriter(sink, { audio: { codec: 'opus', channels: 3 } })).toThrow(RecordingError);
    expect(() => new WebmWriter(sink, { audio: OPUS_TRACK, maxClusterDurationMs: 40_000 })).toThrow(
      RecordingError,
    );
  });
});

describe('WebmWriter clusters and blocks', () => {
  it('stores every frame with its timestamp, key flag and data, in timestamp order', async () => {
    const frames = avFrames(2);
    const { structure } = await writeFile({ video: VP8_TRACK, audio: OPUS_TRACK }, frames);
    const video = blocksOf(structure, 1);
    const audio = blocksOf(structure, 2);
    expect(video.map((block) => block.timestamp)).toEqual(
      frames.filter((f) => f[0] === 'video').map((f) => f[1]),
    );
    expect(video.filter((block) => block.keyframe).map((block) => block.timestamp)).toEqual([0, 1000]);
    expect(audio).toHaveLength(100);
    expect(audio.every((block) => block.keyframe && block.data.length === 3)).toBe(true);
    const all = structure.clusters.flatMap((cluster) => cluster.blocks.map((block) => block.timestamp));
    expect(all).toEqual([...all].sort((a, b) => a - b));
  });

  it('starts a cluster at each video key frame, so every cluster after the first is a seek point', async () => {
    const { structure } = await writeFile({ video: VP8_TRACK, audio: OPUS_TRACK }, avFrames(3));
    expect(structure.clusters.map((cluster) => cluster.timestamp)).toEqual([0, 1000, 2000]);
    for (const cluster of structure.clusters) {
      expect(cluster.blocks[0]).toMatchObject({ track: 1, keyframe: true });
    }
  });

  it('cuts clusters at maxClusterDurationMs when key frames are rare', async () => {
    const frames: [WebmTrackKind, number, Uint8Array, boolean?][] = [];
    for (let ms = 0; ms < 5000; ms += 20) frames.push(['audio', ms, OPUS_PACKET]);
    const { structure } = await writeFile({ audio: OPUS_TRACK, maxClusterDurationMs: 1000 }, frames);
    expect(structure.clusters.map((cluster) => cluster.timestamp)).toEqual([0, 1000, 2000, 3000, 4000]);
    // Audio-only: every cluster is a cue.
    expect(structure.cues.map((cue) => cue.time)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('keeps relative timestamps within int16 across long gaps', async () => {
    const times = [0, 20, 32_000, 32_767, 32_768, 70_000, 70_020];
    const { structure } = await writeFile(
      { audio: OPUS_TRACK, maxClusterDurationMs: 32_767 },
      times.map((ms) => ['audio', ms, OPUS_PACKET]),
    );
    expect(blocksOf(structure, 1).map((block) => block.timestamp)).toEqual(times);
    for (const cluster of structure.clusters)
      for (const block of cluster.blocks)
        expect(block.timestamp - cluster.timestamp).toBeLessThanOrEqual(32_767);
  });

  it('cuts clusters that grow past maxClusterBytes', async () => {
    const big = new Uint8Array(400).fill(0xf8);
    const { structure } = await writeFile(
      { audio: OPUS_TRACK, maxClusterBytes: 1000 },
      [0, 20, 40, 60, 80].map((ms) => ['audio', ms, big]),
    );
    expect(structure.clusters.map((cluster) => cluster.blocks.length)).toEqual([2, 2, 1]);
  });

  it('drops video before the first key frame and counts it', async () => {
    const { structure, writer } = await writeFile({ video: VP8_TRACK }, [
      ['video', 0, vp8InterFrame(), false],
      ['video', 33, vp8InterFrame(), false],
      ['video', 66, vp8KeyFrame(), true],
      ['video', 100, vp8InterFrame(), false],
    ]);
    expect(blocksOf(structure, 1).map((block) => block.timestamp)).toEqual([66, 100]);
    expect(writer.stats.framesBeforeKeyframe).toBe(2);
  });

  it('interleaves a track that runs ahead with one that lags, within the window', async () => {
    const sink = new MemorySink();
    const writer = new WebmWriter(sink, { video: VP8_TRACK, audio: OPUS_TRACK, interleaveWindowMs: 1000 });
    // Audio arrives 300 ms ahead of video, as a jitter buffer on video would cause.
    for (let ms = 0; ms < 300; ms += 20) writer.writeFrame('audio', ms, OPUS_PACKET);
    for (let i = 0; i < 30; i++) {
      const videoMs = i * 33;
      writer.writeFrame('video', videoMs, i === 0 ? vp8KeyFrame() : vp8InterFrame(), i === 0);
      for (let ms = 300 + i * 33; ms < 300 + (i + 1) * 33; ms += 1)
        if (ms % 20 === 0) writer.writeFrame('audio', ms, OPUS_PACKET);
    }
    await writer.close();
    const structure = readWebm(sink.bytes());
    const order = structure.clusters.flatMap((cluster) => cluster.blocks.map((block) => block.timestamp));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(blocksOf(structure, 1)).toHaveLength(30);
  });

  it('writes a silent track out after interleaveWindowMs instead of waiting for ever', async () => {
    const clusters: WrittenCluster[] = [];
    const sink = new MemorySink();
    const writer = new WebmWriter(sink, {
      video: VP8_TRACK,
      audio: OPUS_TRACK,
      interleaveWindowMs: 500,
      maxClusterDurationMs: 200,
      onClusterWritten: (cluster) => clusters.push(cluster),
    });
    for (let ms = 0; ms <= 2000; ms += 20) writer.writeFrame('audio', ms, OPUS_PACKET);
    await writer.flush();
    // No video at all: audio up to 2000 - 500 ms has been written in 200 ms clusters.
    expect(clusters.length).toBeGreaterThanOrEqual(7);
    expect(clusters.every((cluster) => !cluster.seekable)).toBe(true);
    await writer.close();
  });
});

describe('WebmWriter crash safety and finalization', () => {
  it('leaves the Segment size unknown and every cluster whole until close', async () => {
    const sink = new MemorySink();
    const writer = new WebmWriter(sink, { video: VP8_TRACK, audio: OPUS_TRACK });
    for (const [kind, ms, data, key] of avFrames(3)) writer.writeFrame(kind, ms, data, key);
    await writer.flush();
    // A crash now: whatever reached the sink is the file.
    const structure = readWebm(sink.bytes());
    expect(structure.segmentSize).toBe(EBML_UNKNOWN_SIZE);
    expect(structure.truncatedAt).toBeUndefined();
    expect(structure.clusters.length).toBeGreaterThanOrEqual(2);
    expect(structure.clusters.every((cluster) => cluster.complete)).toBe(true);
    expect(structure.cues).toEqual([]);
    expect(structure.duration).toBeUndefined();
    await writer.close();
  });

  it('patches Segment size, Duration and SeekHead, and writes Cues, on a seekable sink', async () => {
    const { bytes, structure } = await writeFile({ video: VP8_TRACK, audio: OPUS_TRACK }, avFrames(3));
    const dataOffset = structure.segmentDataOffset!;
    expect(structure.segmentSize).toBe(bytes.length - dataOffset);
    // Last video frame at 2967 ms + 34 ms (its predecessor's interval), last audio at 2980 + 20.
    expect(structure.duration).toBe(3001);
    const ids = structure.seekEntries.map((entry) => entry.id);
    expect(ids).toEqual([MatroskaId.Info, MatroskaId.Tracks, MatroskaId.Cues]);
    for (const entry of structure.seekEntries)
      expect(decodeEbmlElementHeader(bytes, dataOffset + entry.position)?.id).toBe(entry.id);
    expect(structure.cues.map((cue) => [cue.time, cue.track])).toEqual([
      [0, 1],
      [1000, 1],
      [2000, 1],
    ]);
    for (const cue of structure.cues) {
      const cluster = structure.clusters.find((c) => c.offset === dataOffset + cue.clusterPosition);
      expect(cluster?.blocks[0]).toMatchObject({ track: 1, keyframe: true, timestamp: cue.time });
    }
  });

  it('still writes Cues but no patches on a sink that cannot seek', async () => {
    const sink = new MemorySink({ seekable: false });
    const writer = new WebmWriter(sink, { video: VP8_TRACK });
    for (const [kind, ms, data, key] of avFrames(2).filter((f) => f[0] === 'video'))
      writer.writeFrame(kind, ms, data, key);
    const summary = await writer.close();
    expect(summary.finalized).toBe(false);
    const structure = readWebm(sink.bytes());
    expect(structure.segmentSize).toBe(EBML_UNKNOWN_SIZE);
    expect(structure.cues).toHaveLength(2);
    expect(structure.seekEntries.map((entry) => entry.id)).toEqual([MatroskaId.Info, MatroskaId.Tracks]);
  });

  it('reads back whole clusters from any prefix of a file, never throwing', async () => {
    const sink = new MemorySink();
    const clusters: WrittenCluster[] = [];
    const writer = new WebmWriter(sink, {
      video: VP8_TRACK,
      audio: OPUS_TRACK,
      onClusterWritten: (cluster) => clusters.push(cluster),
    });
    for (const [kind, ms, data, key] of avFrames(4)) writer.writeFrame(kind, ms, data, key);
    await writer.flush();
    const bytes = sink.bytes();
    await writer.close();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length }), (cut) => {
        const structure = readWebm(bytes.subarray(0, cut));
        const whole = clusters.filter((cluster) => cluster.offset + cluster.size <= cut);
        expect(
          structure.clusters.filter((cluster) => cluster.complete).map((cluster) => cluster.offset),
        ).toEqual(whole.map((cluster) => cluster.offset));
      }),
    );
  });
});

describe('WebmWriter misuse and failures', () => {
  it('throws typed errors on misuse', async () => {
    const writer = new WebmWriter(new MemorySink(), { audio: OPUS_TRACK });
    expect(() => writer.writeFrame('video', 0, vp8KeyFrame(), true)).toThrow(
      expect.objectContaining({ code: 'ERR_RECORDING_INVALID_ARGUMENT' }),
    );
    expect(() => writer.writeFrame('audio', Number.NaN, OPUS_PACKET)).toThrow(RecordingError);
    const summary = await writer.close();
    expect(await writer.close()).toBe(summary);
    expect(() => writer.writeFrame('audio', 0, OPUS_PACKET)).toThrow(
      expect.objectContaining({ code: 'ERR_RECORDING_INVALID_STATE' }),
    );
  });

  it('reports a failing sink once, drops later frames and rejects close', async () => {
    let writes = 0;
    let closed = false;
    const sink: RecordingSink = {
      write: async () => {
        if (++writes > 1)
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
      close: async () => {
        closed = true;
      },
    };
    const errors: RecordingError[] = [];
    const writer = new WebmWriter(sink, {
      audio: OPUS_TRACK,
      maxClusterDurationMs: 100,
      onError: (e) => errors.push(e),
    });
    for (let ms = 0; ms < 400; ms += 20) writer.writeFrame('audio', ms, OPUS_PACKET);
    await writer.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_RECORDING_WRITE_FAILED' });
    expect(writer.writeFrame('audio', 500, OPUS_PACKET)).toBe(false);
    expect(writer.stats.framesAfterFailure).toBe(1);
    await expect(writer.close()).rejects.toMatchObject({ code: 'ERR_RECORDING_WRITE_FAILED' });
    expect(closed).toBe(true);
  });

  it('copies frame data, so callers may reuse their buffers (Node Buffers too)', async () => {
    const sink = new MemorySink();
    const writer = new WebmWriter(sink, { audio: OPUS_TRACK });
    const array = Uint8Array.of(0xf8, 1, 2);
    // A Buffer's slice() is a view: the writer must copy it some other way.
    const buffer = Buffer.from([0, 0xf8, 3, 4]).subarray(1);
    writer.writeFrame('audio', 0, array);
    writer.writeFrame('audio', 20, buffer);
    array.fill(0);
    buffer.fill(0);
    await writer.close();
    expect(blocksOf(readWebm(sink.bytes()), 1).map((block) => Array.from(block.data))).toEqual([
      [0xf8, 1, 2],
      [0xf8, 3, 4],
    ]);
  });
});

describe('WebmWriter properties', () => {
  it('reads back exactly what was written, per track, for any frame sequence', async () => {
    const track = fc.array(
      fc.record({
        gap: fc.integer({ min: 0, max: 3000 }),
        size: fc.integer({ min: 1, max: 64 }),
        key: fc.boolean(),
      }),
      { maxLength: 40 },
    );
    await fc.assert(
      fc.asyncProperty(
        track,
        track,
        fc.integer({ min: 50, max: 5000 }),
        async (audioSpec, videoSpec, maxCluster) => {
          const toFrames = (spec: typeof audioSpec, kind: WebmTrackKind) => {
            let ms = 0;
            return spec.map(({ gap, size, key }, index) => {
              ms += gap;
              const data = new Uint8Array(size).fill(index & 0xff);
              return { kind, ms, data, key: kind === 'audio' || index === 0 || key };
            });
          };
          const audio = toFrames(audioSpec, 'audio');
          const video = toFrames(videoSpec, 'video');
          const sink = new MemorySink();
          const writer = new WebmWriter(sink, {
            video: VP8_TRACK,
            audio: OPUS_TRACK,
            maxClusterDurationMs: maxCluster,
          });
          // Feed in a merged order, as two depacketizers would.
          const merged = [...audio, ...video].sort((a, b) => a.ms - b.ms);
          for (const frame of merged) writer.writeFrame(frame.kind, frame.ms, frame.data, frame.key);
          await writer.close();
          const structure = readWebm(sink.bytes());
          expect(structure.truncatedAt).toBeUndefined();
          for (const [number, frames] of [
            [1, video],
            [2, audio],
          ] as const) {
            const blocks = blocksOf(structure, number);
            expect(blocks.map((block) => [block.timestamp, block.keyframe, Array.from(block.data)])).toEqual(
              frames.map((frame) => [frame.ms, frame.key, Array.from(frame.data)]),
            );
          }
          for (const cluster of structure.clusters)
            for (const block of cluster.blocks) {
              expect(block.timestamp - cluster.timestamp).toBeLessThanOrEqual(32_767);
              expect(block.timestamp - cluster.timestamp).toBeGreaterThanOrEqual(-32_768);
            }
        },
      ),
      { numRuns: 60 },
    );
  });
});
