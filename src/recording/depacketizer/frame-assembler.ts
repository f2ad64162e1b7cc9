/**
 * From RTP packets of one stream (one SSRC) to whole frames: reorders by
 * sequence number (ReorderBuffer), groups packets by RTP timestamp (all
 * packets of a video frame share it and the last one has the marker, RFC
 * 3550 §5.1 and each payload format), lets the codec's PayloadDepacketizer
 * build the frame, and handles loss so that no corrupt frame is ever
 * emitted:
 *
 * - A frame is complete when its packets have consecutive sequence numbers,
 *   it ends at the marker (or where the next timestamp begins), and its
 *   first packet is known to be the first: either the packet before it was
 *   received and ended the previous frame, or the payload itself can only
 *   start a frame (VP8 S = 1 / PID = 0, VP9 B = 1 in the base layer, an
 *   H.264 SPS or first slice, an AV1 sequence header).
 * - Any lost sequence number drops the frame it fell in. For video it also
 *   means some reference may be gone, so every frame is discarded until the
 *   next key frame, and `onKeyframeNeeded` is called so the caller can send
 *   a PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1). A stream also starts
 *   waiting for a key frame. While waiting, the request is repeated at most
 *   every `keyframeRequestIntervalMs`.
 * - Audio (Opus) packets are frames on their own: a loss leaves a gap in the
 *   timestamps and nothing else.
 *
 * Gaps thus stay gaps: the output skips from the last good frame to the
 * next decodable one. Payloads are copied on push; emitted frames own their
 * data.
 */
import { ReorderBuffer, type ReorderBufferOptions, type ReorderBufferStats } from './reorder-buffer.js';
import type { DepacketizedFrame, DepacketizerPacket, PayloadDepacketizer } from './types.js';

/** Why a key frame is asked for. */
export type KeyframeRequestReason =
  /** No key frame has been received yet. */
  | 'start'
  /** Packets were lost. */
  | 'loss'
  /** A frame could not be completed (its start was not seen). */
  | 'incomplete'
  /** A frame's packets did not form a valid frame. */
  | 'malformed';

/** Options of FrameAssembler. */
export interface FrameAssemblerOptions extends ReorderBufferOptions {
  /** While waiting for a key frame, ask again after this many ms; default 1000. */
  keyframeRequestIntervalMs?: number;
  /** Called when the stream needs a key frame. Errors it throws are swallowed and counted. */
  onKeyframeNeeded?: (reason: KeyframeRequestReason) => void;
}

/** Counters of a FrameAssembler. */
export interface FrameAssemblerStats extends ReorderBufferStats {
  /** Frames emitted. */
  frames: number;
  /** Key frames emitted. */
  keyframes: number;
  /** Frames dropped because a packet was missing. */
  incompleteFrames: number;
  /** Frames dropped because the codec refused their packets. */
  malformedFrames: number;
  /** Packet groups with nothing to store (parameter sets alone, …). */
  emptyFrames: number;
  /** Complete video frames discarded while waiting for a key frame. */
  discardedWaitingForKeyframe: number;
  /** Packets of a frame that had already been finished or dropped. */
  orphanPackets: number;
  /** Packets with an empty payload (padding only), skipped. */
  paddingPackets: number;
  /** Times onKeyframeNeeded was called. */
  keyframeRequests: number;
  /** Errors thrown by onKeyframeNeeded. */
  listenerErrors: number;
}

/** A frame being collected. */
interface PendingFrame {
  timestamp: number;
  payloads: Uint8Array[];
  firstSequenceNumber: number;
  lastSequenceNumber: number;
  startKnown: boolean;
}

interface QueuedPacket {
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
}

const NO_FRAMES: readonly DepacketizedFrame[] = Object.freeze([]);

/** Turns one RTP stream into frames; see the module comment for the rules. */
export class FrameAssembler {
  readonly #codec: PayloadDepacketizer;
  readonly #video: boolean;
  readonly #reorder: ReorderBuffer<QueuedPacket>;
  readonly #keyframeRequestIntervalMs: number;
  readonly #onKeyframeNeeded: ((reason: KeyframeRequestReason) => void) | undefined;
  readonly #stats: FrameAssemblerStats;

