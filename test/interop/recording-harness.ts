/**
 * Shared pieces of the recording interop tests: UDP receivers on loopback
 * for what FFmpeg sends with `-f rtp`, an IVF reader for what it writes with
 * `-f ivf`, deterministic network impairment (reordering, loss,
 * duplicates), the receive pipeline (FrameAssembler per stream → one
 * WebmWriter) and ffprobe / ffmpeg checks of the result.
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { type AudioCodecName, RTP_CLOCK_RATE, type VideoCodecName } from '../../src/recording/codec.js';
import {
  createFrameAssembler,
  type DepacketizedFrame,
  type DepacketizerPacket,
} from '../../src/recording/depacketizer/index.js';
import { FileSink } from '../../src/recording/sink.js';
import { describeVideoKeyframe } from '../../src/recording/video-track.js';
import { WebmWriter, type WebmWriterSummary, type WrittenCluster } from '../../src/recording/webm-writer.js';
import { decodeRtpPacket } from '../../src/rtp/packet.js';
import { describeResult, runProcess } from '../helpers/process.js';
import { missingToolsBanner, type ToolCheck } from '../helpers/tools.js';

/** A datagram as it arrived. */
export interface CapturedPacket {
  data: Uint8Array;
  arrivalMs: number;
}

/** A pair of loopback UDP sockets (RTP and RTCP) collecting what arrives. */
export interface RtpReceiver {
  rtpPort: number;
  rtcpPort: number;
  packets: CapturedPacket[];
  /** The URL to give FFmpeg's RTP muxer. */
  url: string;
  close(): void;
}

function bind(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

/** Binds an RTP and an RTCP socket on 127.0.0.1 (ports from the kernel). */
export async function openRtpReceiver(): Promise<RtpReceiver> {
  const rtp = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const rtcp = createSocket('udp4');
  const packets: CapturedPacket[] = [];
  rtp.on('message', (message) =>
    packets.push({ data: new Uint8Array(message), arrivalMs: performance.now() }),
  );
  rtcp.on('message', () => {});
  const rtpPort = await bind(rtp);
  const rtcpPort = await bind(rtcp);
  return {
    rtpPort,
    rtcpPort,
    packets,
    url: `rtp://127.0.0.1:${rtpPort}?rtcpport=${rtcpPort}&pkt_size=1200`,
    close() {
      rtp.close();
      rtcp.close();
    },
  };
}

/** Waits (bounded) until no packet arrived for `quietMs` on any receiver. */
export async function waitForQuiet(
  receivers: readonly RtpReceiver[],
  quietMs = 250,
  limitMs = 3000,
): Promise<void> {
  const deadline = performance.now() + limitMs;
  let last = -1;
  let stableSince = performance.now();
  while (performance.now() < deadline) {
    const count = receivers.reduce((sum, receiver) => sum + receiver.packets.length, 0);
    if (count !== last) {
      last = count;
      stableSince = performance.now();
    } else if (performance.now() - stableSince >= quietMs) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Runs ffmpeg to completion (bounded) and throws with its output when it fails. */
export async function ffmpeg(args: string[], timeoutMs = 90_000): Promise<void> {
  const result = await runProcess('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', ...args], {
    timeoutMs,
  });
  if (result.exitCode !== 0) throw new Error(`ffmpeg failed:\n${describeResult(result)}`);
}

/** An IVF file (the VP8/VP9/AV1 elementary stream container FFmpeg writes with -f ivf). */
export interface IvfFile {
  fourcc: string;
  width: number;
  height: number;
  /** Seconds per pts unit: numerator / denominator. */
  timebaseNumerator: number;
  timebaseDenominator: number;
  frames: { pts: number; data: Uint8Array }[];
}

/** Reads an IVF file: a 32-byte header, then per frame a 12-byte header (size, 64-bit pts) and the frame. */
export function parseIvf(bytes: Uint8Array): IvfFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== 'DKIF') throw new Error('not an IVF file');
  const headerSize = view.getUint16(6, true);
  const file: IvfFile = {
    fourcc: new TextDecoder().decode(bytes.subarray(8, 12)),
    width: view.getUint16(12, true),
    height: view.getUint16(14, true),
    timebaseDenominator: view.getUint32(16, true),
    timebaseNumerator: view.getUint32(20, true),
    frames: [],
  };
  let at = headerSize;
  while (at + 12 <= bytes.length) {
    const size = view.getUint32(at, true);
    const pts = Number(view.getBigUint64(at + 4, true));
    at += 12;
    if (at + size > bytes.length) break;
    file.frames.push({ pts, data: bytes.subarray(at, at + size) });
    at += size;
  }
  return file;
}

