/**
 * What a recorded file holds, read with FFmpeg's own tools:
 *
 *   probeRecording   ffprobe -show_entries stream=…:format=…:frame=… -of json
 *                    codec, size, channels and sample rate per stream, the
 *                    container duration, and the first and last decoded
 *                    frame of each stream (pts_time, pts_time + duration)
 *   decodeErrors     ffmpeg -v error -i FILE -f null -   (empty = clean)
 *   measureAvSync    the offset between audio and video of a file whose
 *                    picture flashes while a tone burst starts, periodically
 *
 * All times are on the file's presentation timeline: stream start times
 * (e.g. the Opus codec delay, or a stream that begins later than the other)
 * are kept, never shifted to zero.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeResult, runProcess } from '../helpers/process.js';
import { decodeFile } from './recording-harness.js';

/** One stream of a probed file. */
export interface ProbedStream {
  index: number;
  /** 'video', 'audio', … as ffprobe says (codec_type). */
  type: string;
  /** ffprobe's codec_name: 'vp8', 'vp9', 'av1', 'h264', 'opus', … */
  codec: string;
  width?: number;
  height?: number;
  channels?: number;
  sampleRate?: number;
  /** The stream's start_time in seconds, null when ffprobe does not know it. */
  startTime: number | null;
  /** Frames ffprobe decoded. */
  frames: number;
  /** pts_time of the earliest decoded frame, seconds. */
  firstFrameTime: number | null;
  /** pts_time + duration of the latest decoded frame, seconds. */
  lastFrameEnd: number | null;
}

/** What probeRecording found. */
export interface RecordingProbe {
  /** ffprobe's format_name ('matroska,webm' for WebM and Matroska). */
  formatName: string;
  /** Container duration in seconds, null when the container does not say. */
  duration: number | null;
  /** Container start_time in seconds. */
  startTime: number | null;
  streams: ProbedStream[];
}

interface FfprobeJson {
  streams?: {
    index: number;
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    channels?: number;
    sample_rate?: string;
    start_time?: string;
  }[];
  format?: { format_name?: string; duration?: string; start_time?: string };
  frames?: {
    stream_index: number;
    pts_time?: string;
    best_effort_timestamp_time?: string;
    /** FFmpeg ≥ 6 */
    duration_time?: string;
    /** FFmpeg ≤ 6 */
    pkt_duration_time?: string;
  }[];
}

