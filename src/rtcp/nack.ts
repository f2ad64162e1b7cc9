/**
 * Generic NACK (RFC 4585 §6.2.1): transport-layer feedback, PT 205, FMT 1.
 * The common feedback header (see feedback.ts) is followed by one or more
 * FCI entries:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            PID                |             BLP               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * PID is a lost packet's sequence number; bit i of BLP (least significant
 * first) reports the loss of PID + i + 1.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeFeedbackBody, FEEDBACK_HEADER_SIZE, writeFeedbackHeader } from './feedback.js';
import { RtcpPacketType, TransportFeedbackFormat } from './header.js';

/** One FCI entry. */
export interface NackPair {
  /** Packet ID: the first lost sequence number. */
  packetId: number;
  /** Bitmask of following lost packets. */
  lostBitmask: number;
}

/** A generic NACK message. */
export interface GenericNack {
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** SSRC of the media source whose packets are lost. */
  mediaSsrc: number;
  /** FCI entries, at least one. */
  pairs: NackPair[];
}

/** Decodes one generic NACK packet. Never throws. */
export function decodeGenericNack(buf: Uint8Array): RtcpResult<GenericNack> {
  const decoded = decodeFeedbackBody(buf, RtcpPacketType.TransportFeedback, TransportFeedbackFormat.Nack);
  if (!decoded.ok) return decoded;
  const { senderSsrc, mediaSsrc, fci, view } = decoded.value;
  // §6.2.1: at least one entry; a length that is not a whole number of entries is malformed.
  if (fci.length === 0 || fci.length % 4 !== 0)
    return rtcpFail('ERR_RTCP_BAD_FORMAT', `NACK FCI of ${fci.length} bytes`, FEEDBACK_HEADER_SIZE);
  const pairs: NackPair[] = [];
  for (let at = 0; at < fci.length; at += 4)
    pairs.push({ packetId: view.getUint16(at), lostBitmask: view.getUint16(at + 2) });
  return { ok: true, value: { senderSsrc, mediaSsrc, pairs } };
}

/** Size of the encoded NACK. */
export function genericNackSize(nack: GenericNack): number {
  return FEEDBACK_HEADER_SIZE + 4 * nack.pairs.length;
}

/** Writes the NACK at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeGenericNackTo(buf: Uint8Array, offset: number, nack: GenericNack): number {
  if (nack.pairs.length === 0)
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'a NACK needs at least one entry');
  const size = genericNackSize(nack);
  const view = writeFeedbackHeader(
    buf,
    offset,
    RtcpPacketType.TransportFeedback,
    TransportFeedbackFormat.Nack,
    size,
    nack.senderSsrc,
    nack.mediaSsrc,
  );
  let at = offset + FEEDBACK_HEADER_SIZE;
  for (const pair of nack.pairs) {
    view.setUint16(at, pair.packetId & 0xffff);
    view.setUint16(at + 2, pair.lostBitmask & 0xffff);
    at += 4;
  }
  return size;
}

/** Every sequence number the pairs report lost, in entry order (PID, then BLP bits upward). */
export function nackSequenceNumbers(pairs: readonly NackPair[]): number[] {
  const sequences: number[] = [];
  for (const { packetId, lostBitmask } of pairs) {
    sequences.push(packetId & 0xffff);
    for (let bit = 0; bit < 16; bit++)
      if (lostBitmask & (1 << bit)) sequences.push((packetId + bit + 1) & 0xffff);
  }
  return sequences;
}

/**
 * Packs lost sequence numbers into as few entries as a single pass allows.
 * Numbers are taken in the given order, so pass them in ascending
 * (wrap-aware) order for the most compact result; any order still reports
 * every number.
 */
export function nackPairsFromSequenceNumbers(sequences: Iterable<number>): NackPair[] {
  const pairs: NackPair[] = [];
  let current: NackPair | undefined;
  for (const raw of sequences) {
    const sequence = raw & 0xffff;
    if (current) {
      const distance = (sequence - current.packetId) & 0xffff;
      if (distance === 0) continue;
      if (distance <= 16) {
        current.lostBitmask |= 1 << (distance - 1);
        continue;
      }
    }
    current = { packetId: sequence, lostBitmask: 0 };
    pairs.push(current);
  }
  return pairs;
}
