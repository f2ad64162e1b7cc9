/**
 * Receiver report, RR (RFC 3550 §6.4.2).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|    RC   |   PT=RR=201   |             length            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     SSRC of packet sender                     |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |                 report blocks (24 bytes each)                 |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |                  profile-specific extensions                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeRtcpBody, RTCP_HEADER_SIZE, RtcpPacketType, writeRtcpHeader } from './header.js';
import {
  decodeReportBlock,
  encodeReportBlockTo,
  REPORT_BLOCK_SIZE,
  type ReportBlock,
} from './report-block.js';

/** A receiver report. */
export interface ReceiverReport {
  /** SSRC of the packet sender. */
  ssrc: number;
  /** Up to 31 reception report blocks (an empty RR is valid). */
  reports: ReportBlock[];
  /** Profile-specific extension (view); empty when absent. */
  profileExtension: Uint8Array;
}

/** Decodes one RR packet. Never throws. */
export function decodeReceiverReport(buf: Uint8Array): RtcpResult<ReceiverReport> {
  const decoded = decodeRtcpBody(buf, RtcpPacketType.ReceiverReport);
  if (!decoded.ok) return decoded;
  const { count, body, view } = decoded.value;
  const reportsEnd = 4 + count * REPORT_BLOCK_SIZE;
  if (reportsEnd > body.length)
    return rtcpFail('ERR_RTCP_TOO_SHORT', `${count} report blocks overrun the RR`, RTCP_HEADER_SIZE);
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++) reports.push(decodeReportBlock(view, 4 + i * REPORT_BLOCK_SIZE));
  return {
    ok: true,
    value: { ssrc: view.getUint32(0), reports, profileExtension: body.subarray(reportsEnd) },
  };
}

/** Size of the encoded RR. */
export function receiverReportSize(report: ReceiverReport): number {
  return (
    RTCP_HEADER_SIZE +
    4 +
    report.reports.length * REPORT_BLOCK_SIZE +
    ((report.profileExtension.length + 3) & ~3)
  );
}

/** Writes the RR at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeReceiverReportTo(buf: Uint8Array, offset: number, report: ReceiverReport): number {
  if (report.reports.length > 31)
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'more than 31 report blocks');
  const size = receiverReportSize(report);
  const view = writeRtcpHeader(buf, offset, report.reports.length, RtcpPacketType.ReceiverReport, size);
  view.setUint32(offset + 4, report.ssrc >>> 0);
  let at = offset + 8;
  for (const block of report.reports) at += encodeReportBlockTo(view, at, block);
  buf.set(report.profileExtension, at);
  buf.fill(0, at + report.profileExtension.length, offset + size);
  return size;
}
