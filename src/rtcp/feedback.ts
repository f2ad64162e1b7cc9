/**
 * The common layout of RTP/AVPF feedback messages (RFC 4585 §6.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|   FMT   |       PT      |          length               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  SSRC of packet sender                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  SSRC of media source                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   :            Feedback Control Information (FCI)                 :
 *   :                                                               :
 */
import { type RtcpResult, rtcpFail } from './errors.js';
import { decodeRtcpBody, RTCP_HEADER_SIZE, writeRtcpHeader } from './header.js';

/** Size of the header plus both SSRCs. */
export const FEEDBACK_HEADER_SIZE = 12;

/** The parts of a feedback message that the FMT-specific decoder needs. */
export interface FeedbackBody {
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** SSRC of the media source. */
  mediaSsrc: number;
  /** Feedback control information (view). */
  fci: Uint8Array;
  /** A DataView over fci. */
  view: DataView;
}

/** Checks type, FMT and length and returns the FCI. Never throws. */
export function decodeFeedbackBody(
  buf: Uint8Array,
  packetType: number,
  format: number,
): RtcpResult<FeedbackBody> {
  const decoded = decodeRtcpBody(buf, packetType);
  if (!decoded.ok) return decoded;
  const { count, body, view } = decoded.value;
  if (count !== format) return rtcpFail('ERR_RTCP_WRONG_TYPE', `FMT ${count} is not ${format}`, 0);
  if (body.length < 8)
    return rtcpFail('ERR_RTCP_TOO_SHORT', 'feedback message without SSRCs', RTCP_HEADER_SIZE);
  const fci = body.subarray(8);
  return {
    ok: true,
    value: {
      senderSsrc: view.getUint32(0),
      mediaSsrc: view.getUint32(4),
      fci,
      view: new DataView(fci.buffer, fci.byteOffset, fci.byteLength),
    },
  };
}

/** Writes the header and both SSRCs; returns a DataView over the whole buffer. Throws RtcpError when it cannot. */
export function writeFeedbackHeader(
  buf: Uint8Array,
  offset: number,
  packetType: number,
  format: number,
  size: number,
  senderSsrc: number,
  mediaSsrc: number,
): DataView {
  const view = writeRtcpHeader(buf, offset, format, packetType, size);
  view.setUint32(offset + 4, senderSsrc >>> 0);
  view.setUint32(offset + 8, mediaSsrc >>> 0);
  return view;
}
