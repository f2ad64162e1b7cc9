/**
 * Decoding any RTCP packet by its type: the dispatch from a compound's
 * packets (compound.ts) to the codec of each wire structure.
 */
import { decodeGoodbye, type Goodbye } from './bye.js';
import { splitRtcpCompound } from './compound.js';
import { RtcpError, type RtcpResult } from './errors.js';
import { decodeFullIntraRequest, type FullIntraRequest } from './fir.js';
import {
  decodeRtcpHeader,
  PayloadFeedbackFormat,
  RtcpPacketType,
  TransportFeedbackFormat,
} from './header.js';
import { decodeGenericNack, type GenericNack } from './nack.js';
import { decodePictureLossIndication, type PictureLossIndication } from './pli.js';
import { decodeReceiverReport, type ReceiverReport } from './receiver-report.js';
import {
  decodeReceiverEstimatedMaximumBitrate,
  isReceiverEstimatedMaximumBitrate,
  type ReceiverEstimatedMaximumBitrate,
} from './remb.js';
import { decodeSourceDescription, type SourceDescription } from './sdes.js';
import { decodeSenderReport, type SenderReport } from './sender-report.js';
import { decodeTransportCcFeedback, type TransportCcFeedback } from './transport-cc.js';

/** A decoded RTCP packet, tagged by kind; 'unknown' keeps packets this layer does not parse (APP, XR, …). */
export type RtcpPacket =
  | { kind: 'sender-report'; packet: SenderReport }
  | { kind: 'receiver-report'; packet: ReceiverReport }
  | { kind: 'source-description'; packet: SourceDescription }
  | { kind: 'goodbye'; packet: Goodbye }
  | { kind: 'generic-nack'; packet: GenericNack }
  | { kind: 'picture-loss-indication'; packet: PictureLossIndication }
  | { kind: 'full-intra-request'; packet: FullIntraRequest }
  | { kind: 'receiver-estimated-maximum-bitrate'; packet: ReceiverEstimatedMaximumBitrate }
  | { kind: 'transport-cc'; packet: TransportCcFeedback }
  | { kind: 'unknown'; packetType: number; count: number; bytes: Uint8Array };

function tag<K extends RtcpPacket['kind'], T>(
  kind: K,
  result: RtcpResult<T>,
): RtcpResult<Extract<RtcpPacket, { kind: K }>> {
  if (!result.ok) return result;
  return { ok: true, value: { kind, packet: result.value } as unknown as Extract<RtcpPacket, { kind: K }> };
}

/** Decodes exactly one RTCP packet by its type and FMT. Never throws. */
export function decodeRtcpPacket(buf: Uint8Array): RtcpResult<RtcpPacket> {
  const header = decodeRtcpHeader(buf);
  if (!header.ok) return header;
  const { packetType, count } = header.value;
  switch (packetType) {
    case RtcpPacketType.SenderReport:
      return tag('sender-report', decodeSenderReport(buf));
    case RtcpPacketType.ReceiverReport:
      return tag('receiver-report', decodeReceiverReport(buf));
    case RtcpPacketType.SourceDescription:
      return tag('source-description', decodeSourceDescription(buf));
    case RtcpPacketType.Goodbye:
      return tag('goodbye', decodeGoodbye(buf));
    case RtcpPacketType.TransportFeedback:
      if (count === TransportFeedbackFormat.Nack) return tag('generic-nack', decodeGenericNack(buf));
      if (count === TransportFeedbackFormat.TransportCc)
        return tag('transport-cc', decodeTransportCcFeedback(buf));
      break;
    case RtcpPacketType.PayloadFeedback:
      if (count === PayloadFeedbackFormat.Pli)
        return tag('picture-loss-indication', decodePictureLossIndication(buf));
      if (count === PayloadFeedbackFormat.Fir) return tag('full-intra-request', decodeFullIntraRequest(buf));
      if (isReceiverEstimatedMaximumBitrate(buf))
        return tag('receiver-estimated-maximum-bitrate', decodeReceiverEstimatedMaximumBitrate(buf));
      break;
  }
  return { ok: true, value: { kind: 'unknown', packetType, count, bytes: buf } };
}

/**
 * Splits a compound datagram and decodes every packet; the first failure
 * fails the whole datagram (RFC 3550 Appendix A.2 discards it). Never throws.
 */
export function decodeRtcpCompound(buf: Uint8Array): RtcpResult<RtcpPacket[]> {
  const split = splitRtcpCompound(buf);
  if (!split.ok) return split;
  const packets: RtcpPacket[] = [];
  for (const view of split.value) {
    const decoded = decodeRtcpPacket(view.bytes);
    if (!decoded.ok) {
      const { error } = decoded;
      const offset = view.offset + (error.offset ?? 0);
      // Report the offset within the datagram, not within the packet.
      return { ok: false, error: new RtcpError(error.code, error.message, offset) };
    }
    packets.push(decoded.value);
  }
  return { ok: true, value: packets };
}