/** Deterministic network trouble applied to a packet list. */
export interface Impairment {
  seed: number;
  /** Each packet may move up to this many places later. */
  reorderWindow: number;
  /** Probability that a packet is dropped. */
  dropRate: number;
  /** Probability that a packet is sent twice. */
  duplicateRate: number;
  /** The first packets are never dropped (so the stream has a start). */
  protectFirst?: number;
}

/** mulberry32: a small seeded PRNG, so impairments are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Drops, duplicates and reorders `items` (bounded displacement). Arrival
 * times stay in their original order: the packets change places, the clock
 * does not.
 */
export function impair(items: readonly CapturedPacket[], impairment: Impairment): CapturedPacket[] {
  const next = random(impairment.seed);
  const kept: CapturedPacket[] = [];
  items.forEach((item, index) => {
    if (index >= (impairment.protectFirst ?? 0) && next() < impairment.dropRate) return;
    kept.push(item);
    if (next() < impairment.duplicateRate) kept.push(item);
  });
  const keyed = kept.map((item, index) => ({ item, key: index + next() * impairment.reorderWindow }));
  keyed.sort((a, b) => a.key - b.key);
  const times = kept.map((item) => item.arrivalMs).sort((a, b) => a - b);
  return keyed.map(({ item }, index) => ({ data: item.data, arrivalMs: times[index] }));
}

/** One captured stream to record. */
export interface StreamInput<C> {
  codec: C;
  packets: readonly CapturedPacket[];
}

/** What recordStreams did. */
export interface RecordingRun {
  summary: WebmWriterSummary;
  clusters: WrittenCluster[];
  videoFrames: DepacketizedFrame[];
  audioFrames: DepacketizedFrame[];
  keyframeRequests: number;
  videoLost: number;
  /** Video frames written to the file (those before the first key frame are not). */
  writtenVideoFrames: number;
}

interface Emitted {
  kind: 'audio' | 'video';
  frame: DepacketizedFrame;
  atMs: number;
  timestampMs: number;
}

/**
 * The receive side of a recording: RTP datagrams → decodeRtpPacket →
 * FrameAssembler per stream → WebmWriter on a FileSink. Runs over captured
 * packets with their arrival times, so reordering and loss are applied
 * deterministically; frames reach the writer in the order they completed.
 * Each stream's time starts at the RTP timestamp of its earliest packet:
 * FFmpeg stamps packets with its own presentation times from a random base
 * per stream, so this lines audio and video up as FFmpeg read them (the
 * server will use RTCP sender reports instead).
 */
export async function recordStreams(
  path: string,
  streams: { video?: StreamInput<VideoCodecName>; audio?: StreamInput<AudioCodecName> },
  options: { onCluster?: (cluster: WrittenCluster) => void } = {},
): Promise<RecordingRun> {
  const emitted: Emitted[] = [];
  let keyframeRequests = 0;
  let videoLost = 0;
  for (const kind of ['video', 'audio'] as const) {
    const stream = streams[kind];
    if (!stream) continue;
    const assembler = createFrameAssembler(stream.codec, { onKeyframeNeeded: () => keyframeRequests++ });
    const clock = RTP_CLOCK_RATE[stream.codec];
    const decoded = stream.packets.flatMap((captured) => {
      const result = decodeRtpPacket(captured.data);
      return result.ok ? [{ packet: result.value as DepacketizerPacket, arrivalMs: captured.arrivalMs }] : [];
    });
    // The earliest timestamp among the first arrivals (they may be reordered).
    let base = decoded[0]?.packet.timestamp ?? 0;
    for (const { packet } of decoded.slice(0, 32))
      if (((packet.timestamp - base) | 0) < 0) base = packet.timestamp;
    const take = (frames: readonly DepacketizedFrame[], atMs: number) => {
      for (const frame of frames) {
        const timestampMs = (((frame.rtpTimestamp - base) | 0) * 1000) / clock;
        emitted.push({ kind, frame, atMs, timestampMs });
      }
    };
    let lastArrival = 0;
    for (const { packet, arrivalMs } of decoded) {
      lastArrival = arrivalMs;
      take(assembler.push(packet, arrivalMs), arrivalMs);
    }
    take(assembler.flush(), lastArrival + 1);
    if (kind === 'video') videoLost = assembler.stats.lost;
  }
  emitted.sort((a, b) => a.atMs - b.atMs);
  const videoFrames = emitted.filter((e) => e.kind === 'video').map((e) => e.frame);
  const audioFrames = emitted.filter((e) => e.kind === 'audio').map((e) => e.frame);

  const firstVideo = videoFrames[0];
  const video =
    streams.video && firstVideo ? describeVideoKeyframe(streams.video.codec, firstVideo.data) : undefined;
  if (streams.video && !video) throw new Error(`no usable ${streams.video.codec} key frame was received`);
  const clusters: WrittenCluster[] = [];
  const sink = await FileSink.open(path);
  const writer = new WebmWriter(sink, {
    video,
    audio: streams.audio ? { codec: 'opus', channels: 2 } : undefined,
    onClusterWritten: (cluster) => {
      clusters.push(cluster);
      options.onCluster?.(cluster);
    },
  });
  let writtenVideoFrames = 0;
  for (const { kind, frame, timestampMs } of emitted) {
    if (writer.writeFrame(kind, timestampMs, frame.data, frame.keyframe) && kind === 'video')
      writtenVideoFrames++;
  }
  const summary = await writer.close();
  return { summary, clusters, videoFrames, audioFrames, keyframeRequests, videoLost, writtenVideoFrames };
}

