/**
 * A Producer: one media track a publisher sends into a router (mediasoup's
 * model). It receives the decrypted RTP of its stream from its transport,
 * keeps what the server needs to answer for it (reception statistics for
 * receiver reports, a retransmission cache for subscribers' NACKs, losses to
 * NACK upstream), and hands every packet to its consumers.
 *
 * RTX (RFC 4588) from the publisher is restored to the original packet
 * before anything else sees it, so consumers only ever forward media.
 */

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ReportBlock } from '../rtcp/report-block.js';
import { type KeyframeDetector, keyframeDetectorFor } from '../rtp/codecs/index.js';
import { decodeRtpPacket, type RtpPacket } from '../rtp/packet.js';
import { findRtpExtension } from '../rtp/raw-extension.js';
import { isRtxCodec, type RtpParameters } from '../sdp/rtp-parameters.js';
import { audioLevelDbov } from './audio-level-observer.js';
import { KeyframeRequestThrottle } from './keyframe-request-throttle.js';
import { RTP_EXTENSION_URIS, RtpExtensionKind } from './outgoing-rtp.js';
import { PacketCache } from './packet-cache.js';
import { NackGenerator, ReceiveStatistics } from './receive-statistics.js';
import { restoreRtxPacketTo } from './rtx.js';

/** Media kind of a producer or consumer. */
export type MediaKind = 'audio' | 'video';

/** What a producer forwards to: implemented by Consumer. */
export interface ProducerSink {
  /** A media packet (decoded view, valid during the call) with its keyframe flag. */
  forward(packet: RtpPacket, keyframe: boolean, nowMs: number): void;
  /** The producer paused or resumed. */
  onProducerPause(paused: boolean): void;
  /** The producer closed. */
  onProducerClose(): void;
  /** A sender report of the stream (RFC 3550 §6.4.1): the sender's NTP time and the RTP timestamp of the same instant. */
  onSenderReport?(ntpTimestamp: bigint, rtpTimestamp: number, nowMs: number): void;
}

/** How the producer talks back to its publisher (through its transport). */
export interface ProducerUplink {
  /** Asks the publisher for a keyframe (PLI, RFC 4585 §6.3.1). */
  requestKeyframe(mediaSsrc: number): void;
}

/** Events of a {@link Producer}. */
export interface ProducerEvents {
  /** An ssrc-audio-level value (dBov, −127..0) arrived. */
  audiolevel: [levelDbov: number, nowMs: number];
  pause: [];
  resume: [];
  close: [];
}

/** Counters of one producer. */
export interface ProducerStats {
  packetsReceived: number;
  bytesReceived: number;
  retransmissionsReceived: number;
  keyframesReceived: number;
  keyframeRequestsSent: number;
  /** Packets that did not parse as RTP or had an unknown payload type. */
  packetsDiscarded: number;
}

/** Scratch room for restoring RTX packets. */
const MAX_PACKET_SIZE = 1500;

/** One published track. */
export class Producer extends EventEmitter<ProducerEvents> {
  /** Unique id. */
  readonly id = randomUUID();
  /** audio or video. */
  readonly kind: MediaKind;
  /** What the publisher sends, from its SDP. */
  readonly rtpParameters: RtpParameters;
  /** Free-form data of the owner (participant, track source). */
  readonly appData: Record<string, unknown>;
  /** Counters. */
  readonly stats: ProducerStats = {
    packetsReceived: 0,
    bytesReceived: 0,
    retransmissionsReceived: 0,
    keyframesReceived: 0,
    keyframeRequestsSent: 0,
    packetsDiscarded: 0,
  };
  readonly #uplink: ProducerUplink;
  readonly #sinks = new Set<ProducerSink>();
  readonly #payloadTypes = new Set<number>();
  /** RTX payload type → the media payload type it repairs. */
  readonly #rtxApt = new Map<number, number>();
  readonly #keyframeDetectors = new Map<number, KeyframeDetector>();
  readonly #clockRate: number;
  readonly #audioLevelId: number;
  readonly #cache: PacketCache | undefined;
  readonly #nack: NackGenerator | undefined;
  readonly #keyframeThrottle = new KeyframeRequestThrottle();
  readonly #rtxScratch = Buffer.allocUnsafe(MAX_PACKET_SIZE);
  #statistics: ReceiveStatistics | undefined;
  #mediaSsrc: number | undefined;
  #paused = false;
  #closed = false;

