/**
 * The SFU benchmark's synthetic media and what subscribers measure of it.
 *
 * The publisher sends what a camera and a microphone would, without an
 * encoder: VP8 at 30 frames/s and about 1.5 Mbit/s, cut into RTP packets of
 * at most 1200 bytes with a real payload descriptor (RFC 7741 §4.2: X, S,
 * PID 0, a 15-bit picture ID) and, on the first packet of each frame, a VP8
 * frame tag whose P bit says key or delta frame (RFC 6386 §9.1) — which is
 * all an SFU looks at. A key frame (four times a delta frame) comes every
 * 2.5 s and on PLI or FIR. Opus: one 120-byte packet every 20 ms. On
 * request it writes a sender report per stream (RFC 3550 §6.4.1), tying
 * both streams' RTP clocks to the wall clock, as a browser's RTCP does.
 *
 * Each packet ends with a probe: stream (0 audio, 1 video), a 32-bit
 * counter per stream, the send time (performance.now(), ms) and a magic
 * word. Publisher and subscribers share a process, so a subscriber's
 * receive time minus the send time is the latency the server added (plus
 * the load generator's own delays), and the counter tells what was lost.
 */
import { encodeSenderReportTo, type SenderReport, senderReportSize } from '../src/rtcp/sender-report.js';
import { RttHistogram } from './rtt-histogram.js';
import { PUBLISHER_MEDIA } from './sfu-sdp.js';

/** Bytes of the probe at the end of every payload. */
export const PROBE_SIZE = 17;
/** Marks a probe: "SBNC". */
const PROBE_MAGIC = 0x53424e43;
/** Largest RTP packet the publisher builds (header included). */
const MAX_RTP_SIZE = 1200;
const RTP_HEADER_SIZE = 12;
/** Payload descriptor: X=1 with I=1 and a 15-bit picture ID. */
const VP8_DESCRIPTOR_SIZE = 4;
const FRAME_RATE = 30;
const VIDEO_BITRATE = 1_500_000;
const KEYFRAME_INTERVAL_MS = 2500;
/** A key frame is this many delta frames big. */
const KEYFRAME_FACTOR = 4;
/** Shortest time between two key frames forced by PLI/FIR, ms. */
const MIN_FORCED_KEYFRAME_MS = 100;
const OPUS_PACKET_MS = 20;
const OPUS_PAYLOAD_SIZE = 120;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** Streams of the publisher. */
export const Stream = { audio: 0, video: 1 } as const;

/** Counters of the publisher. */
export interface PublisherStats {
  videoFrames: number;
  keyframes: number;
  keyframeRequests: number;
  packetsSent: number;
  bytesSent: number;
}

/** Where the publisher's packets go. */
export type RtpSender = (packet: Buffer) => void;

/** The synthetic publisher: paces VP8 frames and Opus packets, answers PLI/FIR with a key frame. */
export class SyntheticPublisher {
  readonly stats: PublisherStats = {
    videoFrames: 0,
    keyframes: 0,
    keyframeRequests: 0,
    packetsSent: 0,
    bytesSent: 0,
  };
  /** Next probe counter per stream: what was sent so far. */
  readonly nextCounter = [0, 0];
  /** Payload bytes sent per stream, for sender reports. */
  readonly #octets = [0, 0];
  readonly #send: RtpSender;
  readonly #packet = Buffer.alloc(MAX_RTP_SIZE);
  #sequence = [Math.floor(Math.random() * 0x8000), Math.floor(Math.random() * 0x8000)];
  #pictureId = 0;
  #startedAt = 0;
  #framesSent = 0;
  #audioSent = 0;
  #lastKeyframeAt = Number.NEGATIVE_INFINITY;
  #keyframeWanted = true;
  #timer: NodeJS.Timeout | undefined;
  /** Delta frame size, bytes, so that key and delta frames average VIDEO_BITRATE. */
  readonly #deltaFrameBytes: number;

  constructor(send: RtpSender) {
    this.#send = send;
    const framesPerKeyframe = (KEYFRAME_INTERVAL_MS / 1000) * FRAME_RATE;
    const bytesPerInterval = (VIDEO_BITRATE / 8) * (KEYFRAME_INTERVAL_MS / 1000);
    this.#deltaFrameBytes = Math.round(bytesPerInterval / (framesPerKeyframe - 1 + KEYFRAME_FACTOR));
  }

