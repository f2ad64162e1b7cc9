/**
 * A Recorder writes one participant's published tracks (at most one Opus
 * audio producer and one video producer) into one WebM file, or Matroska
 * for H.264, without transcoding. It is a sink of its producers like a
 * consumer, so it sees the media after RTX repair, and it runs on the media
 * worker that owns them.
 *
 * Per track, a FrameAssembler (src/recording/depacketizer) turns RTP into
 * whole frames: reordered, incomplete frames dropped, and a keyframe asked
 * of the publisher (PLI, through the producer's throttle) at the start and
 * after unrecoverable loss, so gaps stay gaps.
 *
 * Timing. Each frame's time is its RTP timestamp turned into this server's
 * wall clock. Once a track has a sender report (RFC 3550 §6.4.1), the report
 * ties its RTP clock to the sender's NTP clock; both tracks of a sender share
 * that NTP clock, and one offset from it to ours (taken at the first report
 * of either track) puts them on our time line with their capture times
 * aligned: lip sync as the sender meant it, whatever the network did to
 * each stream. Every later report re-anchors its track, which follows any
 * drift between the sender's RTP and NTP clocks. Until a track's first
 * report, its frames are placed by their arrival time.
 *
 * Start. With two tracks the recorder holds frames until both tracks have
 * a report and video has a key frame (at most `syncHoldMs`, then it starts
 * with what it has), then starts the file at the first key frame: audio
 * before that instant is dropped, so both tracks begin together. A video
 * track's size comes from that key frame.
 *
 * Output goes through WebmWriter, cluster by cluster, so a process killed
 * mid-way leaves a file that plays up to the last written cluster. When the
 * file cannot be written (disk full, directory gone) the recorder fails:
 * it detaches from its producers and reports once; the room goes on.
 */

import { EventEmitter } from 'node:events';
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isVideoCodec, type RecordingCodecName, recordingCodecFromMimeType } from '../recording/codec.js';
import {
  createFrameAssembler,
  type DepacketizedFrame,
  type FrameAssembler,
} from '../recording/depacketizer/index.js';
import { RecordingError } from '../recording/errors.js';
import { FileSink } from '../recording/sink.js';
import { describeVideoKeyframe } from '../recording/video-track.js';
import { type OpusTrackOptions, type VideoTrackOptions, WebmWriter } from '../recording/webm-writer.js';
import type { RtpPacket } from '../rtp/packet.js';
import { isRtxCodec } from '../sdp/rtp-parameters.js';
import type { MediaKind, Producer, ProducerSink } from './producer.js';

/** Where a recorder stands. */
export type RecorderState = 'waiting' | 'recording' | 'failed' | 'closed';

/** What a recorder reports when it ends. */
export interface RecorderSummary {
  path: string;
  /** Bytes in the file. */
  bytes: number;
  /** From the first to the end of the last frame, ms. */
  durationMs: number;
  /** Wall-clock time (ms since the epoch) of the file's time 0, or null when nothing was written. */
  startedAtMs: number | null;
  audio: { codec: 'opus'; channels: number } | null;
  video: { codec: string; width: number; height: number } | null;
  /** True when the header holds the duration and the seek index (a clean close). */
  finalized: boolean;
  stats: RecorderStats;
}

/** Counters of a recorder. */
export interface RecorderStats {
  audioFrames: number;
  videoFrames: number;
  /** Frames lost to missing packets (both tracks). */
  incompleteFrames: number;
  /** Keyframes asked of the publisher. */
  keyframeRequests: number;
  /** Sender reports used. */
  senderReports: number;
  /** Frames dropped before the file started (audio before the first key frame, holds over the limit). */
  framesBeforeStart: number;
}

/** Events of a {@link Recorder}. */
export interface RecorderEvents {
  /** The file could not be written; the recorder stopped. */
  failed: [error: RecordingError];
  /** Every producer closed (or close() was called) and the file is finished. */
  close: [summary: RecorderSummary];
}

