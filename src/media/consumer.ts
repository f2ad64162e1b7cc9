/**
 * A Consumer: one producer's track as one subscriber receives it (mediasoup's
 * model). Every forwarded packet is rewritten into the subscriber's own
 * stream: its SSRC, its payload types, a sequence and timestamp line that
 * stays continuous across pauses and producer restarts, and the header
 * extensions the subscriber negotiated, renumbered to its ids.
 *
 * Video starts, and restarts after a pause, on a keyframe (one is requested
 * from the producer), so a decoder never starts on a delta frame. NACKs from
 * the subscriber are answered from the producer's cache, over RTX when the
 * subscriber negotiated it (RFC 4588), as the original packet otherwise.
 */

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ReportBlock } from '../rtcp/report-block.js';
import type { RtpPacket } from '../rtp/packet.js';
import { decodeRtpPacket } from '../rtp/packet.js';
import { isRtxCodec, type RtpParameters } from '../sdp/rtp-parameters.js';
import {
  absSendTime,
  createOutgoingRtpParams,
  ExtensionMap,
  type OutgoingRtpParams,
  writeOutgoingRtp,
} from './outgoing-rtp.js';
import type { MediaKind, Producer, ProducerSink } from './producer.js';
import { SendStatistics } from './send-statistics.js';
import { RtpStreamRewriter } from './sequence-rewriter.js';

/** Where a consumer's packets go: its transport. */
export interface ConsumerDownlink {
  /** Encrypts and sends one RTP packet; false when it could not be sent. */
  sendRtp(packet: Uint8Array): boolean;
}

/** Events of a {@link Consumer}. */
export interface ConsumerEvents {
  /** The producer paused or resumed (mute), or this consumer did. */
  pause: [];
  resume: [];
  /** The consumer closed, on its own or because its producer or transport did. */
  close: [];
}

/** Counters of one consumer. */
export interface ConsumerStats {
  packetsSent: number;
  bytesSent: number;
  retransmissionsSent: number;
  nacksReceived: number;
  keyframeRequestsReceived: number;
  /** Video packets skipped while waiting for a keyframe. */
  packetsSkipped: number;
}

/** Room for one outgoing packet: the largest datagram less SRTP's tag. */
const MAX_PACKET_SIZE = 1500;
/** Outgoing sequence numbers whose timestamps are kept, for retransmissions (power of two). */
const TIMESTAMP_HISTORY = 2048;

/** One subscriber's copy of a producer's track. */
export class Consumer extends EventEmitter<ConsumerEvents> implements ProducerSink {
  /** Unique id. */
  readonly id = randomUUID();
  /** The producer consumed. */
  readonly producer: Producer;
  /** audio or video. */
  readonly kind: MediaKind;
  /** What the subscriber receives: payload types, SSRCs, header extensions, mid. */
  readonly rtpParameters: RtpParameters;
  /** Free-form data of the owner. */
  readonly appData: Record<string, unknown>;
  /** Counters. */
  readonly stats: ConsumerStats = {
    packetsSent: 0,
    bytesSent: 0,
    retransmissionsSent: 0,
    nacksReceived: 0,
    keyframeRequestsReceived: 0,
    packetsSkipped: 0,
  };
  /** Round-trip time to the subscriber from its receiver reports, ms; -1 until known. */
  rttMs = -1;
  /** Fraction of our packets the subscriber lost, from its last receiver report (0–1). */
  fractionLost = 0;
  readonly #downlink: ConsumerDownlink;
  /** Producer payload type → ours. */
  readonly #payloadTypes: ReadonlyMap<number, number>;
  /** Our media payload type → our RTX payload type. */
  readonly #rtxPayloadTypes = new Map<number, number>();
  readonly #ssrc: number;
  readonly #rtxSsrc: number | undefined;
  #rtxSequence = Math.floor(Math.random() * 0x10000);
  readonly #extensions: ExtensionMap;
  readonly #params: OutgoingRtpParams = createOutgoingRtpParams();
  readonly #rewriter: RtpStreamRewriter;
  readonly #sendStatistics: SendStatistics;
  readonly #buffer = Buffer.allocUnsafe(MAX_PACKET_SIZE);
  readonly #timestamps = new Uint32Array(TIMESTAMP_HISTORY);
  readonly #outgoingPayloadTypes = new Uint8Array(TIMESTAMP_HISTORY);
  #paused: boolean;
  #producerPaused: boolean;
  /** Video only: nothing is sent until a keyframe comes. */
  #waitingForKeyframe: boolean;
  #closed = false;