  /** Starts sending; frames and packets that fall due are sent on a 5 ms tick. */
  start(): void {
    if (this.#timer) return;
    this.#startedAt = performance.now();
    this.#timer = setInterval(() => this.#tick(), 5);
  }

  /** Stops sending; idempotent. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One sender report per stream (video, then audio), each a compound of
   * its own: the wall clock now as NTP and the RTP timestamp of the same
   * instant, on the time line both streams' timestamps follow.
   */
  senderReports(): Buffer[] {
    const now = performance.now();
    const elapsedMs = now - this.#startedAt;
    const unixMs = performance.timeOrigin + now;
    const seconds = Math.floor(unixMs / 1000);
    const fraction = Math.floor(((unixMs - seconds * 1000) / 1000) * 2 ** 32);
    const ntpTimestamp = (BigInt(seconds + NTP_UNIX_OFFSET_SECONDS) << 32n) | BigInt(fraction);
    const { audio, video } = PUBLISHER_MEDIA;
    return [
      [Stream.video, video.ssrc, video.clockRate],
      [Stream.audio, audio.ssrc, audio.clockRate],
    ].map(([stream, ssrc, clockRate]) => {
      const report: SenderReport = {
        ssrc,
        ntpTimestamp,
        rtpTimestamp: Math.floor((elapsedMs * clockRate) / 1000) >>> 0,
        packetCount: this.nextCounter[stream] >>> 0,
        octetCount: this.#octets[stream] >>> 0,
        reports: [],
        profileExtension: new Uint8Array(0),
      };
      const packet = Buffer.alloc(senderReportSize(report));
      encodeSenderReportTo(packet, 0, report);
      return packet;
    });
  }

  /** RTCP from the server: a PLI or FIR about our video asks for a key frame. */
  receiveRtcp(compound: Buffer): void {
    let offset = 0;
    while (offset + 4 <= compound.length) {
      const first = compound[offset];
      const packetType = compound[offset + 1];
      const length = (compound.readUInt16BE(offset + 2) + 1) * 4;
      if (first >> 6 !== 2 || offset + length > compound.length) return;
      const format = first & 0x1f;
      // RFC 4585 §6.3.1 PLI (PSFB, FMT 1); RFC 5104 §4.3.1 FIR (PSFB, FMT 4).
      if (packetType === 206 && (format === 1 || format === 4)) {
        this.stats.keyframeRequests++;
        this.#keyframeWanted = true;
      }
      offset += length;
    }
  }

  #tick(): void {
    const now = performance.now();
    const elapsed = now - this.#startedAt;
    // Catch up on what fell due, but never burst more than a few after a stall.
    let audioDue = Math.floor(elapsed / OPUS_PACKET_MS) + 1 - this.#audioSent;
    if (audioDue > 5) {
      this.#audioSent += audioDue - 5;
      audioDue = 5;
    }
    for (; audioDue > 0; audioDue--) this.#sendAudio();
    let framesDue = Math.floor((elapsed * FRAME_RATE) / 1000) + 1 - this.#framesSent;
    if (framesDue > 3) {
      this.#framesSent += framesDue - 3;
      framesDue = 3;
    }
    for (; framesDue > 0; framesDue--) this.#sendFrame(now);
  }

  #header(stream: number, payloadType: number, marker: boolean, timestamp: number, ssrc: number): void {
    const packet = this.#packet;
    packet[0] = 0x80;
    packet[1] = (marker ? 0x80 : 0) | payloadType;
    packet.writeUInt16BE(this.#sequence[stream], 2);
    this.#sequence[stream] = (this.#sequence[stream] + 1) & 0xffff;
    packet.writeUInt32BE(timestamp >>> 0, 4);
    packet.writeUInt32BE(ssrc >>> 0, 8);
  }