/** Options of {@link Recorder.open}. */
export interface RecorderOptions {
  /** The file to write; its directory is created. */
  path: string;
  audio?: Producer;
  video?: Producer;
  /** Longest a two-track recorder waits for both sender reports and a key frame, ms; default 5000. */
  syncHoldMs?: number;
  /** Longest cluster, ms (what a crash can lose); default 2000. */
  maxClusterDurationMs?: number;
  /** The clock, ms since the epoch; default Date.now. */
  now?: () => number;
}

/** Most frames held before the start (about 5 s of 30 fps video and 20 ms audio). */
const MAX_HELD_FRAMES = 600;
/** How often the recorder looks at its assemblers and idle writer, ms. */
const TICK_MS = 100;
/** A writer with no frame for this long writes its open cluster out, ms. */
const IDLE_FLUSH_MS = 1000;
const TWO_32 = 2 ** 32;

/** A frame waiting for the start, with its track. */
interface HeldFrame {
  track: RecordedTrack;
  frame: DepacketizedFrame;
}

/** NTP timestamp (RFC 5905 64-bit) in ms. */
function ntpToMs(ntp: bigint): number {
  return Number(ntp >> 32n) * 1000 + (Number(ntp & 0xffffffffn) * 1000) / TWO_32;
}

/** A 32-bit RTP timestamp unwrapped to the value nearest `reference` (an unwrapped timestamp), or as is without one. */
function unwrapNear(raw: number, reference: number | undefined): number {
  if (reference === undefined) return raw;
  let value = reference - (reference % TWO_32) + raw;
  if (value - reference > TWO_32 / 2) value -= TWO_32;
  else if (reference - value > TWO_32 / 2) value += TWO_32;
  return value;
}

/** The codecs of a producer the writer can store, by payload type, in the producer's order. */
function recordableCodecs(
  kind: MediaKind,
  producer: Producer,
): Map<number, { codec: RecordingCodecName; clockRate: number; channels: number }> {
  const codecs = new Map<number, { codec: RecordingCodecName; clockRate: number; channels: number }>();
  for (const codec of producer.rtpParameters.codecs) {
    if (isRtxCodec(codec)) continue;
    const name = recordingCodecFromMimeType(codec.mimeType);
    if (!name || isVideoCodec(name) !== (kind === 'video')) continue;
    const stereo = codec.parameters['stereo'];
    codecs.set(codec.payloadType, {
      codec: name,
      clockRate: codec.clockRate,
      channels: stereo === 1 || stereo === '1' ? 2 : 1,
    });
  }
  return codecs;
}

function unsupported(kind: MediaKind, producer: Producer): RecordingError {
  const names = producer.rtpParameters.codecs.map((codec) => codec.mimeType).join(', ') || 'no codec';
  return new RecordingError('ERR_RECORDING_UNSUPPORTED', `cannot record ${kind} in ${names}`);
}

/** One producer's stream into the file. */
class RecordedTrack implements ProducerSink {
  readonly kind: MediaKind;
  readonly producer: Producer;
  /** The codec recorded: the first recordable one negotiated, or the one the first packet uses. */
  codec: RecordingCodecName;
  clockRate: number;
  channels: number;
  payloadType: number;
  /** Recordable codecs of the producer by payload type. */
  readonly #codecs: Map<number, { codec: RecordingCodecName; clockRate: number; channels: number }>;
  /** Packets of another codec than the one recorded (a codec switch mid-stream), not recorded. */
  packetsIgnored = 0;
  assembler: FrameAssembler;
  closed = false;
  /** The last sender report: sender NTP ms and the RTP timestamp unwrapped near our frames. */
  report: { ntpMs: number; rtp: number; raw: number } | undefined;
  /** The report came before any frame, so it could not be unwrapped yet. */
  unanchoredReport = false;
  /** The arrival anchor used until the first report: our ms and the unwrapped RTP timestamp. */
  arrival: { localMs: number; rtp: number } | undefined;
  /** Latest unwrapped RTP timestamp of a frame, to unwrap report timestamps near it. */
  latestRtp: number | undefined;
  /** Latest time written for this track, ms of the file, to keep it non-decreasing. */
  lastFileMs = 0;
  ssrc: number | undefined;
  readonly #recorder: Recorder;
  /** The recorder's clock. */
  readonly #now: () => number;