  constructor(options: {
    kind: MediaKind;
    rtpParameters: RtpParameters;
    uplink: ProducerUplink;
    paused?: boolean;
    appData?: Record<string, unknown>;
  }) {
    super();
    this.kind = options.kind;
    this.rtpParameters = options.rtpParameters;
    this.#uplink = options.uplink;
    this.#paused = options.paused ?? false;
    this.appData = options.appData ?? {};
    let clockRate = 0;
    for (const codec of options.rtpParameters.codecs) {
      if (isRtxCodec(codec)) {
        this.#rtxApt.set(codec.payloadType, Number(codec.parameters['apt']));
        continue;
      }
      this.#payloadTypes.add(codec.payloadType);
      if (clockRate === 0) clockRate = codec.clockRate;
      const detector = keyframeDetectorFor(codec.mimeType);
      if (detector) this.#keyframeDetectors.set(codec.payloadType, detector);
    }
    if (clockRate === 0) throw new TypeError('a producer needs at least one media codec');
    this.#clockRate = clockRate;
    const audioLevel = options.rtpParameters.headerExtensions.find(
      (extension) => RTP_EXTENSION_URIS[extension.uri] === RtpExtensionKind.AudioLevel,
    );
    this.#audioLevelId = audioLevel?.id ?? 0;
    this.#mediaSsrc = options.rtpParameters.encodings[0]?.ssrc;
    if (this.kind === 'video') {
      this.#cache = new PacketCache();
      this.#nack = new NackGenerator();
    }
  }

