/**
 * A streaming WebM/Matroska muxer for one participant's media: at most one
 * Opus audio track and one VP8, VP9, AV1 or H.264 video track (Matroska,
 * RFC 9559; WebM container guidelines; codec mappings A_OPUS, V_VP8, V_VP9,
 * V_AV1, V_MPEG4/ISO/AVC). A file with H.264 gets DocType "matroska", any
 * other "webm".
 *
 * Layout, written front to back as frames arrive:
 *
 *     EBML header                  DocType, versions (RFC 8794 §11.2)
 *     Segment, size unknown        0x18538067 01 FF FF FF FF FF FF FF
 *       SeekHead + Void            fixed space, rewritten on close
 *       Info                       TimestampScale = 1 ms, apps, Void for Duration
 *       Tracks                     one TrackEntry per track
 *       Cluster (known size) …     Timestamp, SimpleBlocks
 *       Cues                       written on close
 *
 * Crash safety: a cluster is built in memory and handed to the sink in one
 * write once it is complete, with its real size, so a file cut anywhere
 * (SIGKILL, power loss after the OS flushed) holds whole clusters and then
 * at most one partial one, and players read it up to the last whole cluster:
 * the Segment's unknown size (RFC 8794 §6.2, as live streams use) means nothing in
 * the header has to be right for that. On a clean close the Cues (the seek
 * index) are appended, and when the sink can seek the Segment size,
 * Duration and SeekHead (pointing at Info, Tracks and Cues) are patched in.
 *
 * Clusters start at each video key frame (so each can be a seek point), and
 * otherwise after `maxClusterDurationMs` (how much a crash can lose), before
 * a block's relative timestamp would leave int16 (§10.1), or when the
 * cluster grows past `maxClusterBytes`.
 *
 * Timestamps are milliseconds (TimestampScale = 1 000 000 ns). Audio and
 * video come from separate depacketizers at slightly different times, so
 * frames wait in a small interleaving queue and leave it in timestamp order:
 * a frame goes once the other track has passed its timestamp, or after
 * `interleaveWindowMs` when the other track is silent.
 */

import { opusPacketSamples } from '../rtp/codecs/opus.js';
import type { VideoCodecName } from './codec.js';
import {
  EBML_UNKNOWN_SIZE_BYTES,
  ebmlBinary,
  ebmlFloat,
  ebmlIdSize,
  ebmlMaster,
  ebmlString,
  ebmlUint,
  ebmlVoid,
  encodeEbmlElementHeaderTo,
  encodeEbmlIdTo,
  vintSize,
} from './ebml.js';
import { RecordingError } from './errors.js';
import { MatroskaId, MatroskaTrackType, SimpleBlockFlag } from './matroska-ids.js';
import { buildOpusHead } from './opus-head.js';
import type { RecordingSink } from './sink.js';
import {
  buildCues,
  buildDuration,
  buildSeekHead,
  buildSegmentSize,
  type CueEntry,
  DURATION_ELEMENT_SIZE,
  SEEK_HEAD_SPACE,
  type SeekEntry,
} from './webm-layout.js';

/** The audio track: Opus at 48 kHz. */
export interface OpusTrackOptions {
  codec: 'opus';
  /** 1 or 2 (the `stereo` fmtp parameter of RFC 7587 §7.1). */
  channels: number;
  /** OpusHead pre-skip in 48 kHz samples; default 0 (a stream joined mid-way has no encoder delay to skip). */
  preSkip?: number;
  /** OpusHead input sample rate, informational; default 48000. */
  inputSampleRate?: number;
}

/** The video track. describeVideoKeyframe() in video-track.ts fills it from a key frame. */
export interface VideoTrackOptions {
  codec: VideoCodecName;
  width: number;
  height: number;
  /** avcC for H.264 and av1C for AV1 (both required); absent for VP8 and VP9. */
  codecPrivate?: Uint8Array;
}