  constructor(recorder: Recorder, kind: MediaKind, producer: Producer, now: () => number) {
    this.#recorder = recorder;
    this.#now = now;
    this.kind = kind;
    this.producer = producer;
    this.#codecs = recordableCodecs(kind, producer);
    const first = this.#codecs.entries().next().value;
    if (!first) throw unsupported(kind, producer);
    [this.payloadType, { codec: this.codec, clockRate: this.clockRate, channels: this.channels }] = first;
    this.assembler = this.#newAssembler();
  }

  #newAssembler(): FrameAssembler {
    return createFrameAssembler(this.codec, {
      onKeyframeNeeded: () => this.#recorder.requestKeyframe(this),
    });
  }

  forward(packet: RtpPacket, _keyframe: boolean, nowMs: number): void {
    if (packet.payloadType !== this.payloadType) {
      const other = this.#codecs.get(packet.payloadType);
      // The publisher chose another of the negotiated codecs: follow it if nothing was recorded yet.
      if (!other || this.ssrc !== undefined) {
        this.packetsIgnored++;
        return;
      }
      this.payloadType = packet.payloadType;
      ({ codec: this.codec, clockRate: this.clockRate, channels: this.channels } = other);
      this.assembler = this.#newAssembler();
    }
    if (this.ssrc !== packet.ssrc) {
      // A new encoder (or the first packet): its sequence numbers and clock start over.
      if (this.ssrc !== undefined) {
        for (const frame of this.assembler.flush()) this.#recorder.onFrame(this, frame, nowMs);
        this.assembler = this.#newAssembler();
        this.report = undefined;
        this.arrival = undefined;
        this.latestRtp = undefined;
      }
      this.ssrc = packet.ssrc;
    }
    for (const frame of this.assembler.push(packet, nowMs)) this.#recorder.onFrame(this, frame, nowMs);
  }

  onProducerPause(): void {}

  onProducerClose(): void {
    this.closed = true;
    const nowMs = this.#now();
    for (const frame of this.assembler.flush()) this.#recorder.onFrame(this, frame, nowMs);
    this.#recorder.onTrackClosed();
  }

  /** A sender report for this stream: re-anchors the RTP clock on the sender's NTP clock. */
  onSenderReport(ntp: bigint, rtpTimestamp: number, nowMs: number): void {
    this.report = { ntpMs: ntpToMs(ntp), rtp: unwrapNear(rtpTimestamp, this.latestRtp), raw: rtpTimestamp };
    if (this.latestRtp === undefined) this.unanchoredReport = true;
    this.#recorder.onSenderReport(this.report.ntpMs, nowMs);
  }

  /** The first frame: a report that came before it is unwrapped next to it now. */
  onFirstFrame(rtp: number): void {
    if (this.report && this.unanchoredReport) this.report.rtp = unwrapNear(this.report.raw, rtp);
    this.unanchoredReport = false;
  }

  /** Our wall-clock ms for a frame, or undefined before any anchor. */
  localMs(rtp: number, senderToLocalMs: number | undefined): number | undefined {
    if (this.report && senderToLocalMs !== undefined)
      return this.report.ntpMs + ((rtp - this.report.rtp) * 1000) / this.clockRate + senderToLocalMs;
    if (this.arrival) return this.arrival.localMs + ((rtp - this.arrival.rtp) * 1000) / this.clockRate;
    return undefined;
  }
}

