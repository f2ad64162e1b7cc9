/**
 * What a router keeps per transport: which producer each incoming RTP packet
 * belongs to, which consumer each piece of RTCP feedback is about, and the
 * RTCP the server itself sends on that transport.
 *
 * RTCP the server generates (RFC 3550 §6, RFC 4585):
 * - to a publisher: receiver reports on its streams, NACKs for its lost
 *   packets, PLIs when a keyframe is needed, and REMB with the bitrate its
 *   subscribers can take;
 * - to a subscriber: sender reports and SDES for each consumer.
 * Feedback from a subscriber ends at its consumer: it is never relayed to
 * another subscriber, and reaches a publisher only as the server's own
 * (throttled) keyframe requests and NACKs.
 */
import { randomInt } from 'node:crypto';
import {
  encodeGenericNackTo,
  genericNackSize,
  nackPairsFromSequenceNumbers,
  nackSequenceNumbers,
} from '../rtcp/nack.js';
import { decodeRtcpCompound } from '../rtcp/packet.js';
import { encodePictureLossIndicationTo } from '../rtcp/pli.js';
import { encodeReceiverReportTo } from '../rtcp/receiver-report.js';
import { encodeReceiverEstimatedMaximumBitrateTo } from '../rtcp/remb.js';
import type { ReportBlock } from '../rtcp/report-block.js';
import { encodeSourceDescriptionTo, SdesItemType } from '../rtcp/sdes.js';
import type { Consumer } from './consumer.js';
import type { Producer } from './producer.js';
import { RtpListener } from './rtp-listener.js';
import type { WebRtcTransport } from './webrtc-transport.js';

/** Counters of one transport's RTP and RTCP handling. */
export interface TransportBindingStats {
  /** RTP packets whose SSRC and MID match no producer. */
  rtpUnknownSource: number;
  /** RTCP compounds that did not parse. */
  rtcpMalformed: number;
  rtcpReceived: number;
  rtcpSent: number;
}

/** How often NACKs and keyframe requests are considered, ms. */
export const FEEDBACK_INTERVAL_MS = 20;
/** Largest RTCP compound the server builds. */
const MAX_RTCP_SIZE = 1200;
/** Report blocks in one RR (RFC 3550 §6.4.2: 5-bit count). */
const MAX_REPORT_BLOCKS = 31;

/** A router's view of one transport. */
export class TransportBinding {
  readonly transport: WebRtcTransport;
  readonly stats: TransportBindingStats = {
    rtpUnknownSource: 0,
    rtcpMalformed: 0,
    rtcpReceived: 0,
    rtcpSent: 0,
  };
  /** SSRC the server's own RTCP (RR, NACK, PLI, REMB) is sent from on this transport. */
  readonly rtcpSsrc = randomInt(1, 0xffff_ffff);
  readonly producers = new Set<Producer>();
  readonly consumers = new Set<Consumer>();
  readonly #listener = new RtpListener<Producer>();
  /** Media and RTX SSRCs of producers (for SRs), and of consumers (for feedback). */
  readonly #producerBySsrc = new Map<number, Producer>();
  readonly #consumerBySsrc = new Map<number, Consumer>();
  /** The latest share of the subscriber's REMB for each video consumer, bits/s. */
  readonly #consumerBitrate = new Map<Consumer, number>();
  readonly #maxIncomingBitrate: number;
  readonly #rtcpIntervalMs: number;
  #nextRtcpAt = 0;
  readonly #rtcpBuffer = Buffer.allocUnsafe(MAX_RTCP_SIZE);
  readonly #nackScratch: number[] = [];
  readonly #bitrateOf: (producer: Producer) => number;