  /** True while paused: packets are received but not forwarded. */
  get paused(): boolean {
    return this.#paused;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The SSRC of the media stream: announced, or learned from the first packet. */
  get mediaSsrc(): number | undefined {
    return this.#mediaSsrc;
  }

  /** Clock rate of the media codecs. */
  get clockRate(): number {
    return this.#clockRate;
  }

  /** The packet the subscriber lost, from the cache (a view valid until the slot is reused). */
  retransmission(sequenceNumber: number, nowMs: number): Uint8Array | undefined {
    return this.#cache?.get(sequenceNumber, nowMs);
  }

  /** Adds a consumer (or other sink); it gets every packet from now on. */
  addSink(sink: ProducerSink): void {
    if (this.#closed) throw new Error('producer closed');
    this.#sinks.add(sink);
  }

  /** Removes a sink. */
  removeSink(sink: ProducerSink): void {
    this.#sinks.delete(sink);
  }

  /** Number of sinks. */
  get sinkCount(): number {
    return this.#sinks.size;
  }

  /**
   * One decrypted RTP packet of this producer (a view the caller reuses
   * after the call). Restores RTX, records statistics and the cache, then
   * forwards unless paused.
   */
  receiveRtp(raw: Buffer, nowMs: number): void {
    if (this.#closed) return;
    let packetBytes: Buffer = raw;
    let payloadType = raw[1] & 0x7f;
    const apt = this.#rtxApt.get(payloadType);
    if (apt !== undefined) {
      if (this.#mediaSsrc === undefined) return;
      const length = restoreRtxPacketTo(this.#rtxScratch, 0, raw, apt, this.#mediaSsrc);
      if (length < 0) {
        this.stats.packetsDiscarded++;
        return;
      }
      packetBytes = this.#rtxScratch.subarray(0, length);
      payloadType = apt;
      this.stats.retransmissionsReceived++;
    } else if (!this.#payloadTypes.has(payloadType)) {
      this.stats.packetsDiscarded++;
      return;
    }
    const decoded = decodeRtpPacket(packetBytes);
    if (!decoded.ok) {
      this.stats.packetsDiscarded++;
      return;
    }
    const packet = decoded.value;
    if (this.#mediaSsrc === undefined) this.#mediaSsrc = packet.ssrc;
    if (packet.ssrc !== this.#mediaSsrc) {
      // A second media SSRC on one non-simulcast producer: the publisher restarted its
      // encoder. Follow it; consumers see a source switch at the next keyframe.
      this.#mediaSsrc = packet.ssrc;
      this.#statistics = undefined;
      this.#nack?.reset();
      this.#cache?.clear();
    }
    this.#statistics ??= new ReceiveStatistics(packet.ssrc, this.#clockRate);
    this.stats.packetsReceived++;
    this.stats.bytesReceived += packet.payload.length;
    this.#statistics.onPacket(packet.sequenceNumber, packet.timestamp, nowMs);
    if (this.#cache) {
      if (apt !== undefined && this.#cache.get(packet.sequenceNumber, nowMs)) return; // duplicate repair
      this.#cache.insert(packet.sequenceNumber, packetBytes, nowMs);
    }
    if (this.#nack?.onPacket(packet.sequenceNumber, nowMs)) this.requestKeyframe(nowMs);
    if (this.#audioLevelId !== 0) {
      const level = findRtpExtension(packetBytes, this.#audioLevelId);
      if (level) this.emit('audiolevel', audioLevelDbov(level), nowMs);
    }
    const detector = this.#keyframeDetectors.get(payloadType);
    const keyframe = detector ? detector(packet.payload) : true;
    if (keyframe && this.kind === 'video') {
      this.stats.keyframesReceived++;
      this.#keyframeThrottle.onKeyframe();
    }
    if (this.#paused) return;
    for (const sink of this.#sinks) sink.forward(packet, keyframe, nowMs);
  }

  /** A sender report from the publisher about this stream (RFC 3550 §6.4.1). */
  receiveSenderReport(ntpTimestamp: bigint, rtpTimestamp: number, nowMs: number): void {
    this.#statistics?.onSenderReport(ntpTimestamp, nowMs);
    for (const sink of this.#sinks) sink.onSenderReport?.(ntpTimestamp, rtpTimestamp, nowMs);
  }

  /** The report block for the next receiver report, or undefined before any packet. */
  reportBlock(nowMs: number): ReportBlock | undefined {
    return this.#statistics?.buildReportBlock(nowMs);
  }

  /** Sequence numbers to NACK now (oldest first), written into `out`; returns the count. */
  collectNacks(nowMs: number, out: number[]): number {
    return this.#nack ? this.#nack.collect(nowMs, out) : 0;
  }

  /** Asks the publisher for a keyframe, at most once per throttle interval (the rest coalesce). */
  requestKeyframe(nowMs: number): void {
    if (this.kind !== 'video' || this.#mediaSsrc === undefined) return;
    if (this.#keyframeThrottle.request(nowMs)) this.#sendKeyframeRequest();
  }

  /** Sends a coalesced keyframe request whose time has come; called by the transport's timer. */
  pollKeyframeRequest(nowMs: number): void {
    if (this.#keyframeThrottle.poll(nowMs)) this.#sendKeyframeRequest();
  }

  #sendKeyframeRequest(): void {
    if (this.#mediaSsrc === undefined) return;
    this.stats.keyframeRequestsSent++;
    this.#uplink.requestKeyframe(this.#mediaSsrc);
  }

  /** Stops forwarding (mute); idempotent. */
  pause(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    for (const sink of this.#sinks) sink.onProducerPause(true);
    this.emit('pause');
  }

  /** Forwards again, from the next keyframe for video; idempotent. */
  resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    for (const sink of this.#sinks) sink.onProducerPause(false);
    this.emit('resume');
  }

  /** Closes the producer and tells its consumers; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const sinks = [...this.#sinks];
    this.#sinks.clear();
    for (const sink of sinks) sink.onProducerClose();
    this.emit('close');
  }
}
