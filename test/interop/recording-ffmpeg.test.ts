/**
 * Recording proven against FFmpeg as a real peer. FFmpeg encodes a 3 s
 * test clip (lavfi `testsrc` 320×240 at 30 fps with a key frame every
 * second, and a `sine` tone) and sends it over RTP to UDP ports on
 * 127.0.0.1:
 *
 *   ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=30:duration=3
 *          -re -f lavfi -i sine=frequency=440:sample_rate=48000:duration=3
 *          -map 0:v -c:v ENCODER … -g 30 -f rtp -seq 65300 rtp://127.0.0.1:P?pkt_size=1200
 *          -map 1:a -c:a libopus -f rtp -seq 65500 rtp://127.0.0.1:Q?pkt_size=1200
 *
 * (sequence numbers start near 65535, so both streams wrap). Our receive
 * side — decodeRtpPacket, FrameAssembler, WebmWriter on a FileSink — writes
 * a WebM (VP8, VP9, AV1) or Matroska (H.264) file, once from the packets
 * as they came and once after deterministic reordering, duplication and
 * loss. Then:
 *
 *   ffprobe -v error -show_streams -show_format -of json FILE
 *     codecs, 320×240, 2 Opus channels, duration within 0.5 s of 3 s
 *   ffmpeg -v error -i FILE -f null -
 *     decodes with no error at all, also after loss (gaps, never corrupt frames)
 *   ffprobe -count_frames
 *     every frame written is decoded
 *
 * FFmpeg 5.1 has no AV1 RTP packetizer, so for AV1 FFmpeg encodes to IVF
 * (libaom-av1, else SVT-AV1 or rav1e) while it streams the Opus over RTP,
 * and src/recording/packetizer.ts puts the temporal units into RTP per the
 * AV1 RTP specification, sent over loopback UDP like the rest.
 *
 * Missing ffmpeg/ffprobe or encoders skip loudly, and fail under CI=true.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoCodecName } from '../../src/recording/codec.js';
import { packetizeAv1 } from '../../src/recording/packetizer.js';
import { readWebm } from '../../src/recording/webm-reader.js';
import { encodeRtpPacket } from '../../src/rtp/packet.js';
import { requireTools, toolAvailable } from '../helpers/tools.js';
import {
  type CapturedPacket,
  countDecodedFrames,
  decodeFile,
  encoderCheck,
  ffmpeg,
  ffprobe,
  type Impairment,
  impair,
  openRtpReceiver,
  parseIvf,
  type RecordingRun,
  recordStreams,
  waitForQuiet,
} from './recording-harness.js';

const tools = toolAvailable(['ffmpeg', 'ffprobe'], 'ffmpeg');
const CLIP_SECONDS = 3;
const FRAMES = CLIP_SECONDS * 30;
const STEP_TIMEOUT_MS = 90_000;

const VIDEO_ENCODERS: Record<Exclude<VideoCodecName, 'av1'>, { candidates: string[]; options: string[] }> = {
  vp8: { candidates: ['libvpx'], options: ['-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k'] },
  vp9: {
    candidates: ['libvpx-vp9'],
    // FFmpeg calls its VP9 RTP packetizer experimental.
    options: ['-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-strict', 'experimental'],
  },
  h264: { candidates: ['libx264'], options: ['-profile:v', 'baseline', '-bf', '0', '-tune', 'zerolatency'] },
};
const AV1_ENCODERS: Record<string, string[]> = {
  'libaom-av1': ['-cpu-used', '8', '-usage', 'realtime', '-lag-in-frames', '0', '-b:v', '300k'],
  libsvtav1: ['-preset', '12', '-b:v', '300k'],
  librav1e: ['-speed', '10', '-b:v', '300k'],
};
const opus = encoderCheck(tools, 'audio', ['libopus']);

/** Loss, reordering and duplicates applied to both streams in the impaired runs. */
const TROUBLE: Impairment = {
  seed: 20_250_101,
  reorderWindow: 6,
  dropRate: 0.02,
  duplicateRate: 0.02,
  protectFirst: 1,
};