  constructor(
    transport: WebRtcTransport,
    options: {
      maxIncomingBitrate: number;
      rtcpIntervalMs: number;
      /** What the subscribers of a producer can take, bits/s (Infinity when unknown). */
      bitrateOf: (producer: Producer) => number;
    },
  ) {
    this.transport = transport;
    this.#maxIncomingBitrate = options.maxIncomingBitrate;
    this.#rtcpIntervalMs = options.rtcpIntervalMs;
    this.#bitrateOf = options.bitrateOf;
    transport.on('rtp', (packet) => {
      const producer = this.#listener.find(packet);
      if (producer) producer.receiveRtp(packet, Date.now());
      else this.stats.rtpUnknownSource++;
    });
    transport.on('rtcp', (packet) => this.#receiveRtcp(packet, Date.now()));
  }

  /** Starts routing a producer's packets: by its announced SSRCs and its MID. */
  addProducer(producer: Producer, midExtensionId: number | undefined): void {
    const ssrcs: number[] = [];
    for (const encoding of producer.rtpParameters.encodings) {
      if (encoding.ssrc !== undefined) ssrcs.push(encoding.ssrc);
      if (encoding.rtx) ssrcs.push(encoding.rtx.ssrc);
    }
    if (midExtensionId !== undefined) this.#listener.midExtensionId = midExtensionId;
    this.#listener.add(producer, { ssrcs, mid: producer.rtpParameters.mid });
    for (const ssrc of ssrcs) this.#producerBySsrc.set(ssrc, producer);
    this.producers.add(producer);
    producer.once('close', () => this.removeProducer(producer));
  }

  /** Stops routing a producer. */
  removeProducer(producer: Producer): void {
    this.#listener.remove(producer);
    for (const [ssrc, owner] of this.#producerBySsrc)
      if (owner === producer) this.#producerBySsrc.delete(ssrc);
    this.producers.delete(producer);
  }

  /** Routes feedback about a consumer's SSRCs to it. */
  addConsumer(consumer: Consumer): void {
    this.consumers.add(consumer);
    this.#consumerBySsrc.set(consumer.ssrc, consumer);
    if (consumer.rtxSsrc !== undefined) this.#consumerBySsrc.set(consumer.rtxSsrc, consumer);
    consumer.once('close', () => this.removeConsumer(consumer));
  }

  /** Forgets a consumer. */
  removeConsumer(consumer: Consumer): void {
    this.consumers.delete(consumer);
    this.#consumerBitrate.delete(consumer);
    for (const [ssrc, owner] of this.#consumerBySsrc)
      if (owner === consumer) this.#consumerBySsrc.delete(ssrc);
  }

  /** The latest bitrate share this transport's subscriber gave a consumer, or undefined. */
  consumerBitrate(consumer: Consumer): number | undefined {
    return this.#consumerBitrate.get(consumer);
  }

  /** Sends a PLI for a producer's stream to its publisher. */
  sendPictureLossIndication(mediaSsrc: number): void {
    const length = encodePictureLossIndicationTo(this.#rtcpBuffer, 0, {
      senderSsrc: this.rtcpSsrc,
      mediaSsrc,
    });
    this.#sendRtcp(length);
  }

  /** Called every FEEDBACK_INTERVAL_MS by the router: NACKs, due keyframe requests, periodic reports. */
  tick(nowMs: number): void {
    if (this.transport.closed || !this.transport.srtpProfile) return;
    for (const producer of this.producers) {
      producer.pollKeyframeRequest(nowMs);
      const count = producer.collectNacks(nowMs, this.#nackScratch);
      const mediaSsrc = producer.mediaSsrc;
      if (count > 0 && mediaSsrc !== undefined) {
        const nack = {
          senderSsrc: this.rtcpSsrc,
          mediaSsrc,
          pairs: nackPairsFromSequenceNumbers(this.#nackScratch.slice(0, count)),
        };
        if (genericNackSize(nack) <= MAX_RTCP_SIZE)
          this.#sendRtcp(encodeGenericNackTo(this.#rtcpBuffer, 0, nack));
      }
    }
    if (nowMs >= this.#nextRtcpAt) {
      // RFC 3550 §6.3.5: randomise the interval (0.5–1.5×) so reports do not synchronise.
      this.#nextRtcpAt = nowMs + this.#rtcpIntervalMs * (0.5 + Math.random());
      this.#sendReports(nowMs);
    }
  }

  /** RR + REMB about the producers, then SR + SDES per consumer. */
  #sendReports(nowMs: number): void {
    const buf = this.#rtcpBuffer;
    if (this.producers.size > 0) {
      const reports: ReportBlock[] = [];
      const videoSsrcs: number[] = [];
      let bitrate = 0;
      for (const producer of this.producers) {
        const block = producer.reportBlock(nowMs);
        if (block && reports.length < MAX_REPORT_BLOCKS) reports.push({ ...block });
        if (producer.kind === 'video' && producer.mediaSsrc !== undefined) {
          videoSsrcs.push(producer.mediaSsrc);
          bitrate += Math.min(this.#maxIncomingBitrate, this.#bitrateOf(producer));
        }
      }
      let length = encodeReceiverReportTo(buf, 0, {
        ssrc: this.rtcpSsrc,
        reports,
        profileExtension: new Uint8Array(0),
      });
      if (videoSsrcs.length > 0) {
        length += encodeReceiverEstimatedMaximumBitrateTo(buf, length, {
          senderSsrc: this.rtcpSsrc,
          mediaSsrc: 0,
          bitrate: Math.max(30_000, Math.floor(bitrate)),
          ssrcs: videoSsrcs.slice(0, 255),
        });
      }
      this.#sendRtcp(length);
    }
    for (const consumer of this.consumers) {
      let length = consumer.writeSenderReportTo(buf, 0, nowMs);
      if (length === 0) continue;
      const cname = consumer.rtpParameters.rtcp.cname;
      if (cname) {
        length += encodeSourceDescriptionTo(buf, length, {
          chunks: [
            { source: consumer.ssrc, items: [{ type: SdesItemType.Cname, value: Buffer.from(cname) }] },
          ],
        });
      }
      this.#sendRtcp(length);
    }
  }

  #sendRtcp(length: number): void {
    if (this.transport.sendRtcp(this.#rtcpBuffer.subarray(0, length))) this.stats.rtcpSent++;
  }

  #receiveRtcp(compound: Buffer, nowMs: number): void {
    this.stats.rtcpReceived++;
    const decoded = decodeRtcpCompound(compound);
    if (!decoded.ok) {
      this.stats.rtcpMalformed++;
      return;
    }
    for (const item of decoded.value) {
      switch (item.kind) {
        case 'sender-report':
          this.#producerBySsrc
            .get(item.packet.ssrc)
            ?.receiveSenderReport(item.packet.ntpTimestamp, item.packet.rtpTimestamp, nowMs);
          break;
        case 'receiver-report':
          for (const block of item.packet.reports)
            this.#consumerBySsrc.get(block.ssrc)?.receiveReportBlock(block, nowMs);
          break;
        case 'generic-nack':
          this.#consumerBySsrc
            .get(item.packet.mediaSsrc)
            ?.receiveNack(nackSequenceNumbers(item.packet.pairs), nowMs);
          break;
        case 'picture-loss-indication':
          this.#consumerBySsrc.get(item.packet.mediaSsrc)?.receiveKeyframeRequest(nowMs);
          break;
        case 'full-intra-request':
          for (const entry of item.packet.entries)
            this.#consumerBySsrc.get(entry.ssrc)?.receiveKeyframeRequest(nowMs);
          break;
        case 'receiver-estimated-maximum-bitrate': {
          const covered: Consumer[] = [];
          for (const ssrc of item.packet.ssrcs) {
            const consumer = this.#consumerBySsrc.get(ssrc);
            if (consumer && consumer.kind === 'video' && !covered.includes(consumer)) covered.push(consumer);
          }
          // The estimate covers everything the subscriber receives: share it between its video streams.
          for (const consumer of covered)
            this.#consumerBitrate.set(consumer, item.packet.bitrate / covered.length);
          break;
        }
        default:
          break;
      }
    }
  }
}