  #finish(stream: number, length: number): void {
    const packet = this.#packet;
    const at = length - PROBE_SIZE;
    packet[at] = stream;
    packet.writeUInt32BE(this.nextCounter[stream]++ >>> 0, at + 1);
    packet.writeDoubleBE(performance.now(), at + 5);
    packet.writeUInt32BE(PROBE_MAGIC, at + 13);
    const view = packet.subarray(0, length);
    this.#send(view);
    this.stats.packetsSent++;
    this.stats.bytesSent += length;
    this.#octets[stream] += length - RTP_HEADER_SIZE;
  }

  #sendAudio(): void {
    const { audio } = PUBLISHER_MEDIA;
    this.#header(Stream.audio, audio.payloadType, false, this.#audioSent * 960, audio.ssrc);
    this.#audioSent++;
    const packet = this.#packet;
    // TOC: config 15 (SILK+CELT hybrid FB, 20 ms), mono, one frame (RFC 6716 §3.1).
    packet[RTP_HEADER_SIZE] = 0x78;
    packet.fill(0x5a, RTP_HEADER_SIZE + 1, RTP_HEADER_SIZE + OPUS_PAYLOAD_SIZE);
    this.#finish(Stream.audio, RTP_HEADER_SIZE + OPUS_PAYLOAD_SIZE);
  }

  #sendFrame(now: number): void {
    const { video } = PUBLISHER_MEDIA;
    const keyframe =
      (this.#keyframeWanted && now - this.#lastKeyframeAt >= MIN_FORCED_KEYFRAME_MS) ||
      now - this.#lastKeyframeAt >= KEYFRAME_INTERVAL_MS;
    if (keyframe) {
      this.#keyframeWanted = false;
      this.#lastKeyframeAt = now;
      this.stats.keyframes++;
    }
    // ±20 % around the mean, as an encoder's frame sizes wander.
    const wobble = 0.8 + 0.4 * (((this.#framesSent * 7919) % 101) / 100);
    const frameBytes = Math.round(this.#deltaFrameBytes * wobble * (keyframe ? KEYFRAME_FACTOR : 1));
    const room = MAX_RTP_SIZE - RTP_HEADER_SIZE - VP8_DESCRIPTOR_SIZE;
    const packets = Math.ceil(frameBytes / room);
    const chunk = Math.max(PROBE_SIZE + 16, Math.ceil(frameBytes / packets));
    const timestamp = this.#framesSent * (video.clockRate / FRAME_RATE);
    this.#framesSent++;
    this.stats.videoFrames++;
    const pictureId = this.#pictureId;
    this.#pictureId = (this.#pictureId + 1) & 0x7fff;
    const packet = this.#packet;
    for (let index = 0; index < packets; index++) {
      this.#header(Stream.video, video.payloadType, index === packets - 1, timestamp, video.ssrc);
      let at = RTP_HEADER_SIZE;
      packet[at++] = index === 0 ? 0x90 : 0x80; // X, S on the first packet, PID 0
      packet[at++] = 0x80; // I: picture ID present
      packet[at++] = 0x80 | (pictureId >> 8); // M: 15-bit picture ID
      packet[at++] = pictureId & 0xff;
      const payloadStart = at;
      packet.fill(0xa5, payloadStart, payloadStart + chunk);
      if (index === 0) {
        // Frame tag (RFC 6386 §9.1): P (bit 0) clear on key frames, show_frame set, version 0.
        // The first partition is the whole frame after the headers: its size must fit in the
        // frame (chunk × packets bytes), or a depacketizer that checks it drops the frame.
        const partitionSize = Math.min(chunk * packets - (keyframe ? 10 : 3), 0x7ffff);
        const tag = (keyframe ? 0 : 1) | (1 << 4) | (partitionSize << 5);
        packet[at++] = tag & 0xff;
        packet[at++] = (tag >> 8) & 0xff;
        packet[at++] = (tag >> 16) & 0xff;
        if (keyframe) {
          // Start code and 640×360 (§9.1), as a decoder expects after a key frame's tag.
          packet[at++] = 0x9d;
          packet[at++] = 0x01;
          packet[at++] = 0x2a;
          packet.writeUInt16LE(640, at);
          packet.writeUInt16LE(360, at + 2);
        }
      }
      this.#finish(Stream.video, payloadStart + chunk);
    }
  }
}

/** Reads the probe of a plain RTP packet: [stream, counter, sentAt] or undefined. */
export function readProbe(packet: Buffer): { stream: number; counter: number; sentAt: number } | undefined {
  if (packet.length < RTP_HEADER_SIZE + PROBE_SIZE) return undefined;
  let end = packet.length;
  // RFC 3550 §5.1: with P set, the last byte counts the padding.
  if (packet[0] & 0x20) end -= packet[end - 1];
  if (end - PROBE_SIZE < RTP_HEADER_SIZE || packet.readUInt32BE(end - 4) !== PROBE_MAGIC) return undefined;
  const at = end - PROBE_SIZE;
  return { stream: packet[at], counter: packet.readUInt32BE(at + 1), sentAt: packet.readDoubleBE(at + 5) };
}

/**
 * One measurement window over every subscriber: which probes of the window
 * arrived (once each), how late, and how many bytes. Probes are counted when
 * their counter lies in [start, end) of the window's stream, so a packet
 * sent in the window and received after it still counts, until `close()`.
 */
export class MeasurementWindow {
  readonly latency = new RttHistogram();
  /** First counter of the window per stream. */
  readonly start: number[];
  /** One past the last counter per stream, known at `end()`. */
  end: number[] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  received = 0;
  bytes = 0;
  duplicates = 0;
  #open = true;

  constructor(start: readonly number[]) {
    this.start = [...start];
  }

  /** Stops taking packets. */
  close(): void {
    this.#open = false;
  }

  /** Records one packet of a subscriber, given its seen-bitmaps (one per stream, 65,536 entries). */
  record(packet: Buffer, seen: Uint8Array[], nowMs: number): void {
    if (!this.#open) return;
    const probe = readProbe(packet);
    if (!probe) return;
    const { stream, counter } = probe;
    if (stream > 1 || counter < this.start[stream] || counter >= this.end[stream]) return;
    const slot = (counter - this.start[stream]) & 0xffff;
    const map = seen[stream];
    if (map[slot]) {
      this.duplicates++;
      return;
    }
    map[slot] = 1;
    this.received++;
    this.bytes += packet.length;
    this.latency.record(nowMs - probe.sentAt);
  }

  /** Packets that every one of `subscribers` should have received. */
  expected(subscribers: number): number {
    return subscribers * (this.end[0] - this.start[0] + (this.end[1] - this.start[1]));
  }
}