  #current: PendingFrame | undefined;
  /** The sequence number before the next one to be released was received (no loss in between). */
  #previousReceived = false;
  #lastFinishedTimestamp: number | undefined;
  #waitingForKeyframe: boolean;
  #keyframeSeen = false;
  #lastRequestMs: number | undefined;
  #nowMs = 0;
  #lastEmittedRtp: number | undefined;
  #lastEmittedExtended = 0;
  #out: DepacketizedFrame[] | undefined;

  constructor(depacketizer: PayloadDepacketizer, options: FrameAssemblerOptions = {}) {
    this.#codec = depacketizer;
    this.#video = !depacketizer.packetIsFrame;
    this.#waitingForKeyframe = this.#video;
    this.#keyframeRequestIntervalMs = options.keyframeRequestIntervalMs ?? 1000;
    this.#onKeyframeNeeded = options.onKeyframeNeeded;
    this.#reorder = new ReorderBuffer<QueuedPacket>(
      {
        packet: (packet, sequenceNumber) => this.#onPacket(packet, sequenceNumber),
        loss: () => this.#onLoss(),
      },
      options,
    );
    this.#stats = {
      ...this.#reorder.stats,
      frames: 0,
      keyframes: 0,
      incompleteFrames: 0,
      malformedFrames: 0,
      emptyFrames: 0,
      discardedWaitingForKeyframe: 0,
      orphanPackets: 0,
      paddingPackets: 0,
      keyframeRequests: 0,
      listenerErrors: 0,
    };
  }

  /** The codec's depacketizer (H.264 keeps the parameter sets, AV1 the sequence header). */
  get depacketizer(): PayloadDepacketizer {
    return this.#codec;
  }

  /** True while video frames are being discarded until a key frame. */
  get waitingForKeyframe(): boolean {
    return this.#waitingForKeyframe;
  }

  /** Counters so far. */
  get stats(): Readonly<FrameAssemblerStats> {
    Object.assign(this.#stats, this.#reorder.stats);
    return this.#stats;
  }

  /**
   * Takes one packet that arrived at `nowMs` (any monotonic ms clock) and
   * returns the frames it completed, oldest first. Never throws on packet
   * contents.
   */
  push(packet: DepacketizerPacket, nowMs: number): readonly DepacketizedFrame[] {
    this.#nowMs = nowMs;
    const queued: QueuedPacket = {
      timestamp: packet.timestamp >>> 0,
      marker: packet.marker,
      // A copy: the payload is a view into a receive buffer that the next packet overwrites, and
      // slice() on a Buffer (what the server's transports hand over) is another view, not a copy.
      payload: Uint8Array.prototype.slice.call(packet.payload),
    };
    this.#reorder.push(packet.sequenceNumber, queued, nowMs);
    return this.#take();
  }

  /** Gives up on missing packets whose wait expired by `nowMs`; returns the frames that completes. */
  poll(nowMs: number): readonly DepacketizedFrame[] {
    this.#nowMs = nowMs;
    this.#reorder.poll(nowMs);
    return this.#take();
  }

  /**
   * End of stream: releases every held packet, treats gaps as lost, and
   * finishes the last frame if its marker was seen (or, for audio, always).
   */
  flush(): readonly DepacketizedFrame[] {
    this.#reorder.flush();
    // A frame whose marker never came cannot be known complete.
    if (this.#current) this.#dropCurrent();
    return this.#take();
  }

  /** Forgets the stream (a new SSRC): waits for a key frame again. */
  reset(): void {
    this.#reorder.reset();
    this.#current = undefined;
    this.#previousReceived = false;
    this.#lastFinishedTimestamp = undefined;
    this.#waitingForKeyframe = this.#video;
    this.#lastEmittedRtp = undefined;
  }

  #take(): readonly DepacketizedFrame[] {
    const out = this.#out;
    this.#out = undefined;
    return out ?? NO_FRAMES;
  }

  #onPacket(packet: QueuedPacket, sequenceNumber: number): void {
    // The packet just before this one was received: a new timestamp here is the first packet of its frame.
    const afterReceived = this.#previousReceived;
    this.#previousReceived = true;
    if (packet.payload.length === 0) {
      this.#stats.paddingPackets++;
      return;
    }
    if (this.#codec.packetIsFrame) {
      this.#finish({
        timestamp: packet.timestamp,
        payloads: [packet.payload],
        firstSequenceNumber: sequenceNumber,
        lastSequenceNumber: sequenceNumber,
        startKnown: true,
      });
      return;
    }
    let current = this.#current;
    if (current && current.timestamp !== packet.timestamp) {
      // The next timestamp began without a loss in between: the frame ended (the marker may be missing, AV1 RTP §4.2).
      this.#finish(current);
      current = undefined;
    }
    if (current) {
      current.payloads.push(packet.payload);
      current.lastSequenceNumber = sequenceNumber;
    } else {
      if (packet.timestamp === this.#lastFinishedTimestamp) {
        // More of a frame that was already finished at its marker, or dropped.
        this.#stats.orphanPackets++;
        this.#needKeyframe('malformed');
        return;
      }
      current = {
        timestamp: packet.timestamp,
        payloads: [packet.payload],
        firstSequenceNumber: sequenceNumber,
        lastSequenceNumber: sequenceNumber,
        startKnown: afterReceived || this.#codec.startsFrame(packet.payload),
      };
      this.#current = current;
    }
    if (packet.marker) this.#finish(current);
  }

  #onLoss(): void {
    this.#previousReceived = false;
    this.#needKeyframe('loss');
    if (this.#current) this.#dropCurrent(false);
  }

  /** Drops the frame being collected; `request` asks for a key frame (the caller may have asked already). */
  #dropCurrent(request = true): void {
    this.#stats.incompleteFrames++;
    this.#lastFinishedTimestamp = this.#current!.timestamp;
    this.#current = undefined;
    if (request) this.#needKeyframe('incomplete');
  }

  #finish(frame: PendingFrame): void {
    this.#current = undefined;
    this.#lastFinishedTimestamp = frame.timestamp;
    if (!frame.startKnown) {
      this.#stats.incompleteFrames++;
      this.#needKeyframe('incomplete');
      return;
    }
    const result = this.#codec.assemble(frame.payloads);
    if (result.kind === 'malformed') {
      this.#stats.malformedFrames++;
      this.#needKeyframe('malformed');
      return;
    }
    if (result.kind === 'empty') {
      this.#stats.emptyFrames++;
      return;
    }
    if (this.#waitingForKeyframe) {
      if (!result.keyframe) {
        this.#stats.discardedWaitingForKeyframe++;
        this.#needKeyframe(this.#keyframeSeen ? 'loss' : 'start');
        return;
      }
      this.#waitingForKeyframe = false;
    }
    if (result.keyframe) {
      this.#keyframeSeen = true;
      this.#stats.keyframes++;
    }
    this.#stats.frames++;
    const rtpTimestamp = frame.timestamp;
    if (this.#lastEmittedRtp === undefined) this.#lastEmittedExtended = rtpTimestamp;
    else this.#lastEmittedExtended += (rtpTimestamp - this.#lastEmittedRtp) | 0;
    this.#lastEmittedRtp = rtpTimestamp;
    this.#out ??= [];
    this.#out.push({
      codec: this.#codec.codec,
      data: result.data,
      keyframe: result.keyframe,
      rtpTimestamp,
      timestamp: this.#lastEmittedExtended,
      firstSequenceNumber: frame.firstSequenceNumber,
      lastSequenceNumber: frame.lastSequenceNumber,
      packets: frame.payloads.length,
    });
  }

  /** Video only: start (or keep) discarding until a key frame, and ask for one unless asked recently. */
  #needKeyframe(reason: KeyframeRequestReason): void {
    if (!this.#video) return;
    const alreadyWaiting = this.#waitingForKeyframe;
    this.#waitingForKeyframe = true;
    if (
      alreadyWaiting &&
      this.#lastRequestMs !== undefined &&
      this.#nowMs - this.#lastRequestMs < this.#keyframeRequestIntervalMs
    )
      return;
    this.#lastRequestMs = this.#nowMs;
    this.#stats.keyframeRequests++;
    try {
      this.#onKeyframeNeeded?.(reason);
    } catch {
      this.#stats.listenerErrors++;
    }
  }
}
