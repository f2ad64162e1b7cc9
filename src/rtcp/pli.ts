/**
 * Picture Loss Indication (RFC 4585 §6.3.1): payload-specific feedback,
 * PT 206, FMT 1, with no FCI. The whole packet:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P| FMT=1   |    PT=206     |          length=2             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  SSRC of packet sender                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  SSRC of media source                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { type RtcpResult, rtcpFail } from './errors.js';
import { decodeFeedbackBody, FEEDBACK_HEADER_SIZE, writeFeedbackHeader } from './feedback.js';
import { PayloadFeedbackFormat, RtcpPacketType } from './header.js';

/** A picture loss indication. */
export interface PictureLossIndication {
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** SSRC of the video source that should send a key frame. */
  mediaSsrc: number;
}

/** Size of an encoded PLI. */
export const PLI_SIZE = FEEDBACK_HEADER_SIZE;

/** Decodes one PLI packet. Never throws. */
export function decodePictureLossIndication(buf: Uint8Array): RtcpResult<PictureLossIndication> {
  const decoded = decodeFeedbackBody(buf, RtcpPacketType.PayloadFeedback, PayloadFeedbackFormat.Pli);
  if (!decoded.ok) return decoded;
  const { senderSsrc, mediaSsrc, fci } = decoded.value;
  if (fci.length !== 0) return rtcpFail('ERR_RTCP_BAD_FORMAT', 'PLI with FCI', FEEDBACK_HEADER_SIZE);
  return { ok: true, value: { senderSsrc, mediaSsrc } };
}

/** Size of the encoded PLI (always PLI_SIZE). */
export function pictureLossIndicationSize(): number {
  return PLI_SIZE;
}

/** Writes the PLI at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodePictureLossIndicationTo(
  buf: Uint8Array,
  offset: number,
  pli: PictureLossIndication,
): number {
  writeFeedbackHeader(
    buf,
    offset,
    RtcpPacketType.PayloadFeedback,
    PayloadFeedbackFormat.Pli,
    PLI_SIZE,
    pli.senderSsrc,
    pli.mediaSsrc,
  );
  return PLI_SIZE;
}
