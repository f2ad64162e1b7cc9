/**
 * Sender report, SR (RFC 3550 §6.4.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|    RC   |   PT=SR=200   |             length            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         SSRC of sender                        |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |              NTP timestamp, most significant word             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |             NTP timestamp, least significant word             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         RTP timestamp                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     sender's packet count                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      sender's octet count                     |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |                 report blocks (24 bytes each)                 |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |                  profile-specific extensions                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The profile-specific extension is a view into the received packet.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeRtcpBody, RTCP_HEADER_SIZE, RtcpPacketType, writeRtcpHeader } from './header.js';
import {
  decodeReportBlock,
  encodeReportBlockTo,
  REPORT_BLOCK_SIZE,
  type ReportBlock,
} from './report-block.js';

/** NTP timestamp, RTP timestamp and the two counts. */
const SENDER_INFO_SIZE = 20;

/** A sender report. */
export interface SenderReport {
  /** SSRC of the sender. */
  ssrc: number;
  /** 64-bit NTP timestamp (32.32 fixed point seconds since 1900). */
  ntpTimestamp: bigint;
  /** RTP timestamp matching ntpTimestamp. */
  rtpTimestamp: number;
  /** Packets sent since the start of transmission. */
  packetCount: number;
  /** Payload octets sent since the start of transmission. */
  octetCount: number;
  /** Up to 31 reception report blocks. */
  reports: ReportBlock[];
  /** Profile-specific extension (view); empty when absent. */
  profileExtension: Uint8Array;
}

/** Decodes one SR packet (exactly, as cut by the compound splitter). Never throws. */
export function decodeSenderReport(buf: Uint8Array): RtcpResult<SenderReport> {
  const decoded = decodeRtcpBody(buf, RtcpPacketType.SenderReport);
  if (!decoded.ok) return decoded;
  const { count, body, view } = decoded.value;
  const reportsEnd = 4 + SENDER_INFO_SIZE + count * REPORT_BLOCK_SIZE;
  if (reportsEnd > body.length)
    return rtcpFail('ERR_RTCP_TOO_SHORT', `${count} report blocks overrun the SR`, RTCP_HEADER_SIZE);
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++) reports.push(decodeReportBlock(view, 24 + i * REPORT_BLOCK_SIZE));
  return {
    ok: true,
    value: {
      ssrc: view.getUint32(0),
      ntpTimestamp: view.getBigUint64(4),
      rtpTimestamp: view.getUint32(12),
      packetCount: view.getUint32(16),
      octetCount: view.getUint32(20),
      reports,
      profileExtension: body.subarray(reportsEnd),
    },
  };
}

/** Size of the encoded SR. */
export function senderReportSize(report: SenderReport): number {
  return (
    RTCP_HEADER_SIZE +
    4 +
    SENDER_INFO_SIZE +
    report.reports.length * REPORT_BLOCK_SIZE +
    ((report.profileExtension.length + 3) & ~3)
  );
}

/** Writes the SR at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeSenderReportTo(buf: Uint8Array, offset: number, report: SenderReport): number {
  if (report.reports.length > 31)
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'more than 31 report blocks');
  const size = senderReportSize(report);
  const view = writeRtcpHeader(buf, offset, report.reports.length, RtcpPacketType.SenderReport, size);
  view.setUint32(offset + 4, report.ssrc >>> 0);
  view.setBigUint64(offset + 8, BigInt.asUintN(64, report.ntpTimestamp));
  view.setUint32(offset + 16, report.rtpTimestamp >>> 0);
  view.setUint32(offset + 20, report.packetCount >>> 0);
  view.setUint32(offset + 24, report.octetCount >>> 0);
  let at = offset + 28;
  for (const block of report.reports) at += encodeReportBlockTo(view, at, block);
  buf.set(report.profileExtension, at);
  buf.fill(0, at + report.profileExtension.length, offset + size);
  return size;
}