/** A number from ffprobe's text fields ('N/A' and absent read as null). */
function seconds(text: string | undefined): number | null {
  if (text === undefined || text === 'N/A' || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Describes every stream of a media file: one ffprobe run that reads the
 * stream and format headers and decodes every frame (fast for files of a
 * few tens of seconds at WebRTC sizes). Throws when ffprobe fails.
 */
export async function probeRecording(path: string): Promise<RecordingProbe> {
  const result = await runProcess(
    'ffprobe',
    [
      '-v',
      'error',
      '-show_entries',
      [
        'stream=index,codec_type,codec_name,width,height,channels,sample_rate,start_time',
        'format=format_name,duration,start_time',
        'frame=stream_index,pts_time,best_effort_timestamp_time,pkt_duration_time,duration_time',
      ].join(':'),
      '-of',
      'json=compact=1',
      path,
    ],
    { timeoutMs: 120_000 },
  );
  if (result.exitCode !== 0) throw new Error(`ffprobe failed:\n${describeResult(result)}`);
  let parsed: FfprobeJson;
  try {
    parsed = JSON.parse(result.stdout) as FfprobeJson;
  } catch (error) {
    throw new Error(`ffprobe printed no valid JSON (${String(error)}):\n${describeResult(result, 5)}`);
  }
  const streams: ProbedStream[] = (parsed.streams ?? []).map((stream) => ({
    index: stream.index,
    type: stream.codec_type ?? 'unknown',
    codec: stream.codec_name ?? 'unknown',
    ...(stream.width !== undefined ? { width: stream.width } : {}),
    ...(stream.height !== undefined ? { height: stream.height } : {}),
    ...(stream.channels !== undefined ? { channels: stream.channels } : {}),
    ...(stream.sample_rate !== undefined ? { sampleRate: Number(stream.sample_rate) } : {}),
    startTime: seconds(stream.start_time),
    frames: 0,
    firstFrameTime: null,
    lastFrameEnd: null,
  }));
  const byIndex = new Map(streams.map((stream) => [stream.index, stream]));
  for (const frame of parsed.frames ?? []) {
    const stream = byIndex.get(frame.stream_index);
    if (!stream) continue;
    stream.frames++;
    const pts = seconds(frame.pts_time) ?? seconds(frame.best_effort_timestamp_time);
    if (pts === null) continue;
    const end = pts + (seconds(frame.duration_time) ?? seconds(frame.pkt_duration_time) ?? 0);
    if (stream.firstFrameTime === null || pts < stream.firstFrameTime) stream.firstFrameTime = pts;
    if (stream.lastFrameEnd === null || end > stream.lastFrameEnd) stream.lastFrameEnd = end;
  }
  return {
    formatName: parsed.format?.format_name ?? 'unknown',
    duration: seconds(parsed.format?.duration),
    startTime: seconds(parsed.format?.start_time),
    streams,
  };
}

/**
 * Decodes every stream with `ffmpeg -v error -i FILE -f null -` and returns
 * what it printed: empty when the file is clean. FFmpeg exits 0 for most
 * damage (it reports and carries on), so the text is what tells; a failed
 * run with nothing printed is reported too.
 */
export async function decodeErrors(path: string): Promise<string> {
  const decoded = await decodeFile(path);
  if (decoded.errors !== '') return decoded.errors;
  return decoded.exitCode === 0 ? '' : decoded.description;
}

/** Tuning of measureAvSync. */
export interface AvSyncOptions {
  /** A flash and a beep further apart than this are not a pair. Default 400 ms. */
  maxPairDistanceMs?: number;
  /** Width of the audio RMS window. Default 5 ms. */
  rmsWindowMs?: number;
  /** The least luma step (0–255, full range) between dark and bright frames that counts as flashing. Default 40. */
  minLumaContrast?: number;
}

/** What measureAvSync found. */
export interface AvSyncResult {
  /** Flashes that have a beep within maxPairDistanceMs. */
  pairs: number;
  /** Per pair, audio onset − video onset, ms (positive: the sound comes late). */
  offsetsMs: number[];
  /** Median of offsetsMs; NaN without pairs. */
  medianOffsetMs: number;
  /** Largest |offset|; NaN without pairs. */
  maxAbsOffsetMs: number;
  /** Flash onsets on the presentation timeline, ms. */
  flashesMs: number[];
  /** Beep onsets on the presentation timeline, ms. */
  beepsMs: number[];
}

const RAW_WIDTH = 32;
const RAW_HEIGHT = 24;
const SAMPLE_RATE = 48_000;

/** The p-th percentile (0–1) of values (sorted copy). */
function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Flash onsets: the frames whose mean luma crosses the midpoint between
 * the dark level (10th percentile) and the brightest frame, upward. A file
 * that starts bright has no onset at its first frame.
 */
export function detectFlashes(
  frames: readonly { ptsMs: number; luma: number }[],
  minContrast = 40,
): number[] {
  const lumas = frames.map((frame) => frame.luma);
  const dark = percentile(lumas, 0.1);
  const bright = Math.max(...lumas);
  if (!(bright - dark >= minContrast)) return [];
  const threshold = (dark + bright) / 2;
  const onsets: number[] = [];
  for (let n = 1; n < frames.length; n++) {
    if (frames[n].luma >= threshold && frames[n - 1].luma < threshold) onsets.push(frames[n].ptsMs);
  }
  return onsets;
}

/**
 * Beep onsets in mono 16-bit samples whose sample 0 is at `startMs`: the
 * RMS over a sliding window (1 ms steps) crosses 30 % of the way from the
 * noise floor (median) to the peak (99.9th percentile), upward; the onset is
 * the end of that window (≈ where the burst begins, since the first 9 % of
 * the window inside the burst is enough to cross). It re-arms once the
 * RMS stayed under 10 % of the way for 30 ms.
 */
export function detectBeeps(
  samples: Int16Array,
  options: { sampleRate?: number; startMs?: number; windowMs?: number } = {},
): number[] {
  const rate = options.sampleRate ?? SAMPLE_RATE;
  const window = Math.max(1, Math.round(((options.windowMs ?? 5) * rate) / 1000));
  const hop = Math.max(1, Math.round(rate / 1000));
  const energy = new Float64Array(samples.length + 1);
  for (let i = 0; i < samples.length; i++) energy[i + 1] = energy[i] + samples[i] * samples[i];
  const count = Math.floor((samples.length - window) / hop) + 1;
  if (count <= 0) return [];
  const rms = new Float64Array(count);
  for (let k = 0; k < count; k++) rms[k] = Math.sqrt((energy[k * hop + window] - energy[k * hop]) / window);
  const noise = percentile(rms, 0.5);
  const peak = percentile(rms, 0.999);
  // A burst is loud in absolute terms (over −50 dBFS) and well above the floor.
  if (!(peak > 100 && peak > 4 * noise)) return [];
  const high = noise + 0.3 * (peak - noise);
  const low = noise + 0.1 * (peak - noise);
  const rearmSteps = Math.round((30 * rate) / 1000 / hop);
  const onsets: number[] = [];
  let armed = rms[0] < low;
  let quiet = 0;
  for (let k = 0; k < count; k++) {
    if (armed) {
      if (rms[k] >= high) {
        onsets.push((options.startMs ?? 0) + ((k * hop + window) * 1000) / rate);
        armed = false;
        quiet = 0;
      }
    } else if (rms[k] < low) {
      if (++quiet >= rearmSteps) armed = true;
    } else {
      quiet = 0;
    }
  }
  return onsets;
}

/** Pairs each flash with the nearest beep (within maxDistanceMs) and sums up the offsets. */
export function pairOnsets(
  flashesMs: readonly number[],
  beepsMs: readonly number[],
  maxDistanceMs = 400,
): Pick<AvSyncResult, 'pairs' | 'offsetsMs' | 'medianOffsetMs' | 'maxAbsOffsetMs'> {
  const offsetsMs: number[] = [];
  for (const flash of flashesMs) {
    let best: number | undefined;
    for (const beep of beepsMs)
      if (best === undefined || Math.abs(beep - flash) < Math.abs(best)) best = beep - flash;
    if (best !== undefined && Math.abs(best) <= maxDistanceMs) offsetsMs.push(best);
  }
  return {
    pairs: offsetsMs.length,
    offsetsMs,
    medianOffsetMs: median(offsetsMs),
    maxAbsOffsetMs: offsetsMs.length ? Math.max(...offsetsMs.map(Math.abs)) : Number.NaN,
  };
}

/**
 * Measures audio/video sync in a file whose picture flashes (mean luma
 * jumps) at the instants a tone burst starts, periodically. One ffmpeg run
 * decodes, keeping the file's timestamps (-copyts):
 *
 *   the first video stream → 32×24 gray frames (-fps_mode passthrough),
 *     each frame's pts from showinfo;
 *   the first audio stream → mono s16le at 48 kHz through
 *     aresample=async=1:min_hard_comp=0.001:first_pts=0, so that sample i
 *     is at i / 48000 s of the presentation timeline: silence before a
 *     late start, the part before 0 trimmed, gaps filled.
 *
 * Flashes and beeps are detected (detectFlashes, detectBeeps), each flash
 * is paired with the nearest beep, and offsets are audio − video.
 * Throws when the file has no video or no audio stream, or FFmpeg cannot
 * decode it.
 */
export async function measureAvSync(path: string, options: AvSyncOptions = {}): Promise<AvSyncResult> {
  const directory = await mkdtemp(join(tmpdir(), 'switchboard-avsync-'));
  try {
    const videoPath = join(directory, 'video.gray');
    const audioPath = join(directory, 'audio.s16le');
    const result = await runProcess(
      'ffmpeg',
      [
        ['-hide_banner', '-nostdin', '-nostats', '-v', 'info', '-copyts', '-i', path],
        ['-map', '0:v:0', '-vf', `scale=${RAW_WIDTH}:${RAW_HEIGHT},format=gray,showinfo`],
        ['-fps_mode', 'passthrough', '-f', 'rawvideo', '-y', videoPath],
        ['-map', '0:a:0', '-af', `aresample=${SAMPLE_RATE}:async=1:min_hard_comp=0.001:first_pts=0`],
        ['-ac', '1', '-f', 's16le', '-y', audioPath],
      ].flat(),
      { timeoutMs: 120_000 },
    );
    if (result.exitCode !== 0) throw new Error(`ffmpeg could not decode ${path}:\n${describeResult(result)}`);

    const ptsMs = [...result.stderr.matchAll(/\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.]+)/g)].map(
      (match) => Number(match[1]) * 1000,
    );
    const gray = await readFile(videoPath);
    const frameSize = RAW_WIDTH * RAW_HEIGHT;
    const frameCount = Math.floor(gray.length / frameSize);
    if (frameCount !== ptsMs.length)
      throw new Error(`${frameCount} video frames decoded but showinfo stamped ${ptsMs.length}`);
    const frames = ptsMs.map((pts, n) => {
      let sum = 0;
      for (let i = n * frameSize; i < (n + 1) * frameSize; i++) sum += gray[i];
      return { ptsMs: pts, luma: sum / frameSize };
    });

    const pcm = await readFile(audioPath);
    // A copy: a small Buffer may sit at an odd offset of a shared pool.
    const samples = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + (pcm.length & ~1)));

    const flashesMs = detectFlashes(frames, options.minLumaContrast);
    const beepsMs = detectBeeps(samples, { sampleRate: SAMPLE_RATE, windowMs: options.rmsWindowMs });
    return { ...pairOnsets(flashesMs, beepsMs, options.maxPairDistanceMs), flashesMs, beepsMs };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
