/**
 * Reception report blocks (RFC 3550 §6.4.1), carried by SR and RR.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |                 SSRC_1 (SSRC of first source)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | fraction lost |       cumulative number of packets lost       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           extended highest sequence number received           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      interarrival jitter                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         last SR (LSR)                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                   delay since last SR (DLSR)                  |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
import { RtcpError } from './errors.js';

/** Size of one report block. */
export const REPORT_BLOCK_SIZE = 24;

/** One reception report block. */
export interface ReportBlock {
  /** The source this block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, in 1/256 units. */
  fractionLost: number;
  /** Cumulative packets lost: a signed 24-bit value, negative when duplicates outnumber losses. */
  cumulativeLost: number;
  /** Extended highest sequence number received. */
  extendedHighestSequence: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (0 if none). */
  lastSenderReport: number;
  /** Delay since that SR, in 1/65536 seconds. */
  delaySinceLastSenderReport: number;
}

/** Reads a block at offset; the caller has checked that 24 bytes are there. */
export function decodeReportBlock(view: DataView, offset: number): ReportBlock {
  const lost = view.getUint32(offset + 4);
  return {
    ssrc: view.getUint32(offset),
    fractionLost: lost >>> 24,
    cumulativeLost: (lost << 8) >> 8,
    extendedHighestSequence: view.getUint32(offset + 8),
    jitter: view.getUint32(offset + 12),
    lastSenderReport: view.getUint32(offset + 16),
    delaySinceLastSenderReport: view.getUint32(offset + 20),
  };
}

/** Writes a block at offset (room already checked); throws RtcpError on a value out of range. */
export function encodeReportBlockTo(view: DataView, offset: number, block: ReportBlock): number {
  if (block.cumulativeLost < -0x800000 || block.cumulativeLost > 0x7fffff)
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', `cumulative lost ${block.cumulativeLost} is not 24-bit`);
  view.setUint32(offset, block.ssrc >>> 0);
  view.setUint32(offset + 4, (((block.fractionLost & 0xff) << 24) | (block.cumulativeLost & 0xffffff)) >>> 0);
  view.setUint32(offset + 8, block.extendedHighestSequence >>> 0);
  view.setUint32(offset + 12, block.jitter >>> 0);
  view.setUint32(offset + 16, block.lastSenderReport >>> 0);
  view.setUint32(offset + 20, block.delaySinceLastSenderReport >>> 0);
  return REPORT_BLOCK_SIZE;
}
