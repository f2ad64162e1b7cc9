/**
 * What the SFU counts about each stream it sends, and the sender report
 * (RFC 3550 §6.4.1) built from it: packet and payload octet counts, and the
 * pairing of an NTP wall-clock time with the RTP timestamp of the same
 * instant, which receivers use for lip sync and RTT.
 *
 * The clock is the caller's: `nowMs` is Unix time in milliseconds (Date.now()
 * or a monotonic clock anchored to it), so tests drive it.
 */
import type { ReportBlock } from '../rtcp/report-block.js';
import { encodeSenderReportTo, type SenderReport, senderReportSize } from '../rtcp/sender-report.js';
import { ForwardingError } from './forwarding-errors.js';

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** The 64-bit NTP timestamp (32.32 fixed point since 1900) of a Unix time in milliseconds. */
export function ntpFromUnixMs(unixMs: number): bigint {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.min(0xffffffff, Math.round(((unixMs - seconds * 1000) / 1000) * 0x100000000));
  return (BigInt(seconds + NTP_UNIX_OFFSET_SECONDS) << 32n) | BigInt(fraction);
}

/** The middle 32 bits of the NTP timestamp of a Unix time (the LSR/DLSR unit, 1/65536 s). */
export function ntpMiddle32FromUnixMs(unixMs: number): number {
  return Number((ntpFromUnixMs(unixMs) >> 16n) & 0xffffffffn);
}

/** Send-side counters of one outgoing SSRC. */
export class SendStatistics {
  /** The SSRC sent. */
  readonly ssrc: number;
  /** RTP clock rate, Hz. */
  readonly clockRate: number;
  /** Packets sent (wraps at 2^32 in the report, §6.4.1). */
  packetsSent = 0;
  /** Payload octets sent, without headers or padding. */
  octetsSent = 0;

  private started = false;
  private lastTimestamp = 0;
  private lastTimestampAtMs = 0;
  private lastReportMiddle = -1;

  constructor(ssrc: number, clockRate: number) {
    if (!(clockRate > 0)) throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `clock rate ${clockRate}`);
    this.ssrc = ssrc >>> 0;
    this.clockRate = clockRate;
  }

  /** True once a packet was sent: only then does RFC 3550 §6.4 call for sender reports. */
  get hasSent(): boolean {
    return this.started;
  }

  /**
   * Records a sent packet. The wall clock is tied to the newest timestamp at
   * the first packet that carries it (the start of a frame).
   */
  onPacket(rtpTimestamp: number, payloadLength: number, nowMs: number): void {
    this.packetsSent++;
    this.octetsSent += payloadLength;
    const timestamp = rtpTimestamp >>> 0;
    if (!this.started || ((timestamp - this.lastTimestamp) | 0) > 0) {
      this.started = true;
      this.lastTimestamp = timestamp;
      this.lastTimestampAtMs = nowMs;
    }
  }

  /** The RTP timestamp of `nowMs`, extrapolated from the newest packet with the clock rate. */
  rtpTimestampAt(nowMs: number): number {
    return (
      (this.lastTimestamp + Math.round(((nowMs - this.lastTimestampAtMs) * this.clockRate) / 1000)) >>> 0
    );
  }

  /**
   * The sender report for `nowMs` with the given report blocks (at most 31),
   * or undefined before the first packet. Remembers its NTP time so that
   * roundTripTimeMs() can match the receiver's LSR.
   */
  senderReport(nowMs: number, reports: ReportBlock[] = []): SenderReport | undefined {
    if (!this.started) return undefined;
    const ntpTimestamp = ntpFromUnixMs(nowMs);
    this.lastReportMiddle = Number((ntpTimestamp >> 16n) & 0xffffffffn);
    return {
      ssrc: this.ssrc,
      ntpTimestamp,
      rtpTimestamp: this.rtpTimestampAt(nowMs),
      packetCount: this.packetsSent >>> 0,
      octetCount: this.octetsSent % 0x100000000,
      reports,
      profileExtension: new Uint8Array(0),
    };
  }

  /**
   * Writes the sender report for `nowMs` at `offset` and returns its length,
   * or 0 before the first packet. Throws RtcpError when it does not fit.
   */
  writeSenderReportTo(buf: Uint8Array, offset: number, nowMs: number, reports: ReportBlock[] = []): number {
    const report = this.senderReport(nowMs, reports);
    if (!report) return 0;
    if (offset + senderReportSize(report) > buf.length)
      throw new ForwardingError('ERR_MEDIA_BUFFER_TOO_SMALL', 'no room for the sender report');
    return encodeSenderReportTo(buf, offset, report);
  }

  /**
   * Round-trip time from a receiver's report block on this SSRC (RFC 3550
   * §6.4.1: A − LSR − DLSR), in milliseconds; -1 when the block answers no
   * report of ours.
   */
  roundTripTimeMs(block: ReportBlock, nowMs: number): number {
    if (block.lastSenderReport === 0 || this.lastReportMiddle < 0) return -1;
    const arrival = ntpMiddle32FromUnixMs(nowMs);
    const rtt = (arrival - block.lastSenderReport - block.delaySinceLastSenderReport) | 0;
    return rtt < 0 ? 0 : (rtt * 1000) / 65536;
  }
}