/** A cluster that reached the sink. */
export interface WrittenCluster {
  /** Offset of the Cluster element in the file. */
  offset: number;
  /** Bytes of the Cluster element, header included. */
  size: number;
  /** Cluster Timestamp, ms. */
  timestampMs: number;
  /** SimpleBlocks in it. */
  frames: number;
  /** True when it starts with a video key frame (or is audio-only): a seek point. */
  seekable: boolean;
}

/** Options of WebmWriter. */
export interface WebmWriterOptions {
  audio?: OpusTrackOptions;
  video?: VideoTrackOptions;
  /** Longest cluster in ms, so at most this much is lost on a crash; default 2000. */
  maxClusterDurationMs?: number;
  /** Largest cluster in bytes before a new one starts; default 4 MiB. */
  maxClusterBytes?: number;
  /** How long a frame may wait for the other track before it is written anyway, ms; default 1000. */
  interleaveWindowMs?: number;
  /** WritingApp in the Info element; default "switchboard". */
  writingApp?: string;
  /** Called once when the sink fails; every later frame is dropped. */
  onError?: (error: RecordingError) => void;
  /** Called after each cluster has been handed to the sink. */
  onClusterWritten?: (cluster: WrittenCluster) => void;
}

/** Which track a frame belongs to. */
export type WebmTrackKind = 'audio' | 'video';

/** Counters of a writer. */
export interface WebmWriterStats {
  audioFrames: number;
  videoFrames: number;
  /** Video frames dropped because no key frame had been written yet. */
  framesBeforeKeyframe: number;
  /** Frames dropped because the sink had failed. */
  framesAfterFailure: number;
  clusters: number;
  cues: number;
}

/** What close() reports. */
export interface WebmWriterSummary {
  docType: 'webm' | 'matroska';
  /** Bytes in the file. */
  bytes: number;
  /** From the first to the end of the last frame, ms. */
  durationMs: number;
  /** True when the header was patched (seekable sink): Segment size, Duration and SeekHead are set. */
  finalized: boolean;
  stats: WebmWriterStats;
}

/** A frame waiting in the interleaving queue. */
interface QueuedFrame {
  timestampMs: number;
  data: Uint8Array;
  keyframe: boolean;
}

const MUXING_APP = 'switchboard';
/** Opus packets in WebRTC are 20 ms unless their TOC says otherwise. */
const DEFAULT_AUDIO_FRAME_MS = 20;
/** SeekPreRoll for Opus, 80 ms in ns (Matroska codec mappings, A_OPUS). */
const OPUS_SEEK_PRE_ROLL_NS = 80_000_000;
/** Frames a queue may hold before the oldest are written regardless of the other track. */
const MAX_QUEUED_FRAMES = 4096;
const CODEC_IDS: Record<VideoCodecName, string> = {
  vp8: 'V_VP8',
  vp9: 'V_VP9',
  av1: 'V_AV1',
  h264: 'V_MPEG4/ISO/AVC',
};

function invalid(message: string): RecordingError {
  return new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', message);
}

/** Duration of an Opus packet in ms from its TOC byte (RFC 6716 §3.1), or the WebRTC default when malformed. */
export function opusPacketDurationMs(packet: Uint8Array): number {
  const samples = opusPacketSamples(packet);
  return samples > 0 ? samples / 48 : DEFAULT_AUDIO_FRAME_MS;
}

/** A 64-bit-safe random track UID (never 0). */
function randomTrackUid(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0] & 0x1fffff) * 2 ** 32 + words[1] + 1;
}

/** Writes one WebM/Matroska file to a sink, cluster by cluster. It owns the sink and closes it. */
export class WebmWriter {
  /** "matroska" when the video track is H.264, "webm" otherwise. */
  readonly docType: 'webm' | 'matroska';
  /** Track numbers in the file: video first when present. */
  readonly trackNumbers: Readonly<{ audio?: number; video?: number }>;

