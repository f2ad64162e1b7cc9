/**
 * Recorder: real Producers fed with synthetic RTP and RTCP sender reports
 * on a scripted time line (an injected clock, explicit arrival times, the
 * recorder's timer faked), written to a temporary file and read back with
 * readWebm. Frames carry their capture time in their last bytes, so each
 * block in the file can be traced to the instant it was captured.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  PPS_320x240_BASELINE,
  SPS_320x240_BASELINE,
  vp8InterFrame,
  vp8KeyFrame,
} from '../../test/fixtures/recording/codec-vectors.js';
import { RecordingError } from '../recording/errors.js';
import { MatroskaTrackType } from '../recording/matroska-ids.js';
import {
  type PacketizedPayload,
  packetizeH264,
  packetizeOpus,
  packetizeVp8,
} from '../recording/packetizer.js';
import { readWebm, type WebmBlock, type WebmStructure } from '../recording/webm-reader.js';
import { encodeRtpPacket } from '../rtp/packet.js';
import type { RtpCodecParameters } from '../sdp/rtp-parameters.js';
import { type MediaKind, Producer } from './producer.js';
import { Recorder, type RecorderOptions, type RecorderSummary } from './recorder.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Our clock (ms since the epoch) at time 0 of every time line: far from Date.now() on purpose. */
const LOCAL0 = 2_100_000_000_000;
/** The sender's NTP clock at capture time 0, in ms: unrelated to ours. */
const SENDER_NTP0_MS = 3_950_000_000_000 + 777;
const WIDTH = 640;
const HEIGHT = 360;
const VP8: RtpCodecParameters = {
  mimeType: 'video/VP8',
  payloadType: 96,
  clockRate: 90_000,
  parameters: {},
  rtcpFeedback: [],
};
const OPUS: RtpCodecParameters = {
  mimeType: 'audio/opus',
  payloadType: 111,
  clockRate: 48_000,
  channels: 2,
  parameters: { minptime: 10, useinbandfec: 1 },
  rtcpFeedback: [],
};

/** The injected clock; the time line moves it to each arrival. */
const clock = { ms: LOCAL0 - 100 };
let fileCount = 0;