const workDir = mkdtempSync(join(tmpdir(), 'switchboard-recording-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const lavfiInputs = [
  '-re',
  '-f',
  'lavfi',
  '-i',
  `testsrc=size=320x240:rate=30:duration=${CLIP_SECONDS}`,
  '-re',
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=440:sample_rate=48000:duration=${CLIP_SECONDS}`,
];

/** Everything one FFmpeg run sent. */
interface Capture {
  video: CapturedPacket[];
  audio: CapturedPacket[];
}

async function checkFile(
  path: string,
  codec: VideoCodecName,
  run: RecordingRun,
  options: { exactDuration: boolean },
): Promise<void> {
  const probe = await ffprobe(path);
  const video = probe.streams.find((stream) => stream.codec_type === 'video');
  const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
  expect(video).toMatchObject({ codec_name: codec, width: 320, height: 240 });
  expect(audio).toMatchObject({ codec_name: 'opus', channels: 2 });
  expect(probe.format.format_name).toContain('matroska');
  if (options.exactDuration)
    expect(Math.abs(Number(probe.format.duration) - CLIP_SECONDS)).toBeLessThanOrEqual(0.5);
  const decoded = await decodeFile(path);
  expect(decoded.exitCode, decoded.description).toBe(0);
  expect(decoded.errors, decoded.description).toBe('');
  expect(await countDecodedFrames(path, 'v')).toBe(run.writtenVideoFrames);
  expect(await countDecodedFrames(path, 'a')).toBe(run.audioFrames.length);
  // The file is finished: Cues point at clusters that start with a key frame.
  const structure = readWebm(new Uint8Array(readFileSync(path)));
  expect(structure.docType).toBe(codec === 'h264' ? 'matroska' : 'webm');
  expect(structure.cues.length).toBeGreaterThanOrEqual(1);
  expect(structure.segmentSize).toBe(readFileSync(path).length - structure.segmentDataOffset!);
}

/** After every gap in the video (a frame interval of more than 1/30 s), the next frame written is a key frame. */
function expectKeyframeAfterEveryGap(run: RecordingRun): void {
  const frames = run.videoFrames;
  expect(frames[0]?.keyframe).toBe(true);
  let gaps = 0;
  for (let i = 1; i < frames.length; i++) {
    if (frames[i].timestamp - frames[i - 1].timestamp <= 3000) continue;
    gaps++;
    expect(frames[i].keyframe, `frame at ${frames[i].timestamp} follows a gap`).toBe(true);
  }
  expect(gaps).toBeGreaterThan(0);
}

/** FFmpeg output arguments: the second input's audio as Opus RTP (payload type 111) to `url`. */
function opusRtpOutput(url: string): string[] {
  return [
    '-map',
    '1:a',
    '-c:a',
    'libopus',
    '-b:a',
    '48k',
    '-f',
    'rtp',
    '-payload_type',
    '111',
    '-seq',
    '65500',
    url,
  ];
}

describe('recording RTP from FFmpeg', () => {
  requireTools(tools);
  requireTools(opus);

  for (const [codec, { candidates, options }] of Object.entries(VIDEO_ENCODERS) as [
    Exclude<VideoCodecName, 'av1'>,
    { candidates: string[]; options: string[] },
  ][]) {
    describe(codec, () => {
      const check = encoderCheck(tools, codec, candidates);
      requireTools(check);
      describe.skipIf(!check.present || !opus.present)(`${codec} + Opus over RTP`, () => {
        let capture: Capture;

        beforeAll(async () => {
          const video = await openRtpReceiver();
          const audio = await openRtpReceiver();
          try {
            await ffmpeg(
              [
                ...lavfiInputs,
                ['-map', '0:v', '-c:v', check.encoder!, ...options, '-pix_fmt', 'yuv420p', '-g', '30'],
                ['-f', 'rtp', '-payload_type', '96', '-seq', '65300', video.url],
                opusRtpOutput(audio.url),
              ].flat(),
            );
            await waitForQuiet([video, audio]);
            capture = { video: [...video.packets], audio: [...audio.packets] };
          } finally {
            video.close();
            audio.close();
          }
        }, STEP_TIMEOUT_MS);

        it(
          'writes a file FFprobe describes correctly and FFmpeg decodes without error',
          async () => {
            const path = join(workDir, `${codec}.${codec === 'h264' ? 'mkv' : 'webm'}`);
            const run = await recordStreams(path, {
              video: { codec, packets: capture.video },
              audio: { codec: 'opus', packets: capture.audio },
            });
            expect(run.videoLost).toBe(0);
            expect(run.writtenVideoFrames).toBe(FRAMES);
            expect(run.keyframeRequests).toBe(0);
            await checkFile(path, codec, run, { exactDuration: true });
          },
          STEP_TIMEOUT_MS,
        );

        it(
          'writes gaps, never corrupt frames, through reordering, duplicates and loss',
          async () => {
            const path = join(workDir, `${codec}-impaired.${codec === 'h264' ? 'mkv' : 'webm'}`);
            const run = await recordStreams(path, {
              video: { codec, packets: impair(capture.video, TROUBLE) },
              audio: { codec: 'opus', packets: impair(capture.audio, TROUBLE) },
            });
            expect(run.videoLost).toBeGreaterThan(0);
            expect(run.keyframeRequests).toBeGreaterThan(0);
            expect(run.writtenVideoFrames).toBeLessThan(FRAMES);
            expect(run.writtenVideoFrames).toBeGreaterThan(0);
            expectKeyframeAfterEveryGap(run);
            await checkFile(path, codec, run, { exactDuration: false });
          },
          STEP_TIMEOUT_MS,
        );
      });
    });
  }

  describe('av1', () => {
    const check = encoderCheck(tools, 'av1', Object.keys(AV1_ENCODERS));
    requireTools(check);
    describe.skipIf(!check.present || !opus.present)(
      'AV1 (encoded by FFmpeg, packetized here) + Opus over RTP',
      () => {
        let capture: Capture;

        beforeAll(async () => {
          const ivfPath = join(workDir, 'av1.ivf');
          const audio = await openRtpReceiver();
          const video = await openRtpReceiver();
          try {
            await ffmpeg(
              [
                ...lavfiInputs,
                [
                  '-map',
                  '0:v',
                  '-c:v',
                  check.encoder!,
                  ...AV1_ENCODERS[check.encoder!],
                  '-pix_fmt',
                  'yuv420p',
                  '-g',
                  '30',
                ],
                ['-f', 'ivf', '-y', ivfPath],
                opusRtpOutput(audio.url),
              ].flat(),
            );
            await waitForQuiet([audio]);
            // Packetize each temporal unit and send it over loopback UDP.
            const ivf = parseIvf(new Uint8Array(readFileSync(ivfPath)));
            const sender = createSocket('udp4');
            let sequenceNumber = 65_300;
            const ticks = (90_000 * ivf.timebaseNumerator) / ivf.timebaseDenominator;
            for (const frame of ivf.frames) {
              for (const { payload, marker } of packetizeAv1(frame.data, { maxPayloadSize: 1188 })) {
                const datagram = encodeRtpPacket({
                  version: 2,
                  marker,
                  payloadType: 45,
                  sequenceNumber: sequenceNumber++ & 0xffff,
                  timestamp: (0x7000_0000 + Math.round(frame.pts * ticks)) >>> 0,
                  ssrc: 0x1234_5678,
                  csrcs: [],
                  extension: undefined,
                  payload,
                  paddingLength: 0,
                });
                await new Promise<void>((resolve, reject) =>
                  sender.send(datagram, video.rtpPort, '127.0.0.1', (error) =>
                    error ? reject(error) : resolve(),
                  ),
                );
              }
            }
            sender.close();
            await waitForQuiet([video]);
            // Sent in one burst: give the packets the arrival times of a real-time sender, on the audio's clock.
            const start = audio.packets[0]?.arrivalMs ?? 0;
            const first = video.packets[0]?.data;
            const firstTimestamp = first ? new DataView(first.buffer, first.byteOffset).getUint32(4) : 0;
            capture = {
              audio: [...audio.packets],
              video: video.packets.map(({ data }) => ({
                data,
                arrivalMs:
                  start +
                  ((new DataView(data.buffer, data.byteOffset).getUint32(4) - firstTimestamp) >>> 0) / 90 +
                  5,
              })),
            };
            expect(capture.video.length).toBeGreaterThan(FRAMES);
          } finally {
            audio.close();
            video.close();
          }
        }, STEP_TIMEOUT_MS);

        it(
          'writes a file FFprobe describes correctly and FFmpeg decodes without error',
          async () => {
            const path = join(workDir, 'av1.webm');
            const run = await recordStreams(path, {
              video: { codec: 'av1', packets: capture.video },
              audio: { codec: 'opus', packets: capture.audio },
            });
            expect(run.writtenVideoFrames).toBe(FRAMES);
            expect(run.keyframeRequests).toBe(0);
            await checkFile(path, 'av1', run, { exactDuration: true });
          },
          STEP_TIMEOUT_MS,
        );

        it(
          'writes gaps, never corrupt frames, through reordering, duplicates and loss',
          async () => {
            const path = join(workDir, 'av1-impaired.webm');
            const run = await recordStreams(path, {
              video: { codec: 'av1', packets: impair(capture.video, TROUBLE) },
              audio: { codec: 'opus', packets: impair(capture.audio, TROUBLE) },
            });
            expect(run.keyframeRequests).toBeGreaterThan(0);
            expect(run.writtenVideoFrames).toBeLessThan(FRAMES);
            expect(run.writtenVideoFrames).toBeGreaterThan(0);
            await checkFile(path, 'av1', run, { exactDuration: false });
          },
          STEP_TIMEOUT_MS,
        );
      },
    );
  });
});