  readonly #sink: RecordingSink;
  readonly #options: WebmWriterOptions;
  readonly #maxClusterDurationMs: number;
  readonly #maxClusterBytes: number;
  readonly #interleaveWindowMs: number;
  readonly #stats: WebmWriterStats = {
    audioFrames: 0,
    videoFrames: 0,
    framesBeforeKeyframe: 0,
    framesAfterFailure: 0,
    clusters: 0,
    cues: 0,
  };

  /** Bytes handed to the sink so far (the file offset of the next append). */
  #position = 0;
  readonly #segmentSizeOffset: number;
  readonly #segmentDataStart: number;
  readonly #seekHeadOffset: number;
  readonly #durationOffset: number;
  readonly #infoPosition: number;
  readonly #tracksPosition: number;

  readonly #queues: Record<WebmTrackKind, QueuedFrame[]> = { audio: [], video: [] };
  /** Latest timestamp queued per track, -Infinity before the first. */
  readonly #lastQueuedMs: Record<WebmTrackKind, number> = { audio: -Infinity, video: -Infinity };
  #newestMs = -Infinity;
  #videoKeyframeSeen = false;

  /** The open cluster: blocks as header/data pairs, not yet written. */
  #clusterChunks: Uint8Array[] = [];
  #clusterOpen = false;
  #clusterTimestampMs = 0;
  #clusterBytes = 0;
  #clusterFrames = 0;
  #clusterSeekable = false;
  readonly #cues: CueEntry[] = [];

  /** Per track: last written timestamp and the duration credited to that frame. */
  readonly #lastWritten: Record<WebmTrackKind, { timestampMs: number; durationMs: number } | undefined> = {
    audio: undefined,
    video: undefined,
  };

  #writes: Promise<void> = Promise.resolve();
  #pendingBytes = 0;
  #error: RecordingError | undefined;
  #closing: Promise<WebmWriterSummary> | undefined;

  /**
   * Starts the file: the EBML header, Segment start, SeekHead, Info and
   * Tracks are queued for writing at once. Throws ERR_RECORDING_INVALID_ARGUMENT
   * for a track description that cannot be written (no track, a missing
   * CodecPrivate, a size of 0).
   */
  constructor(sink: RecordingSink, options: WebmWriterOptions) {
    const { audio, video } = options;
    if (audio === undefined && video === undefined)
      throw invalid('a recording needs an audio or a video track');
    if (audio !== undefined && audio.codec !== 'opus') throw invalid(`audio codec ${String(audio.codec)}`);
    if (video !== undefined) {
      if (!(video.codec in CODEC_IDS)) throw invalid(`video codec ${String(video.codec)}`);
      if (
        !(
          Number.isInteger(video.width) &&
          video.width > 0 &&
          Number.isInteger(video.height) &&
          video.height > 0
        )
      )
        throw invalid(`video size ${video.width}x${video.height}`);
      if ((video.codec === 'h264' || video.codec === 'av1') && !video.codecPrivate?.length)
        throw invalid(`${video.codec} needs its CodecPrivate (avcC / av1C)`);
    }
    this.#sink = sink;
    this.#options = options;
    this.#maxClusterDurationMs = options.maxClusterDurationMs ?? 2000;
    this.#maxClusterBytes = options.maxClusterBytes ?? 4 * 1024 * 1024;
    this.#interleaveWindowMs = options.interleaveWindowMs ?? 1000;
    if (!(this.#maxClusterDurationMs > 0 && this.#maxClusterDurationMs <= 32_767))
      throw invalid(`maxClusterDurationMs ${this.#maxClusterDurationMs} is not within 1–32767`);
    this.docType = video?.codec === 'h264' ? 'matroska' : 'webm';
    const videoNumber = video ? 1 : undefined;
    const audioNumber = audio ? (video ? 2 : 1) : undefined;
    this.trackNumbers = { audio: audioNumber, video: videoNumber };

    const ebmlHeader = ebmlMaster(MatroskaId.Ebml, [
      ebmlUint(MatroskaId.EbmlVersion, 1),
      ebmlUint(MatroskaId.EbmlReadVersion, 1),
      ebmlUint(MatroskaId.EbmlMaxIdLength, 4),
      ebmlUint(MatroskaId.EbmlMaxSizeLength, 8),
      ebmlString(MatroskaId.DocType, this.docType),
      ebmlUint(MatroskaId.DocTypeVersion, 4),
      ebmlUint(MatroskaId.DocTypeReadVersion, 2),
    ]);
    const segmentHeader = new Uint8Array(ebmlIdSize(MatroskaId.Segment) + 8);
    segmentHeader.set(EBML_UNKNOWN_SIZE_BYTES, encodeEbmlIdTo(segmentHeader, 0, MatroskaId.Segment));
    this.#segmentSizeOffset = ebmlHeader.length + ebmlIdSize(MatroskaId.Segment);
    this.#segmentDataStart = ebmlHeader.length + segmentHeader.length;
    this.#seekHeadOffset = this.#segmentDataStart;

    const infoChildren = [
      ebmlUint(MatroskaId.TimestampScale, 1_000_000),
      ebmlString(MatroskaId.MuxingApp, MUXING_APP),
      ebmlString(MatroskaId.WritingApp, options.writingApp ?? MUXING_APP),
    ];
    const info = ebmlMaster(MatroskaId.Info, [...infoChildren, ebmlVoid(DURATION_ELEMENT_SIZE)]);
    this.#infoPosition = SEEK_HEAD_SPACE;
    this.#durationOffset = this.#segmentDataStart + this.#infoPosition + info.length - DURATION_ELEMENT_SIZE;

    const entries: Uint8Array[] = [];
    if (video && videoNumber) entries.push(videoTrackEntry(videoNumber, video));
    if (audio && audioNumber) entries.push(audioTrackEntry(audioNumber, audio));
    const tracks = ebmlMaster(MatroskaId.Tracks, entries);
    this.#tracksPosition = this.#infoPosition + info.length;

    const seekHead = this.#seekHeadBytes(false);
    this.#append(concat([ebmlHeader, segmentHeader, seekHead, info, tracks]));
  }

  /** Counters so far. */
  get stats(): Readonly<WebmWriterStats> {
    return this.#stats;
  }

  /** Bytes handed to the sink or queued for it. */
  get bytesWritten(): number {
    return this.#position;
  }

  /** Bytes queued for the sink and not yet written: a measure of backpressure. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** The sink's failure, once it failed. */
  get error(): RecordingError | undefined {
    return this.#error;
  }

  /** Duration so far in ms: the end of the latest written frame. */
  get durationMs(): number {
    let end = 0;
    for (const last of [this.#lastWritten.audio, this.#lastWritten.video])
      if (last) end = Math.max(end, last.timestampMs + last.durationMs);
    return end;
  }

  /**
   * Adds one frame: an Opus packet, or a whole video frame in the form the
   * track stores (VP8/VP9 frame, AVC length-prefixed sample, AV1 temporal
   * unit). The data is copied. Timestamps are ms from the start of the
   * recording, non-decreasing per track (rounded to whole ms, negatives
   * count as 0). Video frames before the first key frame are dropped.
   * Returns false when the frame was dropped. Throws ERR_RECORDING_INVALID_STATE
   * after close() and ERR_RECORDING_INVALID_ARGUMENT for a track the file
   * does not have or a timestamp that is not finite.
   */
  writeFrame(
    kind: WebmTrackKind,
    timestampMs: number,
    data: Uint8Array,
    keyframe = kind === 'audio',
  ): boolean {
    if (this.#closing) throw new RecordingError('ERR_RECORDING_INVALID_STATE', 'the writer is closed');
    if (this.trackNumbers[kind] === undefined) throw invalid(`the file has no ${kind} track`);
    if (!Number.isFinite(timestampMs)) throw invalid(`timestamp ${timestampMs} is not finite`);
    if (this.#error) {
      this.#stats.framesAfterFailure++;
      return false;
    }
    if (kind === 'video' && !this.#videoKeyframeSeen) {
      if (!keyframe) {
        this.#stats.framesBeforeKeyframe++;
        return false;
      }
      this.#videoKeyframeSeen = true;
    }
    const ms = Math.max(0, Math.round(timestampMs));
    // A copy (Buffer's own slice() would be a view): frames wait here for the other track.
    this.#queues[kind].push({ timestampMs: ms, data: Uint8Array.prototype.slice.call(data), keyframe });
    this.#lastQueuedMs[kind] = Math.max(this.#lastQueuedMs[kind], ms);
    this.#newestMs = Math.max(this.#newestMs, ms);
    this.#release(false);
    return true;
  }

  /**
   * Writes the open cluster now and waits until everything handed over so
   * far reached the sink. Frames still waiting for the other track stay
   * queued. Resolves even when the sink failed (see `error`).
   */
  async flush(): Promise<void> {
    if (!this.#closing) this.#closeCluster();
    await this.#writes;
  }

  /**
   * Writes what is queued, the last cluster and the Cues, patches the
   * header when the sink can seek, and closes the sink. Idempotent. Rejects
   * with ERR_RECORDING_WRITE_FAILED when the sink failed at any point (the
   * sink is closed anyway).
   */
  close(): Promise<WebmWriterSummary> {
    this.#closing ??= this.#finish();
    return this.#closing;
  }

  async #finish(): Promise<WebmWriterSummary> {
    this.#release(true);
    this.#closeCluster();
    let finalized = false;
    if (!this.#error) {
      const cuesPosition = this.#position - this.#segmentDataStart;
      if (this.#cues.length > 0) this.#append(buildCues(this.#cues));
      const writeAt = this.#sink.writeAt?.bind(this.#sink);
      if (writeAt) {
        const sizeField = buildSegmentSize(this.#position - this.#segmentDataStart);
        // Duration must be above zero (RFC 9559 §5.1.2): an empty file keeps the Void.
        const duration = this.durationMs > 0 ? buildDuration(this.durationMs) : undefined;
        const seekHead = this.#seekHeadBytes(this.#cues.length > 0, cuesPosition);
        this.#enqueue(async () => {
          if (duration) await writeAt(duration, this.#durationOffset);
          await writeAt(seekHead, this.#seekHeadOffset);
          await writeAt(sizeField, this.#segmentSizeOffset);
          finalized = true;
        });
      }
    }
    await this.#writes;
    try {
      await this.#sink.close();
    } catch (error) {
      this.#fail(error);
    }
    if (this.#error) throw this.#error;
    return {
      docType: this.docType,
      bytes: this.#position,
      durationMs: this.durationMs,
      finalized,
      stats: { ...this.#stats },
    };
  }

  /** Moves frames from the interleaving queues to clusters, oldest first; `all` drains them. */
  #release(all: boolean): void {
    const audio = this.#queues.audio;
    const video = this.#queues.video;
    const both = this.trackNumbers.audio !== undefined && this.trackNumbers.video !== undefined;
    for (;;) {
      const a = audio[0];
      const v = video[0];
      let kind: WebmTrackKind;
      if (a && v) {
        // On a tie video goes first, so that a key frame opens its cluster rather than following audio into it.
        kind = a.timestampMs < v.timestampMs ? 'audio' : 'video';
      } else if (a || v) {
        kind = a ? 'audio' : 'video';
        const head = (a ?? v)!;
        const other: WebmTrackKind = kind === 'audio' ? 'video' : 'audio';
        const ready =
          all ||
          !both ||
          head.timestampMs <= this.#lastQueuedMs[other] ||
          head.timestampMs <= this.#newestMs - this.#interleaveWindowMs ||
          this.#queues[kind].length > MAX_QUEUED_FRAMES;
        if (!ready) return;
      } else {
        return;
      }
      const frame = this.#queues[kind].shift()!;
      this.#writeBlock(kind, frame);
    }
  }

  #writeBlock(kind: WebmTrackKind, frame: QueuedFrame): void {
    const videoKeyframe = kind === 'video' && frame.keyframe;
    const blockDataSize = 4 + frame.data.length;
    const elementSize = 1 + vintSize(blockDataSize) + blockDataSize;
    if (this.#clusterOpen) {
      const relative = frame.timestampMs - this.#clusterTimestampMs;
      if (
        videoKeyframe ||
        relative >= this.#maxClusterDurationMs ||
        relative < -32_768 ||
        this.#clusterBytes + elementSize > this.#maxClusterBytes
      )
        this.#closeCluster();
    }
    if (!this.#clusterOpen) {
      this.#clusterOpen = true;
      this.#clusterTimestampMs = frame.timestampMs;
      this.#clusterSeekable = this.trackNumbers.video === undefined || videoKeyframe;
    }
    const relative = frame.timestampMs - this.#clusterTimestampMs;
    const header = new Uint8Array(1 + vintSize(blockDataSize) + 4);
    let at = encodeEbmlElementHeaderTo(header, 0, MatroskaId.SimpleBlock, blockDataSize);
    header[at++] = 0x80 | this.trackNumbers[kind]!;
    header[at++] = (relative >> 8) & 0xff;
    header[at++] = relative & 0xff;
    header[at] = frame.keyframe ? SimpleBlockFlag.Keyframe : 0;
    this.#clusterChunks.push(header, frame.data);
    this.#clusterBytes += elementSize;
    this.#clusterFrames++;
    if (kind === 'audio') this.#stats.audioFrames++;
    else this.#stats.videoFrames++;

    const last = this.#lastWritten[kind];
    let durationMs: number;
    if (kind === 'audio') durationMs = opusPacketDurationMs(frame.data);
    else durationMs = last && frame.timestampMs > last.timestampMs ? frame.timestampMs - last.timestampMs : 0;
    // A video frame lasts until the next one; the last one is credited with the previous interval.
    if (kind === 'video' && last) last.durationMs = durationMs;
    this.#lastWritten[kind] = { timestampMs: frame.timestampMs, durationMs };
  }

  /** Builds the open cluster with its real size and hands it to the sink in one write. */
  #closeCluster(): void {
    if (!this.#clusterOpen) return;
    const timestamp = ebmlUint(MatroskaId.Timestamp, this.#clusterTimestampMs);
    const bodySize = timestamp.length + this.#clusterBytes;
    const headerSize = ebmlIdSize(MatroskaId.Cluster) + vintSize(bodySize);
    const bytes = new Uint8Array(headerSize + bodySize);
    let at = encodeEbmlElementHeaderTo(bytes, 0, MatroskaId.Cluster, bodySize);
    bytes.set(timestamp, at);
    at += timestamp.length;
    for (const chunk of this.#clusterChunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const cluster: WrittenCluster = {
      offset: this.#position,
      size: bytes.length,
      timestampMs: this.#clusterTimestampMs,
      frames: this.#clusterFrames,
      seekable: this.#clusterSeekable,
    };
    if (this.#clusterSeekable) {
      this.#cues.push({
        timeMs: this.#clusterTimestampMs,
        track: (this.trackNumbers.video ?? this.trackNumbers.audio)!,
        clusterPosition: this.#position - this.#segmentDataStart,
      });
      this.#stats.cues++;
    }
    this.#stats.clusters++;
    this.#clusterOpen = false;
    this.#clusterChunks = [];
    this.#clusterBytes = 0;
    this.#clusterFrames = 0;
    this.#append(bytes, () => this.#options.onClusterWritten?.(cluster));
  }

  /** The SeekHead in its fixed space: Info, Tracks, and Cues once written. */
  #seekHeadBytes(withCues: boolean, cuesPosition = 0): Uint8Array {
    const entries: SeekEntry[] = [
      { id: MatroskaId.Info, position: this.#infoPosition },
      { id: MatroskaId.Tracks, position: this.#tracksPosition },
    ];
    if (withCues) entries.push({ id: MatroskaId.Cues, position: cuesPosition });
    return buildSeekHead(entries);
  }

  /** Queues an append; `then` runs after it reached the sink. */
  #append(bytes: Uint8Array, then?: () => void): void {
    this.#position += bytes.length;
    this.#pendingBytes += bytes.length;
    this.#enqueue(async () => {
      try {
        await this.#sink.write(bytes);
      } finally {
        this.#pendingBytes -= bytes.length;
      }
      then?.();
    });
  }

  #enqueue(task: () => Promise<void>): void {
    this.#writes = this.#writes.then(async () => {
      if (this.#error) return;
      try {
        await task();
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  #fail(error: unknown): void {
    if (this.#error) return;
    this.#error =
      error instanceof RecordingError
        ? error
        : new RecordingError(
            'ERR_RECORDING_WRITE_FAILED',
            `recording sink failed: ${(error as Error)?.message}`,
            {
              cause: error,
            },
          );
    try {
      this.#options.onError?.(this.#error);
    } catch {
      // A listener's failure must not break the write chain.
    }
  }
}

function videoTrackEntry(number: number, video: VideoTrackOptions): Uint8Array {
  const children = [
    ebmlUint(MatroskaId.TrackNumber, number),
    ebmlUint(MatroskaId.TrackUid, randomTrackUid()),
    ebmlUint(MatroskaId.TrackType, MatroskaTrackType.Video),
    ebmlUint(MatroskaId.FlagLacing, 0),
    ebmlString(MatroskaId.Language, 'und'),
    ebmlString(MatroskaId.CodecId, CODEC_IDS[video.codec]),
  ];
  if (video.codecPrivate?.length) children.push(ebmlBinary(MatroskaId.CodecPrivate, video.codecPrivate));
  children.push(
    ebmlMaster(MatroskaId.Video, [
      ebmlUint(MatroskaId.PixelWidth, video.width),
      ebmlUint(MatroskaId.PixelHeight, video.height),
    ]),
  );
  return ebmlMaster(MatroskaId.TrackEntry, children);
}

function audioTrackEntry(number: number, audio: OpusTrackOptions): Uint8Array {
  const preSkip = audio.preSkip ?? 0;
  return ebmlMaster(MatroskaId.TrackEntry, [
    ebmlUint(MatroskaId.TrackNumber, number),
    ebmlUint(MatroskaId.TrackUid, randomTrackUid()),
    ebmlUint(MatroskaId.TrackType, MatroskaTrackType.Audio),
    ebmlUint(MatroskaId.FlagLacing, 0),
    ebmlString(MatroskaId.Language, 'und'),
    ebmlString(MatroskaId.CodecId, 'A_OPUS'),
    ebmlBinary(
      MatroskaId.CodecPrivate,
      buildOpusHead({ channels: audio.channels, preSkip, inputSampleRate: audio.inputSampleRate }),
    ),
    // CodecDelay is the pre-skip in ns (Matroska codec mappings, A_OPUS).
    ebmlUint(MatroskaId.CodecDelay, Math.round((preSkip * 1e9) / 48_000)),
    ebmlUint(MatroskaId.SeekPreRoll, OPUS_SEEK_PRE_ROLL_NS),
    ebmlMaster(MatroskaId.Audio, [
      ebmlFloat(MatroskaId.SamplingFrequency, 48_000),
      ebmlUint(MatroskaId.Channels, audio.channels),
    ]),
  ]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