beforeEach(() => {
  clock.ms = LOCAL0 - 100;
  // Only the recorder's housekeeping timer: it must not run on its own between scripted steps.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function ntpFromMs(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.round(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds) << 32n) + BigInt(fraction);
}

/** Writes the capture time into the last two bytes of a frame. */
function tagged(frame: Uint8Array, captureMs: number): Uint8Array {
  frame[frame.length - 2] = captureMs >>> 8;
  frame[frame.length - 1] = captureMs & 0xff;
  return frame;
}

/** The capture time a frame was tagged with. */
function captureOf(block: WebmBlock): number {
  return (block.data[block.data.length - 2] << 8) | block.data[block.data.length - 1];
}

function vp8Frame(captureMs: number, keyframe: boolean, body = 40): Uint8Array {
  return tagged(keyframe ? vp8KeyFrame(WIDTH, HEIGHT, body) : vp8InterFrame(body), captureMs);
}

/** A 20 ms CELT Opus packet (TOC 0xf8, code 0) carrying the capture time. */
function opusFrame(captureMs: number): Uint8Array {
  return tagged(Uint8Array.of(0xf8, 0, 0), captureMs);
}

/** Steps at given times of our clock, played in time order (insertion order on ties). */
class Timeline {
  #steps: { at: number; run: (nowMs: number) => void }[] = [];

  /** Schedules `run` at LOCAL0 + `ms`. */
  at(ms: number, run: (nowMs: number) => void): void {
    this.#steps.push({ at: LOCAL0 + ms, run });
  }

  /** Runs every step with the clock set to its time. */
  play(): void {
    const steps = this.#steps.sort((a, b) => a.at - b.at);
    this.#steps = [];
    for (const step of steps) {
      clock.ms = step.at;
      step.run(step.at);
    }
  }
}

/** One published track: a Producer, the sender's RTP state, and the keyframe requests that reached it. */
class Track {
  readonly producer: Producer;
  /** SSRCs the producer asked a keyframe for, one per request sent to the publisher. */
  readonly keyframeRequests: number[] = [];
  readonly codec: RtpCodecParameters;
  readonly ssrc: number;
  readonly rtpBase: number;
  readonly delayMs: number;
  #sequenceNumber = 65_500;

  constructor(
    kind: MediaKind,
    options: {
      codec: RtpCodecParameters;
      ssrc: number;
      rtpBase?: number;
      delayMs?: number;
      /** Every codec the producer negotiated; default just `codec`. */
      codecs?: RtpCodecParameters[];
    },
  ) {
    this.codec = options.codec;
    this.ssrc = options.ssrc;
    this.rtpBase = options.rtpBase ?? 1_000_000;
    this.delayMs = options.delayMs ?? 20;
    this.producer = new Producer({
      kind,
      rtpParameters: {
        codecs: options.codecs ?? [options.codec],
        headerExtensions: [],
        encodings: [{ ssrc: options.ssrc }],
        rtcp: { reducedSize: true },
      },
      uplink: { requestKeyframe: (ssrc) => this.keyframeRequests.push(ssrc) },
    });
  }

  /** The 32-bit RTP timestamp of a capture time. */
  rtpTimestamp(captureMs: number): number {
    return (this.rtpBase + (captureMs * this.codec.clockRate) / 1000) >>> 0;
  }

  /**
   * Schedules the packets of a frame captured at `captureMs` to arrive
   * `delayMs` (+ `jitterMs`) later; packets whose index is in `drop` are
   * lost (their sequence numbers are used all the same).
   */
  frame(
    timeline: Timeline,
    captureMs: number,
    payloads: PacketizedPayload[],
    options: { drop?: number[]; jitterMs?: number; payloadType?: number } = {},
  ): void {
    const timestamp = this.rtpTimestamp(captureMs);
    payloads.forEach(({ payload, marker }, index) => {
      const sequenceNumber = this.#sequenceNumber++ & 0xffff;
      if (options.drop?.includes(index)) return;
      const raw = encodeRtpPacket({
        version: 2,
        marker,
        payloadType: options.payloadType ?? this.codec.payloadType,
        sequenceNumber,
        timestamp,
        ssrc: this.ssrc,
        csrcs: [],
        extension: undefined,
        payload,
        paddingLength: 0,
      });
      timeline.at(captureMs + this.delayMs + (options.jitterMs ?? 0), (nowMs) =>
        this.producer.receiveRtp(raw, nowMs),
      );
    });
  }

  /** Schedules a sender report taken at `captureMs` (sender NTP time and RTP time of that instant). */
  senderReport(timeline: Timeline, captureMs: number): void {
    const ntp = ntpFromMs(SENDER_NTP0_MS + captureMs);
    const rtp = this.rtpTimestamp(captureMs);
    timeline.at(captureMs + this.delayMs, (nowMs) => this.producer.receiveSenderReport(ntp, rtp, nowMs));
  }
}

function videoTrack(options: { rtpBase?: number; delayMs?: number } = {}): Track {
  return new Track('video', { codec: VP8, ssrc: 0x1111_0001, ...options });
}

function audioTrack(options: { rtpBase?: number; delayMs?: number; codec?: RtpCodecParameters } = {}): Track {
  return new Track('audio', { codec: OPUS, ssrc: 0x2222_0002, ...options });
}

function newPath(): string {
  return join(dir, `recording-${++fileCount}.webm`);
}

async function openRecorder(
  tracks: { audio?: Track; video?: Track },
  options: Partial<RecorderOptions> = {},
): Promise<Recorder> {
  return Recorder.open({
    path: newPath(),
    ...(tracks.audio ? { audio: tracks.audio.producer } : {}),
    ...(tracks.video ? { video: tracks.video.producer } : {}),
    now: () => clock.ms,
    ...options,
  });
}

/** What the file holds, per track, in file order. */
interface Recording {
  structure: WebmStructure;
  video: WebmBlock[];
  audio: WebmBlock[];
  size: number;
}

function readRecording(path: string): Recording {
  const bytes = new Uint8Array(readFileSync(path));
  const structure = readWebm(bytes);
  const blocksOf = (type: number) => {
    const track = structure.tracks.find((entry) => entry.type === type);
    if (!track) return [];
    return structure.clusters.flatMap((cluster) => cluster.blocks).filter((b) => b.track === track.number);
  };
  return {
    structure,
    video: blocksOf(MatroskaTrackType.Video),
    audio: blocksOf(MatroskaTrackType.Audio),
    size: bytes.length,
  };
}

/** capture ms → file ms of each block. */
function timesByCapture(blocks: WebmBlock[]): Map<number, number> {
  return new Map(blocks.map((block) => [captureOf(block), block.timestamp]));
}

function expectNonDecreasing(blocks: WebmBlock[]): void {
  for (let i = 1; i < blocks.length; i++)
    expect(blocks[i].timestamp).toBeGreaterThanOrEqual(blocks[i - 1].timestamp);
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let at = from; at < to; at += step) out.push(at);
  return out;
};

