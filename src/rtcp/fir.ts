/**
 * Full Intra Request (RFC 5104 §4.3.1): payload-specific feedback, PT 206,
 * FMT 4. The media source SSRC in the common header is unused (0); each FCI
 * entry names a source:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                              SSRC                             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Seq nr.       |    Reserved                                   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The sequence number increases by one per new request to the same source
 * (§4.3.1.1), so a repeated request is recognised as such.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeFeedbackBody, FEEDBACK_HEADER_SIZE, writeFeedbackHeader } from './feedback.js';
import { PayloadFeedbackFormat, RtcpPacketType } from './header.js';

/** One FIR entry. */
export interface FirEntry {
  /** SSRC of the source asked for a decoder refresh point. */
  ssrc: number;
  /** Command sequence number, 0–255. */
  sequenceNumber: number;
}

/** A full intra request. */
export interface FullIntraRequest {
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** The header's media source SSRC; RFC 5104 sets it to 0. */
  mediaSsrc: number;
  /** Entries, at least one. */
  entries: FirEntry[];
}

/** Decodes one FIR packet. Never throws. */
export function decodeFullIntraRequest(buf: Uint8Array): RtcpResult<FullIntraRequest> {
  const decoded = decodeFeedbackBody(buf, RtcpPacketType.PayloadFeedback, PayloadFeedbackFormat.Fir);
  if (!decoded.ok) return decoded;
  const { senderSsrc, mediaSsrc, fci, view } = decoded.value;
  if (fci.length === 0 || fci.length % 8 !== 0)
    return rtcpFail('ERR_RTCP_BAD_FORMAT', `FIR FCI of ${fci.length} bytes`, FEEDBACK_HEADER_SIZE);
  const entries: FirEntry[] = [];
  for (let at = 0; at < fci.length; at += 8)
    entries.push({ ssrc: view.getUint32(at), sequenceNumber: fci[at + 4] });
  return { ok: true, value: { senderSsrc, mediaSsrc, entries } };
}

/** Size of the encoded FIR. */
export function fullIntraRequestSize(fir: FullIntraRequest): number {
  return FEEDBACK_HEADER_SIZE + 8 * fir.entries.length;
}

/** Writes the FIR at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeFullIntraRequestTo(buf: Uint8Array, offset: number, fir: FullIntraRequest): number {
  if (fir.entries.length === 0)
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'a FIR needs at least one entry');
  const size = fullIntraRequestSize(fir);
  const view = writeFeedbackHeader(
    buf,
    offset,
    RtcpPacketType.PayloadFeedback,
    PayloadFeedbackFormat.Fir,
    size,
    fir.senderSsrc,
    fir.mediaSsrc,
  );
  let at = offset + FEEDBACK_HEADER_SIZE;
  for (const entry of fir.entries) {
    view.setUint32(at, entry.ssrc >>> 0);
    view.setUint32(at + 4, ((entry.sequenceNumber & 0xff) << 24) >>> 0);
    at += 8;
  }
  return size;
}