/** Records one participant's tracks into one file. */
export class Recorder extends EventEmitter<RecorderEvents> {
  #path: string;
  #renaming: Promise<void> = Promise.resolve();
  readonly stats: RecorderStats = {
    audioFrames: 0,
    videoFrames: 0,
    incompleteFrames: 0,
    keyframeRequests: 0,
    senderReports: 0,
    framesBeforeStart: 0,
  };
  readonly #sink: FileSink;
  readonly #tracks: RecordedTrack[] = [];
  readonly #audio: RecordedTrack | undefined;
  readonly #video: RecordedTrack | undefined;
  readonly #syncHoldMs: number;
  readonly #maxClusterDurationMs: number;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #state: RecorderState = 'waiting';
  #held: HeldFrame[] = [];
  #firstFrameMs: number | undefined;
  /** Sender NTP → our clock, fixed at the first report. */
  #senderToLocalMs: number | undefined;
  #writer: WebmWriter | undefined;
  #videoInfo: VideoTrackOptions | undefined;
  /** Our wall-clock ms of the file's time 0. */
  #zeroMs: number | undefined;
  #lastFrameAtMs = 0;
  #flushedSinceFrame = true;
  #closing: Promise<RecorderSummary> | undefined;

  private constructor(options: RecorderOptions, sink: FileSink) {
    super();
    this.#path = options.path;
    this.#sink = sink;
    this.#syncHoldMs = options.syncHoldMs ?? 5000;
    this.#maxClusterDurationMs = options.maxClusterDurationMs ?? 2000;
    this.#now = options.now ?? Date.now;
    if (options.video) this.#video = new RecordedTrack(this, 'video', options.video, this.#now);
    if (options.audio) this.#audio = new RecordedTrack(this, 'audio', options.audio, this.#now);
    for (const track of [this.#video, this.#audio]) if (track) this.#tracks.push(track);
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  /**
   * Opens the file and starts recording the producers. Throws a
   * RecordingError: ERR_RECORDING_INVALID_ARGUMENT without a producer or
   * with a closed one, ERR_RECORDING_UNSUPPORTED for a codec the writer
   * cannot store, ERR_RECORDING_WRITE_FAILED when the file cannot be created.
   */
  static async open(options: RecorderOptions): Promise<Recorder> {
    if (!options.audio && !options.video)
      throw new RecordingError(
        'ERR_RECORDING_INVALID_ARGUMENT',
        'a recorder needs an audio or a video producer',
      );
    for (const producer of [options.audio, options.video])
      if (producer?.closed)
        throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'the producer is closed');
    // Check the codecs before touching the disk.
    if (options.audio && recordableCodecs('audio', options.audio).size === 0)
      throw unsupported('audio', options.audio);
    if (options.video && recordableCodecs('video', options.video).size === 0)
      throw unsupported('video', options.video);
    let sink: FileSink;
    try {
      await mkdir(dirname(options.path), { recursive: true });
      sink = await FileSink.open(options.path);
    } catch (error) {
      if (error instanceof RecordingError) throw error;
      throw new RecordingError(
        'ERR_RECORDING_WRITE_FAILED',
        `cannot create ${options.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const recorder = new Recorder(options, sink);
    if (options.audio?.closed || options.video?.closed) {
      await recorder.close();
      throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'the producer closed');
    }
    for (const track of recorder.#tracks) track.producer.addSink(track);
    if (recorder.#video) recorder.requestKeyframe(recorder.#video);
    return recorder;
  }

  /** The file: its extension follows the container (.mkv when the video turned out to be H.264). */
  get path(): string {
    return this.#path;
  }

  get state(): RecorderState {
    return this.#state;
  }

  /** Bytes written or queued for the file. */
  get bytes(): number {
    return this.#writer?.bytesWritten ?? 0;
  }

  /** Duration so far, ms. */
  get durationMs(): number {
    return this.#writer?.durationMs ?? 0;
  }

  /** Asks the track's publisher for a keyframe (throttled by the producer). */
  requestKeyframe(track: RecordedTrack): void {
    if (track.kind !== 'video' || this.#state === 'failed' || this.#state === 'closed') return;
    this.stats.keyframeRequests++;
    track.producer.requestKeyframe(this.#now());
  }

  /** A sender report arrived on one of the tracks. */
  onSenderReport(ntpMs: number, nowMs: number): void {
    this.stats.senderReports++;
    this.#senderToLocalMs ??= nowMs - ntpMs;
    if (this.#state === 'waiting') this.#maybeStart(nowMs);
  }

  /** A whole frame from one of the assemblers. */
  onFrame(track: RecordedTrack, frame: DepacketizedFrame, nowMs: number): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    if (track.latestRtp === undefined) track.onFirstFrame(frame.timestamp);
    track.latestRtp = frame.timestamp;
    track.arrival ??= { localMs: nowMs, rtp: frame.timestamp };
    if (this.#state === 'waiting') {
      this.#firstFrameMs ??= nowMs;
      this.#held.push({ track, frame });
      if (this.#held.length > MAX_HELD_FRAMES) {
        this.#held.shift();
        this.stats.framesBeforeStart++;
      }
      this.#maybeStart(nowMs);
      return;
    }
    this.#write(track, frame);
  }

  /** A producer closed; once all have, the file is finished. */
  onTrackClosed(): void {
    if (this.#tracks.every((track) => track.closed)) void this.close().catch(() => {});
  }

  #maybeStart(nowMs: number): void {
    const video = this.#video;
    const keyframe = video
      ? this.#held.find((held) => held.track === video && held.frame.keyframe && this.#describe(held.frame))
      : undefined;
    if (video && !keyframe) {
      // Without a key frame there is nothing to start from; the hold limit only bounds memory.
      return;
    }
    const synced = this.#tracks.length < 2 || this.#tracks.every((track) => track.report !== undefined);
    const waited = nowMs - (this.#firstFrameMs ?? nowMs) >= this.#syncHoldMs;
    if (!synced && !waited) return;
    this.#start(keyframe);
  }

  #describe(frame: DepacketizedFrame): VideoTrackOptions | undefined {
    const video = this.#video;
    if (!video || !isVideoCodec(video.codec)) return undefined;
    return describeVideoKeyframe(video.codec, frame.data);
  }

  #start(keyframe: HeldFrame | undefined): void {
    const held = this.#held;
    this.#held = [];
    const localOf = (entry: HeldFrame) => entry.track.localMs(entry.frame.timestamp, this.#senderToLocalMs);
    let zero: number;
    if (keyframe) {
      this.#videoInfo = this.#describe(keyframe.frame);
      zero = localOf(keyframe) ?? this.#now();
    } else {
      zero = Math.min(...held.map((entry) => localOf(entry) ?? Number.POSITIVE_INFINITY));
      if (!Number.isFinite(zero)) zero = this.#now();
    }
    this.#zeroMs = zero;
    const audio: OpusTrackOptions | undefined = this.#audio
      ? { codec: 'opus', channels: this.#audio.channels }
      : undefined;
    try {
      this.#writer = new WebmWriter(this.#sink, {
        ...(audio ? { audio } : {}),
        ...(this.#videoInfo ? { video: this.#videoInfo } : {}),
        maxClusterDurationMs: this.#maxClusterDurationMs,
        onError: (error) => this.#fail(error),
      });
    } catch (error) {
      this.#fail(
        error instanceof RecordingError
          ? error
          : new RecordingError('ERR_RECORDING_UNSUPPORTED', String(error), { cause: error }),
      );
      return;
    }
    this.#state = 'recording';
    const extension = this.#writer.docType === 'matroska' ? '.mkv' : '.webm';
    if (!this.#path.endsWith(extension)) {
      const renamed = this.#path.replace(/\.[^./]*$/, '') + extension;
      this.#renaming = rename(this.#path, renamed).then(
        () => {
          this.#path = renamed;
        },
        () => {},
      );
    }
    // The file starts at the key frame: what came before it is not part of it.
    const startIndex = keyframe ? held.indexOf(keyframe) : 0;
    for (const [index, entry] of held.entries()) {
      if (entry.track === this.#video && index < startIndex) {
        this.stats.framesBeforeStart++;
        continue;
      }
      this.#write(entry.track, entry.frame);
    }
  }

  #write(track: RecordedTrack, frame: DepacketizedFrame): void {
    const writer = this.#writer;
    if (!writer || this.#zeroMs === undefined) return;
    const local = track.localMs(frame.timestamp, this.#senderToLocalMs);
    if (local === undefined) return;
    const fileMs = local - this.#zeroMs;
    if (fileMs < -0.5) {
      this.stats.framesBeforeStart++;
      return;
    }
    // Never backwards within a track (a report may move the anchor by a little).
    const ms = Math.max(fileMs, track.lastFileMs);
    track.lastFileMs = ms;
    if (writer.writeFrame(track.kind, ms, frame.data, frame.keyframe)) {
      if (track.kind === 'audio') this.stats.audioFrames++;
      else this.stats.videoFrames++;
    }
    this.#lastFrameAtMs = this.#now();
    this.#flushedSinceFrame = false;
  }

  #tick(): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    const now = this.#now();
    for (const track of this.#tracks) {
      for (const frame of track.assembler.poll(now)) this.onFrame(track, frame, now);
    }
    if (this.#state === 'waiting') {
      this.#maybeStart(now);
      return;
    }
    if (!this.#flushedSinceFrame && now - this.#lastFrameAtMs >= IDLE_FLUSH_MS && this.#writer) {
      this.#flushedSinceFrame = true;
      void this.#writer.flush();
    }
  }

  #fail(error: RecordingError): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    this.#state = 'failed';
    this.#detach();
    this.emit('failed', error);
  }

  #detach(): void {
    clearInterval(this.#timer);
    for (const track of this.#tracks) track.producer.removeSink(track);
  }

  /**
   * Stops recording and finishes the file (Cues, Duration, SeekHead), then
   * reports the summary. Idempotent. After a failure it resolves with what
   * was written.
   */
  close(): Promise<RecorderSummary> {
    this.#closing ??= this.#finish();
    return this.#closing;
  }

  async #finish(): Promise<RecorderSummary> {
    const failed = this.#state === 'failed';
    this.#detach();
    const now = this.#now();
    if (!failed) {
      for (const track of this.#tracks) {
        for (const frame of track.assembler.flush()) this.onFrame(track, frame, now);
      }
      // Nothing synced yet: write what there is rather than nothing.
      if (this.#state === 'waiting' && this.#held.length > 0) {
        const video = this.#video;
        const keyframe = video
          ? this.#held.find(
              (held) => held.track === video && held.frame.keyframe && this.#describe(held.frame),
            )
          : undefined;
        if (!video || keyframe) this.#start(keyframe);
      }
    }
    let bytes = 0;
    let durationMs = 0;
    let finalized = false;
    if (this.#writer) {
      try {
        const summary = await this.#writer.close();
        bytes = summary.bytes;
        durationMs = summary.durationMs;
        finalized = summary.finalized;
      } catch (error) {
        bytes = this.#writer.bytesWritten;
        durationMs = this.#writer.durationMs;
        if (this.#state !== 'failed')
          this.#fail(
            error instanceof RecordingError
              ? error
              : new RecordingError('ERR_RECORDING_WRITE_FAILED', String(error), { cause: error }),
          );
      }
    } else {
      await this.#sink.close().catch(() => {});
    }
    await this.#renaming;
    if (this.#state !== 'failed') this.#state = 'closed';
    const summary: RecorderSummary = {
      path: this.#path,
      bytes,
      durationMs,
      startedAtMs: this.#writer && this.#zeroMs !== undefined ? Math.round(this.#zeroMs) : null,
      audio: this.#audio ? { codec: 'opus', channels: this.#audio.channels } : null,
      video: this.#videoInfo
        ? { codec: this.#videoInfo.codec, width: this.#videoInfo.width, height: this.#videoInfo.height }
        : null,
      finalized,
      stats: { ...this.stats, incompleteFrames: this.#incompleteFrames() },
    };
    this.emit('close', summary);
    return summary;
  }

  #incompleteFrames(): number {
    let count = 0;
    for (const track of this.#tracks) count += track.assembler.stats.incompleteFrames;
    return count;
  }
}