/** The parts of `ffprobe -show_streams -show_format -of json` the tests read. */
export interface ProbeResult {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; channels?: number }[];
  format: { format_name: string; duration?: string };
}

/** Runs ffprobe on a file; throws with its output when it fails. */
export async function ffprobe(path: string): Promise<ProbeResult> {
  const result = await runProcess(
    'ffprobe',
    ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path],
    { timeoutMs: 30_000 },
  );
  if (result.exitCode !== 0) throw new Error(`ffprobe failed:\n${describeResult(result)}`);
  return JSON.parse(result.stdout) as ProbeResult;
}

/**
 * Decodes every stream of a file with `ffmpeg -v error -i FILE -f null -`; returns exit code and what it printed.
 * `-enc_time_base -1` keeps the file's own time base (ms) on the way to the null muxer: by default FFmpeg
 * stamps decoded video in 1/frame-rate units, and two frames of a real-time stream closer than a frame
 * interval (a sender catching up after a late capture) would collide there, a "non monotonically
 * increasing dts" complaint about FFmpeg's own output that says nothing of the file.
 */
export async function decodeFile(
  path: string,
): Promise<{ exitCode: number | null; errors: string; description: string }> {
  const result = await runProcess(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-v', 'error', '-i', path, '-enc_time_base', '-1', '-f', 'null', '-'],
    {
      timeoutMs: 60_000,
    },
  );
  return { exitCode: result.exitCode, errors: result.stderr.trim(), description: describeResult(result) };
}

/** Frames ffprobe decodes in the first stream of a type ('v' or 'a'). */
export async function countDecodedFrames(path: string, stream: 'v' | 'a'): Promise<number> {
  const result = await runProcess(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      `${stream}:0`,
      '-show_entries',
      'stream=nb_read_frames',
      '-of',
      'csv=p=0',
      path,
    ],
    { timeoutMs: 60_000 },
  );
  const text = result.stdout.trim();
  // A stream that is declared but has no packets reads as N/A.
  const count = text === 'N/A' ? 0 : Number.parseInt(text, 10);
  if (result.exitCode !== 0 || Number.isNaN(count))
    throw new Error(`ffprobe -count_frames failed:\n${describeResult(result)}`);
  return count;
}

let encoderList: Set<string> | undefined;

/** FFmpeg's encoders, read once (synchronously, so the result can drive describe.skipIf at collection). */
function ffmpegEncoders(): Set<string> {
  if (encoderList) return encoderList;
  const listing = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 20_000 });
  encoderList = new Set(
    (listing.stdout ?? '')
      .split('\n')
      .map((line) => /^\s*[VAS][.A-Z]{5}\s+(\S+)/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined),
  );
  return encoderList;
}

/**
 * A ToolCheck for an FFmpeg encoder (the first of `candidates` that this
 * FFmpeg has), so that a missing encoder skips loudly and fails under CI
 * like a missing tool. `encoder` names the one found.
 */
export function encoderCheck(
  ffmpegTools: ToolCheck,
  label: string,
  candidates: string[],
): ToolCheck & { encoder?: string } {
  const encoder = ffmpegTools.present ? candidates.find((name) => ffmpegEncoders().has(name)) : undefined;
  const check = {
    tools: [`ffmpeg encoder ${candidates.join(' or ')}`],
    debianPackage: 'ffmpeg (Debian 12 builds it with libvpx, libx264, libopus, libaom, SVT-AV1 and rav1e)',
    present: ffmpegTools.present && encoder !== undefined,
    missing: encoder ? [] : [`ffmpeg encoder ${candidates.join('/')} for ${label}`],
    paths: {},
    encoder,
  };
  if (ffmpegTools.present && !check.present) console.warn(missingToolsBanner(check));
  return check;
}