/**
 * Two seconds of 25 fps video (key frame at capture 0) and 20 ms audio,
 * video arriving 20 ms after capture and audio 170 ms after: 150 ms of
 * network skew. With `reports`, both tracks send a sender report at capture
 * 0 and 1000 ms, each arriving with its stream's delay.
 */
async function skewedRecording(options: {
  reports: boolean;
  videoRtpBase?: number;
  audioRtpBase?: number;
  reportsAt?: number[];
}): Promise<{ recording: Recording; summary: RecorderSummary }> {
  const video = videoTrack({ delayMs: 20, rtpBase: options.videoRtpBase });
  const audio = audioTrack({ delayMs: 170, rtpBase: options.audioRtpBase });
  // Without reports, hold 200 ms (it runs out) so that the start is the same as with them.
  const recorder = await openRecorder({ video, audio }, { syncHoldMs: options.reports ? 5000 : 200 });
  const timeline = new Timeline();
  for (const at of range(0, 2000, 40)) video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 0)));
  for (const at of range(0, 2000, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
  if (options.reports)
    for (const at of options.reportsAt ?? [0, 1000]) {
      video.senderReport(timeline, at);
      audio.senderReport(timeline, at);
    }
  timeline.play();
  const summary = await recorder.close();
  return { recording: readRecording(recorder.path), summary };
}

describe('Recorder', () => {
  describe('lip sync', () => {
    it('aligns audio and video by their sender reports despite 150 ms of network skew', async () => {
      const { recording, summary } = await skewedRecording({ reports: true });
      const video = timesByCapture(recording.video);
      const audio = timesByCapture(recording.audio);
      expect([...video.keys()]).toEqual(range(0, 2000, 40));
      expect([...audio.keys()]).toEqual(range(0, 2000, 20));
      // Every frame at its capture time, so those captured together play together.
      for (const [capture, ms] of video) {
        expect(ms).toBe(capture);
        expect(Math.abs(audio.get(capture)! - ms)).toBeLessThanOrEqual(1);
      }
      for (const [capture, ms] of audio) expect(Math.abs(ms - capture)).toBeLessThanOrEqual(1);
      expect(summary.stats.senderReports).toBe(4);
    });

    it('without sender reports the network skew stays in the file (control)', async () => {
      const { recording, summary } = await skewedRecording({ reports: false });
      const video = timesByCapture(recording.video);
      const audio = timesByCapture(recording.audio);
      expect([...video.keys()]).toEqual(range(0, 2000, 40));
      for (const [capture, ms] of video) {
        expect(ms).toBe(capture);
        const skew = audio.get(capture)! - ms;
        expect(skew).toBeGreaterThanOrEqual(148);
        expect(skew).toBeLessThanOrEqual(152);
      }
      expect(summary.stats.senderReports).toBe(0);
    });
  });

  describe('start', () => {
    it.each([
      ['the same delay', 20],
      ['audio 150 ms behind', 170],
    ])('starts the file at the first key frame, with %s on both tracks', async (_name, audioDelayMs) => {
      const video = videoTrack({ delayMs: 20 });
      const audio = audioTrack({ delayMs: audioDelayMs });
      const recorder = await openRecorder({ video, audio });
      const timeline = new Timeline();
      // Inter frames at 30 and 70 ms, the first key frame at 110 ms, audio from 0 ms.
      for (const at of range(30, 1150, 40))
        video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 110), { maxPayloadSize: 30 }));
      for (const at of range(0, 1140, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
      video.senderReport(timeline, 0);
      audio.senderReport(timeline, 0);
      timeline.play();
      const summary = await recorder.close();
      const { video: videoBlocks, audio: audioBlocks } = readRecording(recorder.path);

      expect(videoBlocks[0]).toMatchObject({ keyframe: true, timestamp: 0 });
      expect(captureOf(videoBlocks[0])).toBe(110);
      expect(videoBlocks.map(captureOf)).toEqual(range(110, 1150, 40));
      expect(videoBlocks.slice(1).every((block) => !block.keyframe)).toBe(true);
      // Audio captured before the key frame is not in the file; the first block follows it closely.
      expect(audioBlocks.map(captureOf)).toEqual(range(120, 1140, 20));
      expect(audioBlocks[0].timestamp).toBeGreaterThanOrEqual(0);
      expect(audioBlocks[0].timestamp).toBeLessThan(30);
      expect(audioBlocks[0].timestamp).toBe(10);
      expect(summary.stats.framesBeforeStart).toBe(6);
      expectNonDecreasing(videoBlocks);
      expectNonDecreasing(audioBlocks);
    });

    it('video-only: starts at the first key frame, dropping the inter frames before it', async () => {
      const video = videoTrack();
      const recorder = await openRecorder({ video });
      const timeline = new Timeline();
      for (const at of range(0, 1000, 40)) video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 80)));
      timeline.play();
      const summary = await recorder.close();
      const recording = readRecording(recorder.path);
      expect(recording.structure.tracks).toHaveLength(1);
      expect(recording.video[0]).toMatchObject({ keyframe: true, timestamp: 0 });
      expect(recording.video.map(captureOf)).toEqual(range(80, 1000, 40));
      expect(recording.video.map((block) => block.timestamp)).toEqual(range(0, 920, 40));
      expect(summary).toMatchObject({
        startedAtMs: LOCAL0 + 80 + 20,
        audio: null,
        video: { codec: 'vp8', width: WIDTH, height: HEIGHT },
      });
    });

    it('audio-only: starts at the first audio frame and follows RTP time, not arrival jitter', async () => {
      const audio = audioTrack({ delayMs: 30 });
      const recorder = await openRecorder({ audio });
      const timeline = new Timeline();
      for (const at of range(100, 1100, 20))
        audio.frame(timeline, at, packetizeOpus(opusFrame(at)), { jitterMs: (at / 20) % 3 === 1 ? 12 : 0 });
      timeline.play();
      const summary = await recorder.close();
      const recording = readRecording(recorder.path);
      expect(recording.structure.tracks).toHaveLength(1);
      expect(recording.audio.map(captureOf)).toEqual(range(100, 1100, 20));
      expect(recording.audio.map((block) => block.timestamp)).toEqual(range(0, 1000, 20));
      expect(summary).toMatchObject({ startedAtMs: LOCAL0 + 130, video: null, durationMs: 1000 });
      expect(audio.keyframeRequests).toEqual([]);
      expect(summary.stats.keyframeRequests).toBe(0);
    });
  });

  describe('keyframe requests', () => {
    it('asks at open, and again through the producer after a packet of a video frame is lost', async () => {
      const video = videoTrack();
      const recorder = await openRecorder({ video });
      // At open (LOCAL0 - 100).
      expect(video.keyframeRequests).toEqual([video.ssrc]);
      const timeline = new Timeline();
      // Key frames at 0 and 1200 ms; each frame takes 3 packets; the middle one of the frame at 400 ms is lost.
      for (const at of range(0, 2000, 40)) {
        const payloads = packetizeVp8(vp8Frame(at, at % 1200 === 0, 500), { maxPayloadSize: 200 });
        expect(payloads.length).toBeGreaterThanOrEqual(3);
        video.frame(timeline, at, payloads, { drop: at === 400 ? [1] : [] });
      }
      timeline.play();
      // The gap is given up 200 ms after the packets behind it arrived (at 620 ms), more
      // than the producer's 500 ms throttle after the request at open: sent at once.
      expect(video.keyframeRequests).toEqual([video.ssrc, video.ssrc]);
      expect(recorder.stats.keyframeRequests).toBe(2);
      expect(video.producer.stats.keyframeRequestsSent).toBe(2);
      const summary = await recorder.close();
      expect(summary.stats.incompleteFrames).toBeGreaterThanOrEqual(1);
      // The damaged frame and the ones depending on it are not written: the gap stays a gap until the next key frame.
      const recording = readRecording(recorder.path);
      expect(recording.video.map(captureOf)).toEqual([...range(0, 400, 40), ...range(1200, 2000, 40)]);
      expect(recording.video.map((block) => block.timestamp)).toEqual([
        ...range(0, 400, 40),
        ...range(1200, 2000, 40),
      ]);
      expect(recording.video.filter((block) => block.keyframe).map(captureOf)).toEqual([0, 1200]);
    });

    it('a loss within the throttle interval is coalesced by the producer, not dropped', async () => {
      const video = videoTrack();
      const recorder = await openRecorder({ video });
      expect(video.keyframeRequests).toHaveLength(1);
      const timeline = new Timeline();
      for (const at of range(0, 400, 40))
        video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 0, 500), { maxPayloadSize: 200 }), {
          drop: at === 40 ? [1] : [],
        });
      timeline.play();
      // Given up at 260 ms: 360 ms after the request at open, so the producer holds it back.
      expect(recorder.stats.keyframeRequests).toBe(2);
      expect(video.keyframeRequests).toHaveLength(1);
      video.producer.pollKeyframeRequest(LOCAL0 + 399);
      expect(video.keyframeRequests).toHaveLength(1);
      video.producer.pollKeyframeRequest(LOCAL0 + 400);
      expect(video.keyframeRequests).toHaveLength(2);
      await recorder.close();
    });
  });

  it('keeps timestamps monotonic and right across an RTP timestamp and sequence number wrap', async () => {
    // Video wraps 2^32 at capture 100 ms, audio at 90 ms; a report at 95 ms is past the wrap of both.
    const { recording } = await skewedRecording({
      reports: true,
      videoRtpBase: 2 ** 32 - 9000,
      audioRtpBase: 2 ** 32 - 4320,
      reportsAt: [0, 95, 1000],
    });
    expectNonDecreasing(recording.video);
    expectNonDecreasing(recording.audio);
    const video = timesByCapture(recording.video);
    const audio = timesByCapture(recording.audio);
    expect([...video.keys()]).toEqual(range(0, 2000, 40));
    expect([...audio.keys()]).toEqual(range(0, 2000, 20));
    for (const [capture, ms] of video) expect(ms).toBe(capture);
    for (const [capture, ms] of audio) expect(Math.abs(ms - capture)).toBeLessThanOrEqual(1);
  });

  it('unwraps a sender report that came before the first frame, on the other side of the wrap', async () => {
    // The reports are taken 5 ms before the first capture, just before 2^32; the frames come after it.
    const video = videoTrack({ rtpBase: 90 * 3 });
    const audio = audioTrack({ rtpBase: 48 * 3 });
    const recorder = await openRecorder({ video, audio });
    const timeline = new Timeline();
    video.senderReport(timeline, -5);
    audio.senderReport(timeline, -5);
    for (const at of range(0, 600, 40)) video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 0)));
    for (const at of range(0, 600, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
    timeline.play();
    await recorder.close();
    const recording = readRecording(recorder.path);
    for (const [capture, ms] of timesByCapture(recording.video)) expect(ms).toBe(capture);
    for (const [capture, ms] of timesByCapture(recording.audio))
      expect(Math.abs(ms - capture)).toBeLessThanOrEqual(1);
    expect(recording.video).toHaveLength(15);
    expect(recording.audio.length).toBeGreaterThanOrEqual(29);
  });

  it('keeps arrival-anchored audio right across an RTP timestamp wrap', async () => {
    const audio = audioTrack({ rtpBase: 2 ** 32 - 48 * 210 });
    const recorder = await openRecorder({ audio });
    const timeline = new Timeline();
    for (const at of range(0, 600, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
    timeline.play();
    await recorder.close();
    const recording = readRecording(recorder.path);
    expect(recording.audio.map((block) => block.timestamp)).toEqual(range(0, 600, 20));
  });

  describe('close', () => {
    it('finishes the file: Cues, Duration, size, start time, track sizes; idempotent, one close event', async () => {
      const video = videoTrack({ delayMs: 20 });
      const audio = audioTrack({
        delayMs: 45,
        codec: { ...OPUS, parameters: { ...OPUS.parameters, stereo: 1 } },
      });
      const recorder = await openRecorder({ video, audio });
      const closes: RecorderSummary[] = [];
      recorder.on('close', (summary) => closes.push(summary));
      expect(recorder.state).toBe('waiting');
      const timeline = new Timeline();
      for (const at of range(0, 2000, 40))
        video.frame(timeline, at, packetizeVp8(vp8Frame(at, at % 1000 === 0, 300), { maxPayloadSize: 200 }));
      for (const at of range(0, 2000, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
      for (const at of [0, 1000]) {
        video.senderReport(timeline, at);
        audio.senderReport(timeline, at);
      }
      timeline.play();
      expect(recorder.state).toBe('recording');
      expect(recorder.bytes).toBeGreaterThan(0);

      const summary = await recorder.close();
      const recording = readRecording(recorder.path);
      expect(recording.structure.duration).toBeDefined();
      expect(recording.structure.cues.length).toBeGreaterThanOrEqual(2);
      expect(recording.structure.cues[0].time).toBe(0);
      expect(recording.structure.segmentSize).toBe(recording.size - recording.structure.segmentDataOffset!);
      expect(recording.structure.truncatedAt).toBeUndefined();
      expect(recording.structure.tracks.find((track) => track.codecId === 'V_VP8')).toMatchObject({
        width: WIDTH,
        height: HEIGHT,
      });
      expect(recording.structure.tracks.find((track) => track.codecId === 'A_OPUS')).toMatchObject({
        channels: 2,
      });
      expect(summary).toMatchObject({
        path: recorder.path,
        bytes: recording.size,
        finalized: true,
        // The key frame at capture 0 arrived at 20 ms.
        startedAtMs: LOCAL0 + 20,
        audio: { codec: 'opus', channels: 2 },
        video: { codec: 'vp8', width: WIDTH, height: HEIGHT },
      });
      expect(summary.bytes).toBeGreaterThan(0);
      // Video 0–1960 ms (+40), audio 0–1980 ms (+20).
      expect(Math.abs(summary.durationMs - 2000)).toBeLessThanOrEqual(2);
      expect(Math.abs(recording.structure.duration! - summary.durationMs)).toBeLessThanOrEqual(1);
      expect(summary.stats).toMatchObject({ videoFrames: 50, audioFrames: 100, senderReports: 4 });
      expect(recorder.state).toBe('closed');

      expect(await recorder.close()).toBe(summary);
      video.producer.close();
      audio.producer.close();
      expect(closes).toEqual([summary]);
      expect(video.producer.sinkCount + audio.producer.sinkCount).toBe(0);
    });

    it('closes when every producer has closed, not before', async () => {
      const video = videoTrack();
      const audio = audioTrack();
      const recorder = await openRecorder({ video, audio }, { syncHoldMs: 0 });
      const closes: RecorderSummary[] = [];
      recorder.on('close', (summary) => closes.push(summary));
      const timeline = new Timeline();
      for (const at of range(0, 1000, 40)) video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 0)));
      for (const at of range(0, 1000, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
      timeline.play();
      const closed = new Promise<RecorderSummary>((resolve) => recorder.once('close', resolve));
      video.producer.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(recorder.state).toBe('recording');
      expect(closes).toEqual([]);
      // The audio goes on being recorded.
      for (const at of range(1000, 1500, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
      timeline.play();
      audio.producer.close();
      const summary = await closed;
      expect(summary.finalized).toBe(true);
      expect(recorder.state).toBe('closed');
      expect(await recorder.close()).toBe(summary);
      expect(closes).toEqual([summary]);
      const recording = readRecording(recorder.path);
      expect(recording.video.map(captureOf)).toEqual(range(0, 1000, 40));
      expect(recording.audio.map(captureOf)).toEqual(range(0, 1500, 20));
      expect(recording.audio.map((block) => block.timestamp)).toEqual(range(0, 1500, 20));
    });

    it('times frames flushed at producer close on the injected clock', async () => {
      const video = videoTrack({ delayMs: 20 });
      const audio = audioTrack({ delayMs: 20 });
      const recorder = await openRecorder({ video, audio });
      const closed = new Promise<RecorderSummary>((resolve) => recorder.once('close', resolve));
      const timeline = new Timeline();
      // An inter frame (discarded: no key frame yet), a lost one, then the key frame, held behind the gap.
      video.frame(timeline, 0, packetizeVp8(vp8Frame(0, false)));
      video.frame(timeline, 40, packetizeVp8(vp8Frame(40, false)), { drop: [0] });
      video.frame(timeline, 80, packetizeVp8(vp8Frame(80, true)));
      for (const at of range(0, 200, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
      timeline.play();
      expect(recorder.state).toBe('waiting');
      expect(clock.ms).toBe(LOCAL0 + 200);
      audio.producer.close();
      video.producer.close();
      const summary = await closed;
      // Without reports the key frame is placed when the recorder got it: at the close, 200 ms on
      // the injected clock, where the audio captured at 180 ms (arrived at 200 ms) also is.
      expect(summary.startedAtMs).toBe(LOCAL0 + 200);
      const recording = readRecording(recorder.path);
      expect(recording.video.map(captureOf)).toEqual([80]);
      expect(recording.video[0]).toMatchObject({ keyframe: true, timestamp: 0 });
      expect(recording.audio.map(captureOf)).toEqual([180]);
      expect(recording.audio[0].timestamp).toBe(0);
    });
  });

  describe('timer', () => {
    it('gives up a gap when packets stop, on the injected clock', async () => {
      const audio = audioTrack();
      const recorder = await openRecorder({ audio });
      const timeline = new Timeline();
      for (const at of range(0, 200, 20))
        audio.frame(timeline, at, packetizeOpus(opusFrame(at)), { drop: at === 100 ? [0] : [] });
      timeline.play();
      // 0–80 ms written; 120–180 ms wait behind the lost packet.
      expect(recorder.stats.audioFrames).toBe(5);
      vi.advanceTimersByTime(100);
      expect(recorder.stats.audioFrames).toBe(5);
      clock.ms = LOCAL0 + 400;
      vi.advanceTimersByTime(100);
      expect(recorder.stats.audioFrames).toBe(9);
      await recorder.close();
      const recording = readRecording(recorder.path);
      const expected = range(0, 200, 20).filter((at) => at !== 100);
      expect(recording.audio.map(captureOf)).toEqual(expected);
      expect(recording.audio.map((block) => block.timestamp)).toEqual(expected);
    });

    it('ends the hold for sender reports after syncHoldMs when packets stop', async () => {
      const video = videoTrack();
      const audio = audioTrack();
      const recorder = await openRecorder({ video, audio }, { syncHoldMs: 300 });
      const timeline = new Timeline();
      for (const at of range(0, 120, 40)) video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 0)));
      for (const at of range(0, 120, 20)) audio.frame(timeline, at, packetizeOpus(opusFrame(at)));
      timeline.play();
      clock.ms = LOCAL0 + 319;
      vi.advanceTimersByTime(100);
      expect(recorder.state).toBe('waiting');
      clock.ms = LOCAL0 + 320;
      vi.advanceTimersByTime(100);
      expect(recorder.state).toBe('recording');
      const summary = await recorder.close();
      expect(summary.startedAtMs).toBe(LOCAL0 + 20);
      const recording = readRecording(recorder.path);
      expect(recording.video.map((block) => block.timestamp)).toEqual(range(0, 120, 40));
      expect(recording.audio.map((block) => block.timestamp)).toEqual(range(0, 120, 20));
    });
  });

  describe('codecs', () => {
    const H264: RtpCodecParameters = {
      mimeType: 'video/H264',
      payloadType: 102,
      clockRate: 90_000,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
      rtcpFeedback: [],
    };
    /** An access unit: SPS, PPS and IDR for a key frame, one slice otherwise; the capture time ends the last unit. */
    const h264Frame = (captureMs: number, keyframe: boolean): Uint8Array[] =>
      keyframe
        ? [
            SPS_320x240_BASELINE,
            PPS_320x240_BASELINE,
            tagged(Uint8Array.of(0x65, 0x88, 0x84, 0, 0), captureMs),
          ]
        : [tagged(Uint8Array.of(0x41, 0x9a, 0x02, 0, 0), captureMs)];

    it('records H.264 into Matroska, renaming the file to .mkv, with the size and avcC from the SPS', async () => {
      const video = new Track('video', { codec: H264, ssrc: 0x3333_0003 });
      const path = newPath();
      const recorder = await Recorder.open({ path, video: video.producer, now: () => clock.ms });
      const timeline = new Timeline();
      for (const at of range(0, 400, 40)) video.frame(timeline, at, packetizeH264(h264Frame(at, at === 0)));
      timeline.play();
      const summary = await recorder.close();
      expect(summary.path).toBe(path.replace(/\.webm$/, '.mkv'));
      expect(recorder.path).toBe(summary.path);
      expect(existsSync(path)).toBe(false);
      const recording = readRecording(summary.path);
      expect(recording.structure.docType).toBe('matroska');
      expect(recording.structure.tracks[0]).toMatchObject({
        codecId: 'V_MPEG4/ISO/AVC',
        width: 320,
        height: 240,
      });
      expect(recording.structure.tracks[0].codecPrivate?.length).toBeGreaterThan(0);
      expect(recording.video.map(captureOf)).toEqual(range(0, 400, 40));
      expect(recording.video.map((block) => block.timestamp)).toEqual(range(0, 400, 40));
      expect(summary).toMatchObject({ finalized: true, video: { codec: 'h264', width: 320, height: 240 } });
    });

    it('records the negotiated codec the publisher sends, and ignores another one once recording', async () => {
      // VP8 was negotiated first, H.264 second; the publisher sends H.264.
      const video = new Track('video', { codec: H264, codecs: [VP8, H264], ssrc: 0x4444_0004 });
      const recorder = await Recorder.open({ path: newPath(), video: video.producer, now: () => clock.ms });
      const timeline = new Timeline();
      for (const at of range(0, 200, 40)) video.frame(timeline, at, packetizeH264(h264Frame(at, at === 0)));
      // Then VP8 on the same stream: not something the H.264 track can hold.
      for (const at of range(200, 400, 40))
        video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 200)), { payloadType: VP8.payloadType });
      timeline.play();
      const summary = await recorder.close();
      expect(summary.video).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      const recording = readRecording(summary.path);
      expect(recording.structure.tracks[0].codecId).toBe('V_MPEG4/ISO/AVC');
      expect(recording.video.map(captureOf)).toEqual(range(0, 200, 40));
    });
  });

  describe('failures', () => {
    it('rejects a path whose directory cannot be created with ERR_RECORDING_WRITE_FAILED', async () => {
      const blocker = join(dir, 'not-a-directory');
      writeFileSync(blocker, 'a file');
      const video = videoTrack();
      const error = await Recorder.open({
        path: join(blocker, 'sub', 'x.webm'),
        video: video.producer,
        now: () => clock.ms,
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RecordingError);
      expect(error).toMatchObject({ code: 'ERR_RECORDING_WRITE_FAILED' });
      // Nothing was attached to the producer.
      expect(video.producer.sinkCount).toBe(0);
      expect(video.keyframeRequests).toEqual([]);
    });

    it('rejects a codec it cannot record with ERR_RECORDING_UNSUPPORTED, before touching the disk', async () => {
      const pcmu = audioTrack({
        codec: { mimeType: 'audio/PCMU', payloadType: 0, clockRate: 8000, parameters: {}, rtcpFeedback: [] },
      });
      const path = join(dir, 'never-created', 'pcmu.webm');
      const error = await Recorder.open({ path, audio: pcmu.producer }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RecordingError);
      expect(error).toMatchObject({ code: 'ERR_RECORDING_UNSUPPORTED' });
      expect(existsSync(join(dir, 'never-created'))).toBe(false);
      // A video codec offered as the audio track is no better.
      const vp8AsAudio = audioTrack({ codec: VP8 });
      await expect(Recorder.open({ path: newPath(), audio: vp8AsAudio.producer })).rejects.toMatchObject({
        code: 'ERR_RECORDING_UNSUPPORTED',
      });
      expect(pcmu.producer.sinkCount + vp8AsAudio.producer.sinkCount).toBe(0);
    });

    it('rejects a recorder without producers, or with a closed one', async () => {
      await expect(Recorder.open({ path: newPath() })).rejects.toMatchObject({
        code: 'ERR_RECORDING_INVALID_ARGUMENT',
      });
      const video = videoTrack();
      video.producer.close();
      await expect(Recorder.open({ path: newPath(), video: video.producer })).rejects.toMatchObject({
        code: 'ERR_RECORDING_INVALID_ARGUMENT',
      });
    });

    it.skipIf(!existsSync('/dev/full'))(
      "reports a write failure once as 'failed', detaches, and still closes",
      async () => {
        // A device that refuses every write ("no space left"), reached through a link with the right extension.
        const path = join(dir, 'full.webm');
        symlinkSync('/dev/full', path);
        const video = videoTrack();
        const recorder = await Recorder.open({ path, video: video.producer, now: () => clock.ms });
        const failures: RecordingError[] = [];
        recorder.on('failed', (error) => failures.push(error));
        const failed = new Promise<RecordingError>((resolve) => recorder.once('failed', resolve));
        const timeline = new Timeline();
        for (const at of range(0, 200, 40)) video.frame(timeline, at, packetizeVp8(vp8Frame(at, at === 0)));
        timeline.play();
        const error = await failed;
        expect(error).toBeInstanceOf(RecordingError);
        expect(error.code).toBe('ERR_RECORDING_WRITE_FAILED');
        expect(recorder.state).toBe('failed');
        expect(video.producer.sinkCount).toBe(0);
        // Later packets go nowhere.
        const later = new Timeline();
        video.frame(later, 200, packetizeVp8(vp8Frame(200, true)));
        later.play();
        const summary = await recorder.close();
        expect(summary.finalized).toBe(false);
        expect(recorder.state).toBe('failed');
        expect(failures).toHaveLength(1);
      },
    );
  });
});