  constructor(options: {
    producer: Producer;
    rtpParameters: RtpParameters;
    /** Producer payload type → consumer payload type. */
    payloadTypes: ReadonlyMap<number, number>;
    downlink: ConsumerDownlink;
    paused?: boolean;
    appData?: Record<string, unknown>;
  }) {
    super();
    const { producer, rtpParameters } = options;
    const encoding = rtpParameters.encodings[0];
    if (encoding?.ssrc === undefined) throw new TypeError('a consumer needs an SSRC');
    this.producer = producer;
    this.kind = producer.kind;
    this.rtpParameters = rtpParameters;
    this.appData = options.appData ?? {};
    this.#downlink = options.downlink;
    this.#payloadTypes = options.payloadTypes;
    this.#ssrc = encoding.ssrc;
    this.#rtxSsrc = encoding.rtx?.ssrc;
    for (const codec of rtpParameters.codecs) {
      if (isRtxCodec(codec)) this.#rtxPayloadTypes.set(Number(codec.parameters['apt']), codec.payloadType);
    }
    this.#extensions = ExtensionMap.fromMappings(
      producer.rtpParameters.headerExtensions,
      rtpParameters.headerExtensions,
    );
    this.#params.ssrc = this.#ssrc;
    this.#params.mid = Buffer.from(rtpParameters.mid ?? '', 'latin1');
    const clockRate = producer.clockRate;
    this.#rewriter = new RtpStreamRewriter({ clockRate });
    this.#sendStatistics = new SendStatistics(this.#ssrc, clockRate);
    this.#paused = options.paused ?? false;
    this.#producerPaused = producer.paused;
    this.#waitingForKeyframe = this.kind === 'video';
    producer.addSink(this);
  }

  /**
   * Sets the mid of the subscriber's media section, written in the MID
   * header extension of every packet (for when the section is allocated
   * after the consumer's parameters are known).
   */
  assignMid(mid: string): void {
    this.rtpParameters.mid = mid;
    this.#params.mid = Buffer.from(mid, 'latin1');
  }

  /** The SSRC the subscriber receives on. */
  get ssrc(): number {
    return this.#ssrc;
  }

  /** The RTX SSRC, when negotiated. */
  get rtxSsrc(): number | undefined {
    return this.#rtxSsrc;
  }

  /** Paused by its owner (the subscriber does not want it now). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Paused because its producer is (muted). */
  get producerPaused(): boolean {
    return this.#producerPaused;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Per-packet path: rewrite into our stream and send. */
  forward(packet: RtpPacket, keyframe: boolean, nowMs: number): void {
    if (this.#paused || this.#producerPaused || this.#closed) return;
    const payloadType = this.#payloadTypes.get(packet.payloadType);
    if (payloadType === undefined) return;
    if (this.#waitingForKeyframe) {
      if (!keyframe) {
        this.stats.packetsSkipped++;
        return;
      }
      this.#waitingForKeyframe = false;
      this.#rewriter.switchSource();
    }
    if (!this.#rewriter.rewrite(packet.sequenceNumber, packet.timestamp, nowMs)) return;
    const params = this.#params;
    params.payloadType = payloadType;
    params.marker = packet.marker;
    params.sequenceNumber = this.#rewriter.sequence;
    params.timestamp = this.#rewriter.timestamp;
    params.ssrc = this.#ssrc;
    params.absSendTime = absSendTime(nowMs);
    params.originalSequenceNumber = -1;
    const slot = params.sequenceNumber & (TIMESTAMP_HISTORY - 1);
    this.#timestamps[slot] = params.timestamp;
    this.#outgoingPayloadTypes[slot] = payloadType;
    const length = writeOutgoingRtp(this.#buffer, 0, packet, this.#extensions, params);
    if (!this.#downlink.sendRtp(this.#buffer.subarray(0, length))) {
      // Not sent (no keys, or no nominated ICE path yet): a video stream must still start on a
      // keyframe, and the request that brought this one is spent, so ask for the next.
      if (keyframe && this.kind === 'video' && this.stats.packetsSent === 0) {
        this.#waitingForKeyframe = true;
        this.producer.requestKeyframe(nowMs);
      }
      return;
    }
    this.stats.packetsSent++;
    this.stats.bytesSent += packet.payload.length;
    this.#sendStatistics.onPacket(params.timestamp, packet.payload.length, nowMs);
  }

  /** The subscriber lost these of our sequence numbers (generic NACK): resend what the cache has. */
  receiveNack(sequenceNumbers: readonly number[], nowMs: number): void {
    this.stats.nacksReceived++;
    for (const outgoing of sequenceNumbers) {
      const incoming = this.#rewriter.lookup(outgoing);
      if (incoming < 0 || this.#rewriter.lookupGeneration !== this.#rewriter.generation) continue;
      const raw = this.producer.retransmission(incoming, nowMs);
      if (!raw) continue;
      const decoded = decodeRtpPacket(raw);
      if (!decoded.ok) continue;
      const slot = outgoing & (TIMESTAMP_HISTORY - 1);
      const payloadType = this.#outgoingPayloadTypes[slot];
      const rtxPayloadType = this.#rtxPayloadTypes.get(payloadType);
      const params = this.#params;
      params.marker = decoded.value.marker;
      params.timestamp = this.#timestamps[slot];
      params.absSendTime = absSendTime(nowMs);
      if (rtxPayloadType !== undefined && this.#rtxSsrc !== undefined) {
        params.payloadType = rtxPayloadType;
        params.ssrc = this.#rtxSsrc;
        params.sequenceNumber = this.#rtxSequence;
        this.#rtxSequence = (this.#rtxSequence + 1) & 0xffff;
        params.originalSequenceNumber = outgoing;
      } else {
        params.payloadType = payloadType;
        params.ssrc = this.#ssrc;
        params.sequenceNumber = outgoing;
        params.originalSequenceNumber = -1;
      }
      const length = writeOutgoingRtp(this.#buffer, 0, decoded.value, this.#extensions, params);
      if (this.#downlink.sendRtp(this.#buffer.subarray(0, length))) this.stats.retransmissionsSent++;
    }
    this.#params.originalSequenceNumber = -1;
  }

  /** The subscriber asked for a keyframe (PLI or FIR): passed on to the producer, throttled there. */
  receiveKeyframeRequest(nowMs: number): void {
    this.stats.keyframeRequestsReceived++;
    this.producer.requestKeyframe(nowMs);
  }

  /** Writes our sender report (RFC 3550 §6.4.1) at `offset`; 0 before anything was sent. */
  writeSenderReportTo(buf: Uint8Array, offset: number, nowMs: number): number {
    return this.#sendStatistics.writeSenderReportTo(buf, offset, nowMs);
  }

  /** A receiver report block about our stream: updates the round-trip time when it answers one of our SRs. */
  receiveReportBlock(block: ReportBlock, nowMs: number): void {
    const rtt = this.#sendStatistics.roundTripTimeMs(block, nowMs);
    if (rtt >= 0) this.rttMs = rtt;
    this.fractionLost = block.fractionLost / 256;
  }

  /** Stops sending; idempotent. */
  pause(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    this.emit('pause');
  }

  /** Sends again, from the next keyframe (requested now) for video; idempotent. */
  resume(nowMs = Date.now()): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    this.#restart(nowMs);
    this.emit('resume');
  }

  /** Called by the producer when it pauses or resumes. */
  onProducerPause(paused: boolean): void {
    if (this.#closed || this.#producerPaused === paused) return;
    this.#producerPaused = paused;
    if (!paused) this.#restart(Date.now());
    this.emit(paused ? 'pause' : 'resume');
  }

  /** Called by the producer when it closes. */
  onProducerClose(): void {
    this.close();
  }

  /** Asks for a keyframe, the first packet sent after it gets a new switch point. */
  requestKeyframe(nowMs = Date.now()): void {
    if (this.kind === 'video') this.producer.requestKeyframe(nowMs);
  }

  #restart(nowMs: number): void {
    if (this.kind === 'video') {
      this.#waitingForKeyframe = true;
      this.producer.requestKeyframe(nowMs);
    } else {
      this.#rewriter.switchSource();
    }
  }

  /** Stops forwarding and leaves the producer; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.producer.removeSink(this);
    this.emit('close');
  }
}
